/**
 * `jenkins-ecs migrate --from-efs fs-… [--access-point fsap-…] [--path /] [--force] [--yes] [--json]`
 * `jenkins-ecs migrate --from-snapshot snap-… --fs-type xfs|ext4 [--force] [--yes] [--json]`
 * (either form takes `--resume ID`: see below)
 *
 * Moves an existing Jenkins home into the lineage as a snapshot of kind `seed`:
 * - from EFS: RunTask of the stack's migration task (src/constructs/migration-task.ts) with a fresh
 *   EBS volume of the home's settings; the task copies, verifies and snapshots (src/migrate/run.ts)
 *   while this command follows its log stream as a progress bar;
 * - from an EBS snapshot: CopySnapshot into a protocol-owned copy (the user's snapshot is never
 *   registered, so retention can never delete it).
 * The seed then enters the lineage record in one conditional write under a `migrate` operation
 * (src/continuity/migrate.ts), and becomes the head when the lineage has none, or with --force.
 *
 * Interrupted (a killed CLI, a lost network, a denied or failed last write), the record still names
 * the `migrate` operation and nothing else can start on the lineage. `--resume ID` takes that
 * operation over: the same command copies again, or, given the seed the failed run left behind
 * (`--from-snapshot` of a snapshot already tagged as this lineage's seed), adopts it without
 * another copy. Declining the prompt under `--resume` ends the operation with no seed.
 */
import { randomUUID } from 'node:crypto';
import { EFS_ACCESS_POINT_ID_PATTERN, EFS_ID_PATTERN, SNAPSHOT_ID_PATTERN } from '../../config/network.js';
import { loadConfigFile } from '../../config/parse.js';
import type { JenkinsEcsConfig } from '../../config/types.js';
import { commit } from '../../continuity/commit.js';
import { abortMigrate, beginMigrate, completeMigrate } from '../../continuity/migrate.js';
import type { Clock, Ec2Port } from '../../continuity/ports.js';
import type { LineageRecord, RecordPort } from '../../continuity/record.js';
import type { Outcome } from '../../continuity/transitions.js';
import type { MigrationAwsPort, ServiceNetwork } from '../../aws/migration-adapter.js';
import { positive, resolveConfigPath } from '../args.js';
import { COMMON_OPTIONS, mapAwsError, parseCommandArgs, resolveDeployment, withAwsErrors, type AwsCommandContext, type AwsTarget, type Deployment } from '../aws-context.js';
import { CliError, EXIT } from '../errors.js';
import { copySeedSnapshot, followMigrationTask, runMigrationTask } from '../migrate-flow.js';
import { describeEstimate, estimateCopy, usableSubnets } from '../../migrate/preflight.js';

export interface MigrateDeps {
  readonly migration: MigrationAwsPort;
  readonly ec2: Ec2Port;
  readonly records: RecordPort;
  readonly clock: Clock;
}

export type MigrateDepsFactory = (target: AwsTarget) => MigrateDeps | Promise<MigrateDeps>;

const OPTIONS = {
  ...COMMON_OPTIONS,
  'from-efs': { type: 'string' },
  'access-point': { type: 'string' },
  path: { type: 'string' },
  'from-snapshot': { type: 'string' },
  'fs-type': { type: 'string' },
  force: { type: 'boolean', default: false },
  yes: { type: 'boolean', short: 'y', default: false },
  'poll-seconds': { type: 'string' },
  resume: { type: 'string' },
} as const;

/** Operation ids are the UUIDs `randomUUID()` makes. */
const OPERATION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parseResume(value: string | boolean | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !OPERATION_ID.test(value)) {
    throw new CliError(`migrate: --resume '${String(value)}' is not an operation id like 0f8fad5b-d9cb-469f-a165-70867728950e ('jenkins-ecs status' names it)`, EXIT.usage);
  }
  return value;
}

