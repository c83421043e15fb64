/**
 * Point-in-time restore (docs/protocol.md, "Restore"), run by the operations CLI.
 * Every step checks whether it is already done, so re-running after an interruption finishes the
 * job instead of starting over.
 */
import { liveHolders, primaryDeployment, selectHead } from './decisions.js';
import type { Snapshot } from './model.js';
import type { Clock, Ec2Port, EcsPort, LogEntry, PointerPort } from './ports.js';
import { DEFAULT_RETRY_POLICY, withRetries, type RetryPolicy } from './retry.js';

export type RestoreErrorCode =
  | 'snapshot-not-found'
  | 'not-in-lineage'
  | 'snapshot-pending'
  | 'snapshot-failed'
  | 'service-not-found'
  | 'scale-down-timeout'
  | 'no-snapshot-before';

/** A restore refused or given up; `code` says why (the CLI maps it to a message and exit code). */
export class RestoreError extends Error {
  override readonly name = 'RestoreError';
  constructor(
    readonly code: RestoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type RestoreStep = 'check' | 'scale-down' | 'promote' | 'pointer' | 'scale-up' | 'done';

export interface RestoreDeps {
  readonly ec2: Ec2Port;
  readonly ecs: EcsPort;
  readonly pointer: PointerPort;
  readonly clock: Clock;
  readonly log?: (entry: LogEntry) => void;
}

export interface RestoreOptions {
  readonly lineage: string;
  readonly cluster: string;
  readonly service: string;
  readonly snapshotId: string;
  /** Told about each step; `detail` is a short lowercase sentence for humans. */
  readonly onProgress?: (step: RestoreStep, detail: string) => void;
  /** How long to wait for the running task to stop (and its keeper to request the final snapshot). @default 600000 */
  readonly scaleDownTimeoutMs?: number;
  /** @default 5000 */
  readonly pollMs?: number;
  /** @default DEFAULT_RETRY_POLICY */
  readonly retry?: RetryPolicy;
}

export interface RestoreResult {
  readonly snapshotId: string;
  /** The promoted-at written now, or found from an earlier interrupted run. */
  readonly promotedAt: Date;
  /** False when an earlier run had already promoted the snapshot. */
  readonly promoted: boolean;
  /** True when the service already ran the restored snapshot (nothing left to do). */
  readonly alreadyRestored: boolean;
}

/**
 * The newest `completed` lineage snapshot whose data dates from `time` or earlier (by StartTime,
 * the moment the data was captured; promoted-at is ignored). Ties go to the greater id.
 */
export function pickBefore(snapshots: readonly Snapshot[], time: Date): Snapshot | undefined {
  let best: Snapshot | undefined;
  for (const s of snapshots) {
    if (s.state !== 'completed' || s.startTime.getTime() > time.getTime()) continue;
    if (best === undefined || s.startTime.getTime() > best.startTime.getTime() || (s.startTime.getTime() === best.startTime.getTime() && s.id > best.id)) best = s;
  }
  return best;
}

/** Check that a snapshot can be restored into the lineage; throws a RestoreError otherwise. */
export function checkRestorable(snapshot: Snapshot | undefined, lineage: string, snapshotId: string): Snapshot {
  if (snapshot === undefined) throw new RestoreError('snapshot-not-found', `snapshot ${snapshotId} does not exist`);
  if (snapshot.lineage !== lineage) {
    throw new RestoreError('not-in-lineage', `snapshot ${snapshotId} belongs to lineage '${snapshot.lineage}', not '${lineage}'`);
  }
  if (snapshot.state === 'error') throw new RestoreError('snapshot-failed', `snapshot ${snapshotId} is in state error and holds no usable data`);
  if (snapshot.state !== 'completed') throw new RestoreError('snapshot-pending', `snapshot ${snapshotId} is still ${snapshot.state}; wait until it is completed`);
  return snapshot;
}

export async function restore(deps: RestoreDeps, opts: RestoreOptions): Promise<RestoreResult> {
  const { ec2, ecs, pointer, clock } = deps;
  const progress = opts.onProgress ?? (() => undefined);
  const log = (level: LogEntry['level'], msg: string, fields: Record<string, unknown> = {}): void =>
    deps.log?.({ level, msg, lineage: opts.lineage, snapshot: opts.snapshotId, ...fields });
  const retry = <T>(fn: () => Promise<T>): Promise<T> => withRetries(fn, { clock, policy: opts.retry ?? DEFAULT_RETRY_POLICY });
  const pollMs = opts.pollMs ?? 5_000;
  const id = opts.snapshotId;

  progress('check', `checking ${id}`);
  const chosen = checkRestorable(await retry(() => ec2.describeSnapshot(id)), opts.lineage, id);
  const service = await retry(() => ecs.describeService(opts.cluster, opts.service));
  if (service === undefined) throw new RestoreError('service-not-found', `service ${opts.service} not found in cluster ${opts.cluster}`);

  const lineage = await retry(() => ec2.listLineage(opts.lineage));
  const head = selectHead(lineage);
  if (head?.id === id && chosen.promotedAt !== undefined && primaryDeployment(service)?.snapshotId === id && service.desiredCount >= 1) {
    progress('done', `${id} is already the head and the service runs it`);
    return { snapshotId: id, promotedAt: chosen.promotedAt, promoted: false, alreadyRestored: true };
  }

  // Step 1. Promoting while a keeper still runs would let its final snapshot (newer StartTime)
  // overtake the promotion, so also wait for the holder tag to go: the keeper removes it only
  // after its final snapshot was requested, and ECS deletes the volume when the task stops.
  const alreadyPromoted = head?.id === id && chosen.promotedAt !== undefined;
  if (!alreadyPromoted) {
    if (service.desiredCount !== 0) {
      progress('scale-down', `scaling ${opts.service} to 0`);
      await retry(() => ecs.setDesiredCount(opts.cluster, opts.service, 0));
    }
    const deadline = clock.now().getTime() + (opts.scaleDownTimeoutMs ?? 600_000);
    for (;;) {
      const s = await retry(() => ecs.describeService(opts.cluster, opts.service));
      const holders = liveHolders(opts.lineage, await retry(() => ec2.listHolders(opts.lineage)));
      const tasks = (s?.runningCount ?? 0) + (s?.pendingCount ?? 0);
      if (tasks === 0 && holders.length === 0) break;
      if (clock.now().getTime() + pollMs > deadline) {
        throw new RestoreError('scale-down-timeout', `${opts.service} still had ${tasks} task(s) and ${holders.length} holder volume(s) after ${opts.scaleDownTimeoutMs ?? 600_000} ms`);
      }
      progress('scale-down', `waiting for ${tasks} task(s) to stop`);
      await clock.sleep(pollMs);
    }
  }

  // Step 2. promoted-at must be later than every StartTime in the lineage, final snapshot included.
  let promotedAt: Date;
  if (alreadyPromoted) {
    promotedAt = chosen.promotedAt!;
    progress('promote', `${id} was already promoted at ${promotedAt.toISOString()}`);
  } else {
    const after = await retry(() => ec2.listLineage(opts.lineage));
    const newest = after.reduce((t, s) => Math.max(t, s.startTime.getTime(), s.promotedAt?.getTime() ?? 0), 0);
    promotedAt = new Date(Math.max(clock.now().getTime(), newest + 1));
    await retry(() => ec2.promoteSnapshot(id, promotedAt));
    progress('promote', `${id} promoted at ${promotedAt.toISOString()}; it is now the head`);
    log('info', 'snapshot promoted', { promotedAt: promotedAt.toISOString() });
  }

  // A reconciler run that listed the lineage before the promotion could have pruned the snapshot.
  if ((await retry(() => ec2.describeSnapshot(id))) === undefined) {
    throw new RestoreError('snapshot-not-found', `snapshot ${id} disappeared during the restore (deleted by retention?); pick another snapshot and run the restore again`);
  }

  // Step 3. Pointer first, so a deploy in between launches from the restored snapshot too.
  if ((await retry(() => pointer.getPointer())) !== id) {
    await retry(() => pointer.putPointer(id));
  }
  progress('pointer', `pointer set to ${id}`);
  const now = await retry(() => ecs.describeService(opts.cluster, opts.service));
  if (primaryDeployment(now ?? service)?.snapshotId === id) {
    if ((now ?? service).desiredCount !== 1) await retry(() => ecs.setDesiredCount(opts.cluster, opts.service, 1));
  } else {
    await retry(() => ecs.rollSnapshot(opts.cluster, opts.service, id, { desiredCount: 1 }));
  }
  progress('scale-up', `${opts.service} launching from ${id}`);
  log('info', 'restore requested', { promotedAt: promotedAt.toISOString() });
  progress('done', `restore to ${id} requested`);
  return { snapshotId: id, promotedAt, promoted: !alreadyPromoted, alreadyRestored: false };
}
