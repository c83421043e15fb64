/**
 * The migration task's job: copy the old home (an EFS mount, read-only) into the task's fresh
 * ECS-managed EBS volume, verify the copy, flush it, snapshot the volume as kind=seed and wait
 * until the snapshot is completed. The volume is deleted with the task (RunTask
 * deleteOnTermination), so the task only exits once the snapshot no longer needs it. Every step
 * prints one JSON line (events.ts) that `jenkins-ecs migrate` follows in the task's log stream.
 * Registering the seed in the lineage record is the CLI's job, not the task's: the task role
 * never touches the record.
 */
import { lstat, readdir } from 'node:fs/promises';
import { isAbsolute, join, normalize } from 'node:path';
import type { Clock, Ec2Port, EcsPort } from '../continuity/ports.js';
import { copyTree } from './copy.js';
import { MIGRATE_ENV, MIGRATE_MOUNTS, type MigrationEvent, type SeedEvent } from './events.js';
import { verifyCopy } from './verify.js';

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

export interface MigrationSettings {
  readonly lineage: string;
  readonly cluster: string;
  readonly taskArn: string;
  /** The directory to copy: the source mount plus `--path`. */
  readonly source: string;
  /** The fresh home volume's mount point. */
  readonly target: string;
  /** @default 256 */
  readonly sampleFiles?: number;
  /** @default 12 h: a first snapshot of a large volume can take hours (docs/aws-facts.md). */
  readonly snapshotTimeoutMs?: number;
  /** @default 15 s */
  readonly pollMs?: number;
  /** @default 10 s */
  readonly progressIntervalMs?: number;
  /** @default 'rsync' on PATH */
  readonly rsync?: string;
}

export interface MigrationDeps {
  readonly ec2: Ec2Port;
  readonly ecs: EcsPort;
  readonly clock: Clock;
  /** `sync -f <path>`. */
  readonly sync: (path: string) => Promise<void>;
  /** One output line (stdout → the task's log stream). */
  readonly print: (line: string) => void;
}

/** Reads the container's environment; every problem at once. */
export function readMigrationSettings(env: NodeJS.ProcessEnv, task: { taskArn: string; cluster?: string }): MigrationSettings {
  const problems: string[] = [];
  const lineage = env[MIGRATE_ENV.lineage];
  if (!lineage) problems.push(`${MIGRATE_ENV.lineage} is required (the lineage id)`);
  const cluster = env[MIGRATE_ENV.cluster] || task.cluster;
  if (!cluster) problems.push(`no cluster: set ${MIGRATE_ENV.cluster} or run where task metadata has Cluster`);
  const sub = env[MIGRATE_ENV.sourcePath] || '/';
  const rel = normalize(sub.replace(/^\/+/, '') || '.').replace(/\/+$/, '') || '.';
  if (rel === '..' || rel.startsWith('../')) problems.push(`${MIGRATE_ENV.sourcePath} "${sub}" leaves the file system; give a path inside it, e.g. /jenkins`);
  const count = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) problems.push(`${name} must be a positive whole number, got "${raw}"`);
    return n;
  };
  const sampleFiles = count(MIGRATE_ENV.sampleFiles);
  const timeoutMinutes = count(MIGRATE_ENV.snapshotTimeoutMinutes);
  const mount = env[MIGRATE_ENV.sourceMount] || MIGRATE_MOUNTS.source;
  const target = env[MIGRATE_ENV.target] || MIGRATE_MOUNTS.target;
  for (const [name, p] of [[MIGRATE_ENV.sourceMount, mount], [MIGRATE_ENV.target, target]] as const) {
    if (!isAbsolute(p)) problems.push(`${name} must be an absolute path, got "${p}"`);
  }
  if (problems.length > 0) throw new MigrationError(`migration environment is invalid: ${problems.join('; ')}`);
  return {
    lineage: lineage!,
    cluster: cluster!,
    taskArn: task.taskArn,
    source: rel === '.' ? mount : join(mount, rel),
    target,
    ...(sampleFiles ? { sampleFiles } : {}),
    ...(timeoutMinutes ? { snapshotTimeoutMs: timeoutMinutes * 60_000 } : {}),
  };
}