/** The command that enters a seed left outside the lineage, without copying it again. */
function adoptCommand(deployment: Deployment, seed: string, fsType: string, id: string, force: boolean): string {
  return `jenkins-ecs migrate --name ${deployment.name} --from-snapshot ${seed} --fs-type ${fsType} --resume ${id}${force ? ' --force' : ''}`;
}

export async function run(args: readonly string[], ctx: AwsCommandContext): Promise<number> {
  const { defaultMigrateDeps } = await import('../migrate-deps.js');
  return runMigrate(args, ctx, defaultMigrateDeps);
}

type Source = { kind: 'efs'; fileSystemId: string; accessPointId?: string; path: string } | { kind: 'snapshot'; snapshotId: string; fsType: 'xfs' | 'ext4' };

function parseSource(values: Record<string, string | boolean | undefined>): Source {
  const efs = values['from-efs'] as string | undefined;
  const snap = values['from-snapshot'] as string | undefined;
  if ((efs === undefined) === (snap === undefined)) throw new CliError('migrate: give either --from-efs fs-… or --from-snapshot snap-… (one of the two)', EXIT.usage);
  if (efs !== undefined) {
    if (!EFS_ID_PATTERN.test(efs)) throw new CliError(`migrate: --from-efs '${efs}' is not a file system id like fs-0123456789abcdef0`, EXIT.usage);
    const ap = values['access-point'] as string | undefined;
    if (ap !== undefined && !EFS_ACCESS_POINT_ID_PATTERN.test(ap)) throw new CliError(`migrate: --access-point '${ap}' is not an access point id like fsap-0123456789abcdef0`, EXIT.usage);
    const path = (values.path as string | undefined) ?? '/';
    if (!path.startsWith('/') || path.split('/').includes('..')) throw new CliError(`migrate: --path '${path}' must be an absolute path inside the file system, e.g. /jenkins`, EXIT.usage);
    return { kind: 'efs', fileSystemId: efs, ...(ap ? { accessPointId: ap } : {}), path };
  }
  if (!SNAPSHOT_ID_PATTERN.test(snap!)) throw new CliError(`migrate: --from-snapshot '${snap}' is not a snapshot id like snap-0123456789abcdef0`, EXIT.usage);
  const fsType = values['fs-type'];
  if (fsType !== 'xfs' && fsType !== 'ext4') {
    throw new CliError(`migrate: --from-snapshot needs --fs-type xfs|ext4, the file system on the snapshot (on the old machine: lsblk -f); got ${fsType === undefined ? 'none' : `'${String(fsType)}'`}`, EXIT.usage);
  }
  return { kind: 'snapshot', snapshotId: snap!, fsType };
}

/** The deployment's config: the home settings and `migration` come from it. */
function loadConfig(values: { config?: string }, ctx: AwsCommandContext, deployment: Deployment): JenkinsEcsConfig {
  const path = resolveConfigPath(values.config, ctx);
  const loaded = loadConfigFile(path);
  if (!loaded.ok) throw new CliError(`migrate needs the deployment's config (home settings): ${path}: ${loaded.errors[0]?.message ?? 'invalid'}`, EXIT.failure);
  if (loaded.config.name !== deployment.name) throw new CliError(`config ${path} is for '${loaded.config.name}', not '${deployment.name}'; pass --config with the deployment's file`, EXIT.usage);
  return loaded.config;
}

const refusal = (message: string) => new CliError(`refused: ${message}`, EXIT.refused);

