/**
 * What the AWS commands (status, snapshots, snapshot, restore, restart, migrate) share: finding the deployment,
 * building the ports over SDK v3 clients (src/aws), and turning SDK errors into one-line CliErrors
 * with distinct exit codes. Tests hand in their own `AwsFactory` through the command context.
 */
import { existsSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DescribeTasksCommand, ListTasksCommand, type ECSClient, type Task } from '@aws-sdk/client-ecs';
import { awsErrorCode, createClients, DynamoRecordAdapter, ebsAttachment, Ec2Adapter, EcsAdapter } from '../aws/index.js';
import { deploymentNames, type DeploymentNames } from '../config/names.js';
import { loadConfigFile } from '../config/parse.js';
import { NAME_PATTERN } from '../config/schema.js';
import type { JenkinsEcsConfig } from '../config/types.js';
import { CONFIG_ENV, displayPath, resolveConfigPath } from './args.js';
import type { CommandContext } from './context.js';
import { systemClock } from '../continuity/clock.js';
import type { Clock, Ec2Port, EcsPort } from '../continuity/ports.js';
import type { LineageRecord, RecordPort } from '../continuity/record.js';
import { CliError, EXIT } from './errors.js';

/** A task of the controller service, as status shows it. */
export interface ServiceTask {
  readonly arn: string;
  readonly lastStatus: string;
  readonly desiredStatus?: string;
  readonly startedAt?: Date;
  /** `volumeId` of the task's AmazonElasticBlockStorage attachment, once known. */
  readonly volumeId?: string;
  readonly attachmentStatus?: string;
}

/** Read-only task listing; not a protocol port, so it lives here rather than in src/continuity. */
export interface ServiceTasksPort {
  listServiceTasks(cluster: string, service: string): Promise<ServiceTask[]>;
}

/** Everything an AWS command talks to. */
export interface CliAws {
  readonly ec2: Ec2Port;
  readonly ecs: EcsPort;
  /** The lineage record (DynamoDB table `deploymentNames(name).recordTable`). */
  readonly record: RecordPort;
  readonly tasks: ServiceTasksPort;
  /** Sleeping between polls (snapshot --wait, restore); tests pass one that returns at once. */
  readonly clock: Clock;
}

export interface AwsTarget {
  readonly names: DeploymentNames;
  /** `--region`; else the SDK's chain (AWS_REGION, profile). */
  readonly region?: string;
  readonly env: Record<string, string | undefined>;
}

export type AwsFactory = (target: AwsTarget) => CliAws | Promise<CliAws>;

/** The CLI's CommandContext; `aws` (optional) lets tests hand in ports instead of SDK adapters. */
export type AwsCommandContext = CommandContext;

