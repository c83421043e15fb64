/**
 * Point-in-time restore (docs/protocol.md, "Restore"), run by the operations CLI, as an operation
 * of the lineage record: begin (no holder can be granted from then on), scale the service to 0,
 * wait until the holder has registered its final snapshot and released (or ECS reports its task
 * STOPPED, then fence it), promote the chosen member to head and launch in one conditional write,
 * launch the service from it, end the operation. Every step checks whether it is already done, so
 * re-running after an interruption resumes the operation recorded in the record.
 */
import { randomUUID } from 'node:crypto';
import { commit, RECORD_RETRYABLE, type CommitOptions } from './commit.js';
import { primaryDeployment } from './decisions.js';
import { isGone } from './keeper.js';
import type { Snapshot } from './model.js';
import type { Clock, Ec2Port, EcsPort, LogEntry } from './ports.js';
import type { LineageRecord, RecordPort } from './record.js';
import { DEFAULT_RETRY_POLICY, withRetries, type RetryPolicy } from './retry.js';
import { advanceOperation, beginOperation, endOperation, fence, promote, type Outcome } from './transitions.js';

export type RestoreErrorCode =
  | 'snapshot-not-found'
  | 'not-in-lineage'
  | 'snapshot-pending'
  | 'snapshot-failed'
  | 'service-not-found'
  | 'scale-down-timeout'
  | 'no-snapshot-before'
  | 'no-record'
  | 'operation-in-progress';

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

export type RestoreStep = 'check' | 'begin' | 'scale-down' | 'promote' | 'scale-up' | 'done';

export interface RestoreDeps {
  readonly ec2: Ec2Port;
  readonly ecs: EcsPort;
  readonly record: RecordPort;
  readonly clock: Clock;
  readonly log?: (entry: LogEntry) => void;
}

export interface RestoreOptions {
  readonly lineage: string;
  readonly cluster: string;
  readonly service: string;
  readonly snapshotId: string;
  /** Told about each step; `detail` is a short lowercase sentence for humans naming what it waits for. */
  readonly onProgress?: (step: RestoreStep, detail: string) => void;
  /** How long to wait for the holder to register its final snapshot and release. @default 600000 */
  readonly scaleDownTimeoutMs?: number;
  /** @default 5000 */
  readonly pollMs?: number;
  /** @default DEFAULT_RETRY_POLICY */
  readonly retry?: RetryPolicy;
  /** Id of a new operation. @default a random UUID */
  readonly operationId?: string;
}

export interface RestoreResult {
  readonly snapshotId: string;
  /** The record's seq after the promotion (its place in the lineage's order). */
  readonly seq: number;
  /** True when an interrupted restore recorded in the record was resumed. */
  readonly resumed: boolean;
  /** True when the lineage already ran the restored snapshot (nothing left to do). */
  readonly alreadyRestored: boolean;
}

/**
 * The newest `completed` snapshot whose data dates from `time` or earlier (by EC2's StartTime,
 * the moment the data was captured). Ties go to the greater id. Callers pass record members only.
 */
export function pickBefore(snapshots: readonly Snapshot[], time: Date): Snapshot | undefined {
  let best: Snapshot | undefined;
  for (const s of snapshots) {
    if (s.state !== 'completed' || s.startTime.getTime() > time.getTime()) continue;
    if (best === undefined || s.startTime.getTime() > best.startTime.getTime() || (s.startTime.getTime() === best.startTime.getTime() && s.id > best.id)) best = s;
  }
  return best;
}

/**
 * Check that a snapshot can be restored: it is a member of the record (a snapshot the protocol
 * wrote; a tag says nothing) and completed when read by id. Throws a RestoreError otherwise.
 */
export function checkRestorable(snapshot: Snapshot | undefined, record: LineageRecord | undefined, lineage: string, snapshotId: string): Snapshot {
  if (snapshot === undefined) throw new RestoreError('snapshot-not-found', `snapshot ${snapshotId} does not exist`);
  if (record === undefined) throw new RestoreError('no-record', `lineage '${lineage}' has no record yet, so it has no snapshot the protocol recorded`);
  if (!record.snapshots.some((e) => e.snapshotId === snapshotId)) {
    throw new RestoreError('not-in-lineage', `snapshot ${snapshotId} is not in the record of lineage '${lineage}' (only snapshots the protocol took can be restored)`);
  }
  if (snapshot.state === 'error') throw new RestoreError('snapshot-failed', `snapshot ${snapshotId} is in state error and holds no usable data`);
  if (snapshot.state !== 'completed') throw new RestoreError('snapshot-pending', `snapshot ${snapshotId} is still ${snapshot.state}; wait until it is completed`);
  return snapshot;
}

/** The command that resumes an interrupted restore (what `status` prints). */
export function resumeCommand(target: string | undefined, name: string): string {
  return `jenkins-ecs restore ${target ?? '<snapshot-id>'} --name ${name}`;
}