export async function runMigrate(args: readonly string[], ctx: AwsCommandContext, factory: MigrateDepsFactory): Promise<number> {
  const { values } = parseCommandArgs('migrate', args, OPTIONS);
  const source = parseSource(values);
  const resumeId = parseResume(values.resume);
  const pollMs = positive(values['poll-seconds'], '--poll-seconds', 10, 'migrate') * 1000;
  const deployment = resolveDeployment(values, ctx);
  const config = loadConfig(values, ctx, deployment);
  const { names } = deployment;
  const { io } = ctx;
  const say = (line: string) => (values.json ? io.err(line) : io.out(line));

  return withAwsErrors(deployment, async () => {
    const deps = await factory({ names, region: deployment.region, env: ctx.env });
    const service = await deps.migration.service(names.cluster, names.service);
    if (!service) throw new CliError(`deployment '${deployment.name}' not found: no active service '${names.service}' in cluster '${names.cluster}'; deploy it first`, EXIT.notFound);
    if (service.desiredCount > 0 || service.runningCount > 0 || service.pendingCount > 0) {
      throw refusal(
        `the controller of '${deployment.name}' is running (desired ${service.desiredCount}, running ${service.runningCount}); stop it first: aws ecs update-service --cluster ${names.cluster} --service ${names.service} --desired-count 0`,
      );
    }
    const record = await deps.records.read(names.lineage);
    if (!record && (await deps.ec2.listLineage(names.lineage)).length > 0) {
      throw refusal(`lineage '${names.lineage}' has snapshots but no lineage record yet; deploy this version first so the record is bootstrapped, then migrate`);
    }
    const force = values.force;
    const op = record?.operation;
    if (op?.kind === 'migrate' && op.id !== resumeId) {
      throw refusal(`a migrate (${op.id}) is in progress or was interrupted at step '${op.step ?? 'begun'}'; if no other 'jenkins-ecs migrate' runs, run this command again with --resume ${op.id}`);
    }
    if (resumeId !== undefined && op?.id !== resumeId) {
      throw refusal(`--resume ${resumeId}: no such migrate is in progress on lineage '${names.lineage}'${op ? ` (a ${op.kind} ${op.id} is)` : ''}; run without --resume`);
    }
    const id = resumeId ?? randomUUID();
    // The decision the first write makes, before anything starts: a refusal must not cost a copy.
    const check = beginMigrate(record, { lineage: names.lineage, id, force });
    if (!check.ok) throw refusal(check.reason);

    const run =
      source.kind === 'efs'
        ? await prepareEfs(deps, source, config, deployment, service, { say, now: ctx.now(), pollMs, io, json: values.json })
        : await prepareSnapshot(deps, source, config, deployment, { say, pollMs, io, json: values.json });
    const write = async (decide: (r: LineageRecord | undefined) => Outcome): Promise<LineageRecord | undefined> => {
      const { outcome } = await commit(deps.records, names.lineage, decide, { clock: deps.clock });
      if (!outcome.ok) throw refusal(outcome.reason);
      return outcome.record;
    };

    say('stop writes on the old Jenkins first (stop it, or Manage Jenkins > Prepare for Shutdown): files that change during the copy fail the verification');
    if (!values.yes && !(await io.confirm(`copy into lineage '${names.lineage}' now?`))) {
      if (resumeId === undefined) throw new CliError('migrate cancelled: nothing was changed', EXIT.failure);
      await write((r) => abortMigrate(r, id));
      throw new CliError(`migrate cancelled: the interrupted migrate ${id} is ended, nothing entered the lineage`, EXIT.failure);
    }

    await write((r) => beginMigrate(r, { lineage: names.lineage, id, force }));
    let seed: { snapshotId: string; task?: string; source?: string };
    try {
      seed = await run();
    } catch (e) {
      const ended = await write((r) => abortMigrate(r, id)).then(
        () => true,
        () => false,
      );
      if (ended) throw e;
      const cause = mapAwsError(e, deployment);
      throw new CliError(`${cause.message}; the record still shows migrate ${id}: run this command again with --resume ${id}`, cause.exitCode);
    }
    const done = await write((r) => completeMigrate(r, { id, force, ...seed })).catch((e: unknown) => {
      // The seed exists and is tagged as this lineage's; a re-run adopts it instead of copying again.
      const cause = mapAwsError(e, deployment);
      const fsType = source.kind === 'snapshot' ? source.fsType : config.controller.home.fileSystem;
      throw new CliError(`${cause.message}; the seed ${seed.snapshotId} exists but is not in the lineage yet: enter it, without another copy, with '${adoptCommand(deployment, seed.snapshotId, fsType, id, force)}'`, cause.exitCode);
    });
    const step = source.kind === 'efs' ? `efs:${source.fileSystemId}` : `snapshot:${source.snapshotId}`;
    if (values.json) {
      io.out(JSON.stringify({ lineage: names.lineage, seed: seed.snapshotId, head: done?.head?.snapshotId, seq: done?.seq, task: seed.task, source: seed.source ?? step }, null, 2));
    } else {
      io.out(`seed ${seed.snapshotId} is the head of lineage '${names.lineage}'`);
      io.out(`start Jenkins on it: aws ecs update-service --cluster ${names.cluster} --service ${names.service} --desired-count 1 (see 'jenkins-ecs status')`);
    }
    return EXIT.ok;
  });
}

