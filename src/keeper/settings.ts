/** The keeper's environment: the shared names (KEEPER_ENV) plus optional tuning knobs. */
import { JENKINS_HOME, RUN_DIR, deploymentNames } from '../config/names.js';
import type { KeeperConfig } from '../continuity/keeper.js';
import { KEEPER_ENV } from '../continuity/settings.js';

/** Optional overrides of the protocol timings (tests and benches shorten them). */
export const KEEPER_TUNING_ENV = {
  attachmentTimeoutMs: 'JENKINS_ECS_ATTACHMENT_TIMEOUT_MS',
  staleRecheckMs: 'JENKINS_ECS_STALE_RECHECK_MS',
  holderPollMs: 'JENKINS_ECS_HOLDER_POLL_MS',
  bootstrapSettleMs: 'JENKINS_ECS_BOOTSTRAP_SETTLE_MS',
  stopBudgetMs: 'JENKINS_ECS_STOP_BUDGET_MS',
  jenkinsStopPollMs: 'JENKINS_ECS_JENKINS_STOP_POLL_MS',
} as const;

export const METADATA_ENV = 'ECS_CONTAINER_METADATA_URI_V4';

export interface KeeperSettings {
  readonly lineage: string;
  /** DynamoDB table of the lineage record. */
  readonly recordTable: string;
  /** @default - the Cluster of the task metadata */
  readonly cluster?: string;
  readonly intervalMinutes: number;
  readonly homePath: string;
  readonly runDir: string;
  readonly jenkinsContainer: string;
  readonly metadataUri: string;
  readonly tuning: Partial<Pick<KeeperConfig, keyof typeof KEEPER_TUNING_ENV>>;
  /** The handoff's bucket (docs/design/handoff.md). @default - none: no delta is shipped or applied */
  readonly handoff?: HandoffSettings;
}

export interface HandoffSettings {
  readonly bucket: string;
  /** @default - the bucket's default encryption */
  readonly kmsKeyId?: string;
}

export class KeeperSettingsError extends Error {
  public constructor(public readonly problems: readonly string[]) {
    super(`keeper environment is invalid: ${problems.join('; ')}`);
    this.name = 'KeeperSettingsError';
  }
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, problems: string[]): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    problems.push(`${name} must be a positive number, got "${raw}"`);
    return undefined;
  }
  return n;
}

// S3 bucket naming rules (general purpose buckets): 3-63 characters, lower case, digits, dots, hyphens.
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function readHandoff(env: NodeJS.ProcessEnv, problems: string[]): HandoffSettings | undefined {
  const bucket = env[KEEPER_ENV.handoffBucket] || undefined;
  const kmsKeyId = env[KEEPER_ENV.handoffKmsKeyId] || undefined;
  if (!bucket) {
    if (kmsKeyId) problems.push(`${KEEPER_ENV.handoffKmsKeyId} is set but ${KEEPER_ENV.handoffBucket} is not: set both, or neither (no handoff)`);
    return undefined;
  }
  if (!BUCKET_NAME.test(bucket)) problems.push(`${KEEPER_ENV.handoffBucket} must be an S3 bucket name (3-63 of a-z 0-9 . -), got "${bucket}"`);
  return { bucket, ...(kmsKeyId ? { kmsKeyId } : {}) };
}

/** The run dir shared with the gate (markers, heartbeat); also what `--health` reads. */
export function readRunDir(env: NodeJS.ProcessEnv): string {
  return env[KEEPER_ENV.runDir] || RUN_DIR;
}

/** Reads and checks the environment; all problems at once. */
export function readKeeperSettings(env: NodeJS.ProcessEnv): KeeperSettings {
  const problems: string[] = [];
  const lineage = env[KEEPER_ENV.lineage];
  if (!lineage) problems.push(`${KEEPER_ENV.lineage} is required (the lineage id)`);
  const recordTable = env[KEEPER_ENV.recordTable];
  if (!recordTable) problems.push(`${KEEPER_ENV.recordTable} is required (the DynamoDB table of the lineage record)`);
  const metadataUri = env[METADATA_ENV];
  if (!metadataUri) problems.push(`${METADATA_ENV} is not set: the keeper must run in an ECS task`);
  const intervalMinutes = positiveNumber(env, KEEPER_ENV.intervalMinutes, problems) ?? 15;
  const tuning: Record<string, number> = {};
  for (const [key, name] of Object.entries(KEEPER_TUNING_ENV)) {
    const v = positiveNumber(env, name, problems);
    if (v !== undefined) tuning[key] = v;
  }
  const handoff = readHandoff(env, problems);
  if (problems.length > 0) throw new KeeperSettingsError(problems);
  return {
    lineage: lineage!,
    recordTable: recordTable!,
    ...(env[KEEPER_ENV.cluster] ? { cluster: env[KEEPER_ENV.cluster] } : {}),
    intervalMinutes,
    homePath: env[KEEPER_ENV.homePath] || JENKINS_HOME,
    runDir: readRunDir(env),
    jenkinsContainer: env[KEEPER_ENV.jenkinsContainer] || deploymentNames(lineage!).jenkinsContainer,
    metadataUri: metadataUri!,
    tuning,
    ...(handoff ? { handoff } : {}),
  };
}

/** The region of an ARN (`arn:aws:ecs:<region>:...`), the fallback when AWS_REGION is unset. */
export function regionOfArn(arn: string): string | undefined {
  const parts = arn.split(':');
  return parts.length > 4 && parts[3] ? parts[3] : undefined;
}