export async function restore(deps: RestoreDeps, opts: RestoreOptions): Promise<RestoreResult> {
  const { ec2, ecs, clock } = deps;
  const progress = opts.onProgress ?? (() => undefined);
  const log = (level: LogEntry['level'], msg: string, fields: Record<string, unknown> = {}): void => deps.log?.({ level, msg, lineage: opts.lineage, snapshot: opts.snapshotId, ...fields });
  const policy = opts.retry ?? DEFAULT_RETRY_POLICY;
  const retry = <T>(fn: () => Promise<T>): Promise<T> => withRetries(fn, { clock, policy });
  const copts: CommitOptions = { clock, retry: policy };
  const read = (): Promise<LineageRecord | undefined> => withRetries(() => deps.record.read(opts.lineage), { clock, policy, retryable: RECORD_RETRYABLE });
  const write = async (decide: (r: LineageRecord) => Outcome): Promise<LineageRecord> => {
    const { outcome } = await commit(deps.record, opts.lineage, (r) => (r ? decide(r) : { ok: false, code: 'nothing-to-do', reason: 'the record is gone' }), copts);
    if (!outcome.ok) throw new RestoreError(outcome.code === 'operation' ? 'operation-in-progress' : 'not-in-lineage', outcome.reason);
    return outcome.record;
  };
  const pollMs = opts.pollMs ?? 5_000;
  const id = opts.snapshotId;

  progress('check', `checking ${id}`);
  const first = await read();
  checkRestorable(await retry(() => ec2.describeSnapshot(id)), first, opts.lineage, id);
  let rec: LineageRecord = first!;
  const service = await retry(() => ecs.describeService(opts.cluster, opts.service));
  if (service === undefined) throw new RestoreError('service-not-found', `service ${opts.service} not found in cluster ${opts.cluster}`);
  const op = rec.operation;
  if (op !== undefined && op.kind !== 'restore') throw new RestoreError('operation-in-progress', `a ${op.kind} (${op.id}) is in progress; run the restore once it has finished`);
  if (op === undefined && rec.head?.snapshotId === id && rec.head.kind === 'restore' && rec.launch === id && primaryDeployment(service)?.snapshotId === id && service.desiredCount >= 1) {
    progress('done', `${id} is already the restored head and the service runs it`);
    return { snapshotId: id, seq: rec.seq, resumed: false, alreadyRestored: true };
  }

  // Begin, or resume the restore the record names (re-running the command after an interruption).
  const resumed = op !== undefined;
  const opId = op?.id ?? opts.operationId ?? randomUUID();
  if (resumed) {
    progress('begin', `resuming the interrupted restore ${opId} (stopped at step '${op.step ?? 'begun'}', target ${op.target ?? 'none'})`);
    if (op.step !== 'promoted' || op.target !== id) rec = await write((r) => advanceOperation(r, { id: opId, step: 'begun', target: id }));
  } else {
    rec = await write((r) => beginOperation(r, { kind: 'restore', id: opId, target: id }));
    progress('begin', `restore ${opId} recorded; no task can hold the lineage until it ends`);
  }

  if (rec.operation?.step !== 'promoted') {
    if ((await retry(() => ecs.describeService(opts.cluster, opts.service)))?.desiredCount !== 0) {
      progress('scale-down', `scaling ${opts.service} to 0`);
      await retry(() => ecs.setDesiredCount(opts.cluster, opts.service, 0));
    }
    // Wait for the holder to register its final snapshot and release, or fence it once ECS
    // reports its task STOPPED. Then promote; a refusal (a holder appeared) goes round again.
    const timeout = opts.scaleDownTimeoutMs ?? 600_000;
    const deadline = clock.now().getTime() + timeout;
    for (;;) {
      rec = (await read())!;
      const holder = rec.holder;
      if (holder === undefined) {
        const { outcome } = await commit(deps.record, opts.lineage, (r) => (r ? promote(r, { id: opId, snapshotId: id }) : { ok: false, code: 'nothing-to-do', reason: 'no record' }), copts);
        if (outcome.ok) {
          rec = outcome.record;
          break;
        }
        if (outcome.code !== 'held') throw new RestoreError(outcome.code === 'operation' ? 'operation-in-progress' : 'not-in-lineage', outcome.reason);
        continue;
      }
      const status = await retry(() => ecs.taskStatus(opts.cluster, holder.taskArn));
      if (isGone(status)) {
        await commit(deps.record, opts.lineage, (r) => (r ? fence(r, holder) : { ok: false, code: 'not-holder', reason: 'no record' }), copts);
        progress('scale-down', `task ${holder.taskArn} is ${status}; its lease is fenced`);
        continue;
      }
      if (clock.now().getTime() + pollMs > deadline) {
        throw new RestoreError('scale-down-timeout', `task ${holder.taskArn} (volume ${holder.volumeId}) still held the lineage after ${timeout} ms (ECS status ${status})`);
      }
      progress('scale-down', `waiting for task ${holder.taskArn} (holder, ECS status ${status}) to register its final snapshot and release the lineage`);
      await clock.sleep(pollMs);
    }
    progress('promote', `${id} is the head (seq ${rec.seq}) and the launch snapshot`);
    log('info', 'snapshot promoted', { seq: rec.seq });
  } else {
    progress('promote', `${id} was already promoted (seq ${rec.seq})`);
  }

  const now = await retry(() => ecs.describeService(opts.cluster, opts.service));
  if (primaryDeployment(now ?? service)?.snapshotId === id) {
    if ((now ?? service).desiredCount !== 1) await retry(() => ecs.setDesiredCount(opts.cluster, opts.service, 1));
  } else {
    await retry(() => ecs.rollSnapshot(opts.cluster, opts.service, id, { desiredCount: 1 }));
  }
  progress('scale-up', `${opts.service} launching from ${id}`);
  const seq = rec.seq;
  await write((r) => endOperation(r, opId));
  log('info', 'restore requested', { seq });
  progress('done', `restore to ${id} requested`);
  return { snapshotId: id, seq, resumed, alreadyRestored: false };
}