interface Output {
  readonly say: (line: string) => void;
  readonly pollMs: number;
  readonly io: AwsCommandContext['io'];
  readonly json: boolean;
}

async function prepareEfs(
  deps: MigrateDeps,
  source: Extract<Source, { kind: 'efs' }>,
  config: JenkinsEcsConfig,
  deployment: Deployment,
  service: ServiceNetwork,
  { say, now, pollMs, io, json }: Output & { readonly now: Date },
): Promise<() => Promise<{ snapshotId: string; task?: string }>> {
  const { names } = deployment;
  const fs = await deps.migration.fileSystem(source.fileSystemId);
  if (!fs) throw refusal(`file system ${source.fileSystemId} does not exist in this account and region`);
  if (fs.lifeCycleState !== 'available') throw refusal(`file system ${source.fileSystemId} is ${fs.lifeCycleState}, not available`);
  if (source.accessPointId) {
    const owner = await deps.migration.accessPointFileSystem(source.accessPointId);
    if (owner !== source.fileSystemId) throw refusal(`access point ${source.accessPointId} ${owner ? `belongs to ${owner}` : 'does not exist'}, not to ${source.fileSystemId}`);
  }
  const td = await deps.migration.taskDefinition(names.migrationTask);
  const configured = config.migration;
  if (!td || !configured) {
    throw refusal(`the stack has no migration task: set migration.efsFileSystemId: ${source.fileSystemId} in the config and deploy (cdk deploy), then run this again`);
  }
  if (td.fileSystemId !== source.fileSystemId || (td.accessPointId ?? undefined) !== source.accessPointId) {
    const deployed = `${td.fileSystemId ?? 'none'}${td.accessPointId ? ` via ${td.accessPointId}` : ''}`;
    throw refusal(`the deployed migration task mounts ${deployed}; set migration.efsFileSystemId${source.accessPointId ? '/efsAccessPointId' : ''} to ${source.fileSystemId}${source.accessPointId ? ` / ${source.accessPointId}` : ''} and deploy first`);
  }
  if (!td.securityGroupId || !td.infrastructureRoleArn || !td.logGroup || !td.logStreamPrefix) {
    throw new CliError(`the migration task definition ${td.arn} lacks its security group, infrastructure role or log settings; deploy this version of the stack again`, EXIT.failure);
  }
  const [mountTargets, subnets] = await Promise.all([deps.migration.mountTargets(source.fileSystemId), deps.migration.subnets(service.subnets)]);
  const groups = await deps.migration.securityGroups([...new Set(mountTargets.flatMap((m) => m.securityGroups))]);
  const verdict = usableSubnets({ fileSystemId: source.fileSystemId, subnets, mountTargets, groups, taskGroup: td.securityGroupId });
  if (!verdict.ok) throw refusal(verdict.message);

  const home = config.controller.home;
  const credits = fs.throughputMode === 'bursting' ? await deps.migration.burstCreditBytes(source.fileSystemId, now) : undefined;
  const estimate = estimateCopy({
    sizeBytes: fs.sizeBytes,
    throughputMode: fs.throughputMode,
    ...(fs.provisionedMiBps !== undefined ? { provisionedMiBps: fs.provisionedMiBps } : {}),
    ...(credits !== undefined ? { burstCreditBytes: credits } : {}),
    volumeThroughputMiBps: home.volumeType === 'gp3' ? (home.throughputMiBps ?? 125) : Infinity,
  });
  say(`migrate ${source.fileSystemId}${source.accessPointId ? ` (access point ${source.accessPointId})` : ''}:${source.path} into a new ${home.volumeType} ${home.sizeGiB} GiB ${home.fileSystem} volume, then seed lineage '${names.lineage}'`);
  for (const line of describeEstimate(source.fileSystemId, fs.sizeBytes, estimate)) say(line);
  if (fs.sizeBytes > home.sizeGiB * 1024 ** 3) {
    throw refusal(`${source.fileSystemId} holds ${(fs.sizeBytes / 1024 ** 3).toFixed(1)} GiB, more than controller.home.sizeGiB (${home.sizeGiB}); raise sizeGiB and deploy first`);
  }
  return async () => {
    const taskArn = await runMigrationTask(deps.migration, { names, home, td, subnets: verdict.subnets, path: source.path });
    say(`migration task ${taskArn} started`);
    const seed = await followMigrationTask(deps.migration, deps.clock, { cluster: names.cluster, taskArn, td, totalBytes: fs.sizeBytes, pollMs, io, quiet: json });
    return { snapshotId: seed, task: taskArn };
  };
}