/** ext4 creates lost+found; anything else on the fresh volume means it is not fresh. */
async function requireEmptyTarget(target: string): Promise<void> {
  const names = (await readdir(target)).filter((n) => n !== 'lost+found');
  if (names.length > 0) throw new MigrationError(`the home volume at ${target} is not empty (${names.slice(0, 3).join(', ')}); a migration copies into a fresh volume only`);
}

async function requireDirectory(source: string): Promise<void> {
  const stats = await lstat(source).catch(() => undefined);
  if (!stats?.isDirectory()) throw new MigrationError(`${source} is not a directory on the source file system; check --path`);
}

export async function runMigration(deps: MigrationDeps, settings: MigrationSettings): Promise<SeedEvent> {
  const emit = (event: MigrationEvent) => deps.print(JSON.stringify(event));
  await requireDirectory(settings.source);
  await requireEmptyTarget(settings.target);

  emit({ msg: 'phase', phase: 'copy' });
  await copyTree(settings.source, settings.target, { rsync: settings.rsync, intervalMs: settings.progressIntervalMs ?? 10_000, onProgress: emit });

  emit({ msg: 'phase', phase: 'verify' });
  const result = await verifyCopy(settings.source, settings.target, { sampleFiles: settings.sampleFiles ?? 256 });
  if (!result.ok) {
    const shown = result.mismatches.slice(0, 5).map((m) => `${m.path}: ${m.what} ${m.source} != ${m.target}`);
    throw new MigrationError(`the copy does not match the source (${result.mismatches.length}${result.mismatches.length >= 20 ? '+' : ''} differences): ${shown.join('; ')}`);
  }
  emit({ msg: 'verified', counts: result.target, sampledFiles: result.sampledFiles, sampledBytes: result.sampledBytes });

  emit({ msg: 'phase', phase: 'sync' });
  await deps.sync(settings.target);

  emit({ msg: 'phase', phase: 'snapshot' });
  const volumeId = await ownVolume(deps, settings);
  const started = await deps.ec2.createSnapshot(
    volumeId,
    { lineage: settings.lineage, kind: 'seed', task: settings.taskArn },
    `jenkins-ecs seed of lineage ${settings.lineage} (migrated home)`,
  );
  await waitCompleted(deps, started.id, settings);
  const seed: SeedEvent = { msg: 'seed', snapshotId: started.id, volumeId };
  emit(seed);
  return seed;
}

/** The task's EBS attachment names its volume once ECS has created it; the task runs, so it has. */
async function ownVolume(deps: MigrationDeps, settings: MigrationSettings): Promise<string> {
  const pollMs = settings.pollMs ?? 15_000;
  for (let attempt = 1; ; attempt++) {
    const attachment = await deps.ecs.describeVolumeAttachment(settings.cluster, settings.taskArn);
    if (attachment?.volumeId) return attachment.volumeId;
    if (attempt >= 8) throw new MigrationError(`DescribeTasks reports no EBS volume for ${settings.taskArn}; was the task started with a volume configuration?`);
    await deps.clock.sleep(pollMs);
  }
}

async function waitCompleted(deps: MigrationDeps, snapshotId: string, settings: MigrationSettings): Promise<void> {
  const pollMs = settings.pollMs ?? 15_000;
  const deadline = deps.clock.now().getTime() + (settings.snapshotTimeoutMs ?? 12 * 3_600_000);
  for (;;) {
    // Undefined right after CreateSnapshot: EC2 reads are eventually consistent (docs/aws-facts.md).
    const s = await deps.ec2.describeSnapshot(snapshotId);
    if (s?.state === 'completed') return;
    if (s?.state === 'error') throw new MigrationError(`seed snapshot ${snapshotId} ended in error; run the migration again`);
    if (deps.clock.now().getTime() >= deadline) {
      throw new MigrationError(`seed snapshot ${snapshotId} is still ${s?.state ?? 'not visible'} at ${s?.progress ?? '0%'} when the task's wait ran out; the volume goes with the task, so run the migration again`);
    }
    await deps.clock.sleep(pollMs);
  }
}