/** Options every AWS command accepts (`--debug` is global: main() takes it out before the command runs). */
export const COMMON_OPTIONS = {
  name: { type: 'string' },
  config: { type: 'string', short: 'c' },
  region: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const satisfies ParseArgsConfig['options'];

/** `node:util` parseArgs with usage errors mapped to EXIT.usage. */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  args: readonly string[],
  options: O,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals, strict: true });
  } catch (e) {
    throw new CliError(`${command}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, EXIT.usage);
  }
}

export interface Deployment {
  readonly name: string;
  readonly names: DeploymentNames;
  readonly region?: string;
  /** `controller.snapshots.intervalMinutes` from the config, when a config was read. */
  readonly intervalMinutes?: number;
}

/**
 * `--name N` selects the deployment; without it, the config's `name`. The config (`--config`,
 * `$JENKINS_ECS_CONFIG`, else ./jenkins-ecs.yaml) also gives the region and the snapshot interval.
 * With `--name` and no explicit config, the default file is used only if it names that deployment.
 */
export function resolveDeployment(
  values: { name?: string; config?: string; region?: string },
  ctx: Pick<CommandContext, 'cwd' | 'env'>,
): Deployment {
  const explicit = values.config !== undefined || Boolean(ctx.env[CONFIG_ENV]);
  const path = resolveConfigPath(values.config, ctx);
  let config: JenkinsEcsConfig | undefined;
  if (explicit || !values.name) {
    const shown = displayPath(path, ctx.cwd);
    const loaded = loadConfigFile(path, shown);
    if (!loaded.ok) {
      const first = loaded.errors[0];
      const more = loaded.errors.length > 1 ? ` (and ${loaded.errors.length - 1} more; run 'jenkins-ecs validate')` : '';
      if (!values.name && !explicit && !existsSync(path)) {
        throw new CliError(`no deployment given: pass --name NAME or --config FILE (${path} does not exist)`, EXIT.usage);
      }
      // Issues about the file itself (missing, a syntax error) already start with its name.
      const issue = first ? (first.path.startsWith(shown) ? `${first.path}: ${first.message}` : `config ${shown}: ${first.path}: ${first.message}`) : `config ${shown}: invalid`;
      throw new CliError(`${issue}${more}`, EXIT.failure);
    }
    config = loaded.config;
  } else if (existsSync(path)) {
    const loaded = loadConfigFile(path);
    if (loaded.ok && loaded.config.name === values.name) config = loaded.config;
  }
  const name = values.name ?? config?.name;
  if (!name || !NAME_PATTERN.test(name)) {
    throw new CliError(`invalid deployment name '${name ?? ''}': expected ${NAME_PATTERN.source}`, EXIT.usage);
  }
  return {
    name,
    names: deploymentNames(name),
    region: values.region || config?.region || ctx.env.AWS_REGION || undefined,
    intervalMinutes: config?.controller.snapshots.intervalMinutes,
  };
}

/**
 * The lineage record, or undefined when there is none yet, or no record table at all (an old state
 * stack, or no deployment): the caller then says what is missing.
 */
export async function readRecord(aws: CliAws, lineage: string): Promise<LineageRecord | undefined> {
  try {
    return await aws.record.read(lineage);
  } catch (e) {
    if (awsErrorCode(e) === 'ResourceNotFoundException') return undefined;
    throw e;
  }
}

/** Builds the ports for a deployment: the context's factory in tests, the SDK adapters otherwise. */
export async function awsFor(ctx: AwsCommandContext, deployment: Deployment): Promise<CliAws> {
  const target: AwsTarget = { names: deployment.names, region: deployment.region, env: ctx.env };
  const factory = ctx.aws ?? defaultAwsFactory;
  return factory(target);
}

/** The SDK adapters of src/aws; `AWS_ENDPOINT_URL` is honoured by `createClients`. */
export const defaultAwsFactory: AwsFactory = (target) => {
  const clients = createClients({ region: target.region, env: target.env, maxAttempts: 5 });
  return {
    ec2: new Ec2Adapter(clients.ec2),
    ecs: new EcsAdapter(clients.ecs),
    record: new DynamoRecordAdapter(clients.dynamodb, target.names.recordTable),
    tasks: new EcsServiceTasks(clients.ecs),
    clock: systemClock,
  };
};

/** `ListTasks` + `DescribeTasks` for the service, with the EBS attachment read from `details`. */
export class EcsServiceTasks implements ServiceTasksPort {
  constructor(private readonly client: ECSClient) {}

  async listServiceTasks(cluster: string, service: string): Promise<ServiceTask[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(new ListTasksCommand({ cluster, serviceName: service, nextToken }));
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    const out: ServiceTask[] = [];
    // DescribeTasks takes at most 100 tasks per call.
    for (let i = 0; i < arns.length; i += 100) {
      const res = await this.client.send(new DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + 100) }));
      for (const t of res.tasks ?? []) if (t.taskArn) out.push(serviceTaskFromEcs(t));
    }
    return out;
  }
}

export function serviceTaskFromEcs(t: Task): ServiceTask {
  const ebs = ebsAttachment(t);
  return {
    arn: t.taskArn ?? '',
    lastStatus: t.lastStatus ?? 'UNKNOWN',
    desiredStatus: t.desiredStatus,
    startedAt: t.startedAt,
    volumeId: ebs?.volumeId,
    attachmentStatus: ebs?.status,
  };
}

const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'AuthFailure',
  'SignatureDoesNotMatch',
]);
const NOT_FOUND_ERRORS = new Set(['ServiceNotFoundException', 'ClusterNotFoundException', 'ServiceNotActiveException']);
const THROTTLING_ERRORS = new Set([
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'ThrottledException',
]);

/**
 * One clear line and a distinct exit code for the SDK errors an operator can act on.
 * `target` names the deployment so "not found" says what was looked for.
 */
export function mapAwsError(e: unknown, target?: Deployment): CliError {
  if (e instanceof CliError) return e;
  // A plain Error's name says nothing: leave it out of the message.
  const code = awsErrorCode(e);
  const name = code === undefined || code === 'Error' ? '' : code;
  const detail = e instanceof Error ? e.message.split('\n')[0] : String(e);
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(detail)) {
    return new CliError('no AWS credentials found: configure the standard chain (AWS_PROFILE, AWS_ACCESS_KEY_ID, SSO, ...)', EXIT.noCredentials);
  }
  if (CREDENTIAL_ERRORS.has(name)) {
    return new CliError(`AWS refused the credentials (${name}): ${detail}`, EXIT.noCredentials);
  }
  if (/Region is missing/i.test(detail)) {
    return new CliError('no AWS region: pass --region or set AWS_REGION', EXIT.noCredentials);
  }
  if (NOT_FOUND_ERRORS.has(name)) {
    const what = target ? `cluster '${target.names.cluster}' / service '${target.names.service}'` : 'the service';
    return new CliError(`deployment not found: ${what} (${name}); is it deployed in this account and region?`, EXIT.notFound);
  }
  if (THROTTLING_ERRORS.has(name)) {
    return new CliError(`AWS kept throttling requests after retries (${name}); try again in a minute`, EXIT.throttled);
  }
  return new CliError(`AWS error${name ? ` ${name}` : ''}: ${detail}`, EXIT.aws);
}

/** Runs an AWS command body, mapping SDK errors; keeps the original as `cause` for --debug. */
export async function withAwsErrors<T>(target: Deployment | undefined, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof CliError) throw e;
    const mapped = mapAwsError(e, target);
    // --debug prints the CliError's stack: make it lead to the SDK error behind it.
    if (e instanceof Error && e.stack) mapped.stack = `${mapped.stack ?? mapped.message}\nCaused by: ${e.stack}`;
    throw mapped;
  }
}