async function prepareSnapshot(
  deps: MigrateDeps,
  source: Extract<Source, { kind: 'snapshot' }>,
  config: JenkinsEcsConfig,
  deployment: Deployment,
  { say, pollMs, io, json }: Output,
): Promise<() => Promise<{ snapshotId: string; source?: string }>> {
  const home = config.controller.home;
  const snap = await deps.ec2.describeSnapshot(source.snapshotId);
  if (!snap) throw refusal(`snapshot ${source.snapshotId} does not exist in this account and region`);
  if (snap.state !== 'completed') throw refusal(`snapshot ${source.snapshotId} is ${snap.state}; run again once it is completed`);
  if (snap.volumeSizeGiB !== undefined && snap.volumeSizeGiB > home.sizeGiB) {
    throw refusal(`snapshot ${source.snapshotId} is of a ${snap.volumeSizeGiB} GiB volume, larger than controller.home.sizeGiB (${home.sizeGiB}); raise sizeGiB to at least ${snap.volumeSizeGiB} and deploy first`);
  }
  if (source.fsType !== home.fileSystem) {
    throw refusal(`snapshot ${source.snapshotId} holds ${source.fsType} but controller.home.fileSystem is ${home.fileSystem}: ECS cannot start the home from it; set fileSystem: ${source.fsType} and deploy, or copy the files through EFS (--from-efs)`);
  }
  if (snap.lineage === deployment.names.lineage && snap.kind === 'seed') {
    // A seed an earlier run of this command made (copied, or taken by the migration task) but
    // could not enter: it is already the lineage's own, so it enters as it is.
    say(`snapshot ${source.snapshotId} is already a seed of lineage '${deployment.names.lineage}' (left by an earlier migrate): it enters the lineage without another copy`);
    return async () => ({ snapshotId: source.snapshotId, ...(snap.source ? { source: snap.source } : {}) });
  }
  say(`migrate snapshot ${source.snapshotId} (${snap.volumeSizeGiB ?? '?'} GiB, ${source.fsType}): a copy owned by lineage '${deployment.names.lineage}' becomes the seed; yours is left untouched`);
  say('Jenkins runs as uid 1000: the files of the home must be owned by 1000:1000 (chown -R 1000:1000 on the old machine before the snapshot)');
  return async () => ({
    snapshotId: await copySeedSnapshot(deps, { lineage: deployment.names.lineage, snapshotId: source.snapshotId, kmsKeyId: home.kmsKeyArn, pollMs, io, quiet: json }),
    source: source.snapshotId,
  });
}
