/**
 * The reconciler's procedure (docs/protocol.md, "Reconciler"). The Lambda handler
 * (src/reconciler/handler.ts) calls {@link reconcile} with AWS adapters; the simulator calls it
 * with in-memory ports.
 *
 * Safe under concurrent and reordered invocations (EventBridge delivers at least once, in any
 * order; no reserved concurrency): every change is a transition of the record, written once with a
 * condition on the `seq` it was decided on. Of two invocations deciding the same roll, only the one
 * whose write lands calls UpdateService; a snapshot is deleted only by the invocation whose write
 * took it out of the record.
 */
import { commit, RECORD_RETRYABLE, type CommitOptions } from './commit.js';
import { deploymentSnapshotIds, planRetention, primaryDeployment } from './decisions.js';
import { ensureRecord } from './ensure-record.js';
import { isGone } from './keeper.js';
import type { ServiceState, Snapshot, SnapshotKind } from './model.js';
import type { Clock, Ec2Port, EcsPort, LogEntry, MetricUnit } from './ports.js';
import type { LineageRecord, RecordPort } from './record.js';
import { awsErrorCode, DEFAULT_RETRY_POLICY, withRetries, type RetryPolicy } from './retry.js';
import { METRICS } from './settings.js';
import { adoptLaunch, dropFailed, endSupersededLaunch, fence, orphanedHandoff, protectedIds, prune, roll, validHandoff } from './transitions.js';

export interface ReconcilerDeps {
  readonly ec2: Ec2Port;
  readonly ecs: EcsPort;
  readonly record: RecordPort;
  readonly clock: Clock;
  readonly log: (entry: LogEntry) => void;
  /** One metric value; the Lambda prints it as an embedded-metric-format line. */
  readonly metric: (name: string, value: number, unit: MetricUnit) => void;
}

export interface ReconcilerConfig {
  readonly lineage: string;
  readonly cluster: string;
  readonly service: string;
  readonly keepLast: number;
  readonly keepDailyDays: number;
  /** Kinds retention may delete. @default ['periodic', 'final'] */
  readonly pruneKinds?: readonly SnapshotKind[];
  /** @default DEFAULT_RETRY_POLICY */
  readonly retry?: RetryPolicy;
  /**
   * A roll whose UpdateService never showed up in the service after this long (by this
   * invocation's clock, against the roll writer's) is issued again. Above the Lambda timeout.
   * @default 180000
   */
  readonly rollLeaseMs?: number;
  /** Bootstrap of a v0.1 lineage: pause between its two listings. @default 20000 */
  readonly bootstrapSettleMs?: number;
}

/** Snapshot deletions that may fail harmlessly (already gone, or in use by an AMI or a volume being created). */
const DELETE_TOLERATED = ['InvalidSnapshot.NotFound', 'InvalidSnapshot.InUse'];

export type RecordRollDecision =
  | { readonly action: 'nothing'; readonly reason: 'no-service' | 'no-head' | 'head-pending' | 'live-holder' | 'operation' | 'rollout-in-progress' | 'up-to-date' | 'roll-in-flight' }
  | { readonly action: 'adopt'; readonly snapshotId: string }
  | { readonly action: 'roll' | 'reroll'; readonly snapshotId: string; readonly from?: string };

export interface RollInput {
  readonly record: LineageRecord;
  /** State of the head, read by id. */
  readonly headState?: Snapshot['state'];
  readonly service?: ServiceState;
  readonly now: Date;
  readonly rollLeaseMs: number;
}

/**
 * Whether to move the service to the head. Never with a holder or an operation, never to a head
 * that is not `completed` (read by id), and never twice for one roll: a roll already written is
 * issued again only if no deployment shows it after the lease (its writer died in between).
 */
export function decideRecordRoll(input: RollInput): RecordRollDecision {
  const { record, service } = input;
  if (service === undefined) return { action: 'nothing', reason: 'no-service' };
  const head = record.head;
  if (head === undefined) return { action: 'nothing', reason: 'no-head' };
  if (record.holder !== undefined) return { action: 'nothing', reason: 'live-holder' };
  if (record.operation !== undefined) return { action: 'nothing', reason: 'operation' };
  const current = primaryDeployment(service)?.snapshotId;
  // A handoff's base with its delta is the head's home (docs/design/handoff.md): a service that
  // launches from it is on the head. Rolling it to the final snapshot would replace the task the
  // handover just started; should its keeper fail to apply the delta, it drops the handoff and the
  // next decision rolls. Orphaned (the final failed), the base is where the lineage continues.
  const handoff = validHandoff(record);
  const orphan = orphanedHandoff(record);
  if (!orphan && input.headState !== 'completed') return { action: 'nothing', reason: 'head-pending' };
  const target = orphan ? handoff!.base : head.snapshotId;
  if (current === target || (handoff !== undefined && current === handoff.base)) {
    return record.launch === current ? { action: 'nothing', reason: 'up-to-date' } : { action: 'adopt', snapshotId: current };
  }
  if (!orphan && service.deployments.some((d) => d.snapshotId === target && d.status === 'ACTIVE' && d.rolloutState === 'IN_PROGRESS')) return { action: 'nothing', reason: 'rollout-in-progress' };
  const from = current === undefined ? {} : { from: current };
  if (record.launch !== target || record.roll?.snapshotId !== target) return { action: 'roll', snapshotId: target, ...from };
  const age = input.now.getTime() - Date.parse(record.roll.at);
  return age > input.rollLeaseMs ? { action: 'reroll', snapshotId: target, ...from } : { action: 'nothing', reason: 'roll-in-flight' };
}

export interface ReconcileReport {
  readonly head?: string;
  readonly headState?: string;
  /** Seconds since the head's StartTime (EC2's clock, read by id). */
  readonly headAgeSeconds?: number;
  readonly decision: RecordRollDecision;
  readonly rolled: boolean;
  /** The holder removed because ECS reported its task STOPPED. */
  readonly fenced?: string;
  /**
   * A roll replaced a task that was running without holding the lineage: a task waiting at the
   * gate (STALE). This is how the reconciler counts stale starts (metric StaleStarts).
   */
  readonly staleStarts: number;
  readonly pruned: readonly string[];
  /** Recorded snapshots found in `error` (or gone) and taken out of the record. */
  readonly snapshotFailures: readonly string[];
}

/** One reconciliation: record → fence → head state → roll → retention → metrics. */
export async function reconcile(deps: ReconcilerDeps, cfg: ReconcilerConfig): Promise<ReconcileReport> {
  const { ec2, ecs, clock } = deps;
  const policy = cfg.retry ?? DEFAULT_RETRY_POLICY;
  const log = (level: LogEntry['level'], msg: string, fields: Record<string, unknown> = {}): void => deps.log({ level, msg, lineage: cfg.lineage, ...fields });
  const onRetry = ({ attempt, code, delayMs }: { attempt: number; code: string; delayMs: number }): void => log('warn', 'aws call throttled or failed, retrying', { attempt, code, delayMs });
  const retry = <T>(fn: () => Promise<T>): Promise<T> => withRetries(fn, { clock, policy, onRetry });
  const copts: CommitOptions = { clock, retry: policy, onRetry };
  const write = (decide: Parameters<typeof commit>[2]) => commit(deps.record, cfg.lineage, decide, copts);

  const service = await retry(() => ecs.describeService(cfg.cluster, cfg.service));
  if (service === undefined) log('info', 'controller service not found (not created yet?); record work and retention only', { cluster: cfg.cluster, service: cfg.service });
  let record = await withRetries(() => deps.record.read(cfg.lineage), { clock, policy, retryable: RECORD_RETRYABLE, onRetry });
  record ??= await ensureRecord(
    { ec2, record: deps.record, log },
    { ...copts, lineage: cfg.lineage, settleMs: cfg.bootstrapSettleMs ?? 20_000, ...(service && primaryDeployment(service)?.snapshotId ? { launch: primaryDeployment(service)!.snapshotId! } : {}) },
  );
  const failures: string[] = [];
  let fenced: string | undefined;
  if (record === undefined) {
    emit(deps, undefined, 0, 0, 0, 0);
    return { decision: { action: 'nothing', reason: 'no-head' }, rolled: false, staleStarts: 0, pruned: [], snapshotFailures: [] };
  }

  // Fence a holder whose task ECS reports STOPPED (DescribeTasks by ARN): nothing of it can write.
  const holder = record.holder;
  if (holder !== undefined && isGone(await retry(() => ecs.taskStatus(cfg.cluster, holder.taskArn)))) {
    const res = await write((r) => (r ? fence(r, holder) : { ok: false, code: 'not-holder', reason: 'no record' }));
    if (res.wrote) {
      fenced = holder.taskArn;
      log('info', 'holder fenced: its task is STOPPED', { task: holder.taskArn, token: holder.token });
    }
    if (res.outcome.ok) record = res.outcome.record;
  }

  // A handover's launch that another deployment superseded (a change set applied after the
  // handover, a manual update): its operation would wait forever for an acquire from its target.
  // Decided on the record in hand first: the write (and its read) only when there is something to end.
  const primary = service === undefined ? undefined : primaryDeployment(service);
  const superseded = endSupersededLaunch(record, primary);
  if (superseded.ok && superseded.unchanged !== true && record.operation !== undefined) {
    const op = record.operation;
    const res = await write((r) => (r ? endSupersededLaunch(r, primary) : { ok: false, code: 'nothing-to-do', reason: 'no record' }));
    if (res.wrote) log('warn', 'ended the handover whose launch another deployment superseded; rolling to the head as after any deployment', { operation: op.id, target: op.target ?? null, deployment: primary?.id ?? null, from: primary?.snapshotId ?? null });
    // Before the head's state is read: the write re-read the record, whose head may have moved.
    if (res.outcome.ok) record = res.outcome.record;
  }
  // The head's state, read by id. A failed (or vanished) head is dropped; the previous entry takes over.
  let head: Snapshot | undefined;
  for (;;) {
    const id = record.head?.snapshotId;
    if (id === undefined) break;
    head = await describeCreated(ec2, id, clock, retry);
    if (head !== undefined && head.state !== 'error') break;
    const res = await write((r) => (r ? dropFailed(r, id) : { ok: false, code: 'not-head', reason: 'no record' }));
    if (res.wrote) {
      failures.push(id);
      log('error', 'snapshot failed', { snapshot: id, kind: record.head?.kind ?? null, task: record.head?.task ?? null, state: head?.state ?? 'missing' });
      // Out of the record by this invocation's write: it holds nothing usable, delete it.
      if (head !== undefined) await deleteTolerant(ec2, id, retry, log);
    }
    head = undefined;
    record = res.outcome.ok ? res.outcome.record : ((await retry(() => deps.record.read(cfg.lineage))) ?? record);
  }
  const now = clock.now();
  const headAgeSeconds = head ? Math.max(0, Math.round((now.getTime() - head.startTime.getTime()) / 1000)) : undefined;

  const decision = decideRecordRoll({ record, ...(head ? { headState: head.state } : {}), ...(service ? { service } : {}), now, rollLeaseMs: cfg.rollLeaseMs ?? 180_000 });
  let rolled = false;
  let staleStarts = 0;
  if (decision.action === 'adopt') {
    const res = await write((r) => (r ? adoptLaunch(r, decision.snapshotId) : { ok: false, code: 'not-member', reason: 'no record' }));
    if (res.outcome.ok) record = res.outcome.record;
  } else if (decision.action === 'roll' || decision.action === 'reroll') {
    const seen = record.seq;
    const res = await write((r) => {
      if (r === undefined) return { ok: false, code: 'nothing-to-do', reason: 'no record' };
      // Somebody else wrote since this decision: only the invocation whose write lands rolls.
      if (decision.action === 'reroll' ? r.seq !== seen : r.roll?.snapshotId === decision.snapshotId && r.roll.seq > seen) {
        return { ok: false, code: 'nothing-to-do', reason: 'another invocation rolled meanwhile' };
      }
      return roll(r, { headCompleted: r.head?.snapshotId === decision.snapshotId, at: clock.now() });
    });
    if (res.wrote) {
      record = res.outcome.ok ? res.outcome.record : record;
      await retry(() => ecs.rollSnapshot(cfg.cluster, cfg.service, decision.snapshotId));
      rolled = true;
      // rolls happen only without a holder, so a running task is one waiting at the gate.
      if (service!.runningCount > 0) staleStarts = 1;
      log('info', 'rolled the service to the head', { snapshot: decision.snapshotId, from: decision.from ?? null, reissued: decision.action === 'reroll', staleTaskReplaced: staleStarts > 0 });
    } else {
      log('info', 'roll not written; leaving it to the invocation that wrote', { snapshot: decision.snapshotId, reason: res.outcome.ok ? 'unchanged' : res.outcome.reason });
    }
  } else {
    log('info', 'reconciled', { decision: decision.action, ...('reason' in decision ? { reason: decision.reason } : {}), snapshot: head?.id ?? null });
  }

  const pruned = head?.state === 'completed' ? await retention(deps, cfg, record, head, service, now, failures, retry, write, log) : [];
  emit(deps, headAgeSeconds, rolled ? 1 : 0, staleStarts, pruned.length, failures.length);
  return {
    ...(head ? { head: head.id, headState: head.state } : {}),
    ...(headAgeSeconds !== undefined ? { headAgeSeconds } : {}),
    decision,
    rolled,
    ...(fenced ? { fenced } : {}),
    staleStarts,
    pruned,
    snapshotFailures: failures,
  };
}

/** DescribeSnapshots by id; right after CreateSnapshot EC2 may answer NotFound for a moment. */
async function describeCreated(ec2: Ec2Port, id: string, clock: Clock, retry: <T>(fn: () => Promise<T>) => Promise<T>): Promise<Snapshot | undefined> {
  for (let attempt = 1; ; attempt++) {
    const s = await retry(() => ec2.describeSnapshot(id));
    if (s !== undefined || attempt >= 4) return s;
    await clock.sleep(2_000 * attempt);
  }
}

/**
 * Retention over the record's members only (foreign snapshots are never seen here). Candidates are
 * read by id; what retention keeps follows planRetention; entries are taken out of the record in
 * one conditional write first, and only the ids that write removed are deleted.
 */
async function retention(
  deps: ReconcilerDeps,
  cfg: ReconcilerConfig,
  record: LineageRecord,
  head: Snapshot,
  service: ServiceState | undefined,
  now: Date,
  failures: string[],
  retry: <T>(fn: () => Promise<T>) => Promise<T>,
  write: (decide: Parameters<typeof commit>[2]) => ReturnType<typeof commit>,
  log: (level: LogEntry['level'], msg: string, fields?: Record<string, unknown>) => void,
): Promise<string[]> {
  const referenced = service ? deploymentSnapshotIds(service) : new Set<string>();
  const keep = protectedIds(record, referenced);
  const candidates = record.snapshots.filter((e) => !keep.has(e.snapshotId));
  if (candidates.length === 0) return [];
  const described: Snapshot[] = [];
  const gone: string[] = [];
  for (const e of candidates) {
    const s = await retry(() => deps.ec2.describeSnapshot(e.snapshotId));
    if (s === undefined) gone.push(e.snapshotId);
    else if (s.state === 'error') failures.push(e.snapshotId);
    // The kind comes from the record, the time from EC2 (StartTime): no tag is trusted.
    else described.push({ id: s.id, state: s.state, startTime: s.startTime, lineage: cfg.lineage, kind: e.kind });
  }
  // The (completed) head goes in too, so planRetention's fallback is the head and keepLast counts only older members.
  const plan = planRetention({ snapshots: [{ ...head, kind: record.head!.kind }, ...described], head, referenced: keep, now, keepLast: cfg.keepLast, keepDailyDays: cfg.keepDailyDays, ...(cfg.pruneKinds ? { pruneKinds: cfg.pruneKinds } : {}) });
  const ids = [...plan.delete.map((s) => s.id), ...failures.filter((id) => candidates.some((e) => e.snapshotId === id)), ...gone];
  if (ids.length === 0) return [];
  const res = await write((r) => (r ? prune(r, ids, referenced) : { ok: false, code: 'nothing-to-do', reason: 'no record' }));
  if (!res.wrote || !res.outcome.ok) return [];
  const pruned: string[] = [];
  for (const id of res.outcome.removed ?? []) {
    if (!gone.includes(id) && (await deleteTolerant(deps.ec2, id, retry, log))) pruned.push(id);
  }
  if (pruned.length > 0) log('info', 'retention pruned snapshots', { count: pruned.length, snapshots: pruned });
  return pruned;
}

/** DeleteSnapshot, tolerating a snapshot already gone or in use; true when it was deleted. */
async function deleteTolerant(ec2: Ec2Port, id: string, retry: <T>(fn: () => Promise<T>) => Promise<T>, log: (level: LogEntry['level'], msg: string, fields?: Record<string, unknown>) => void): Promise<boolean> {
  try {
    await retry(() => ec2.deleteSnapshot(id));
    return true;
  } catch (err) {
    const code = awsErrorCode(err) ?? 'unknown';
    if (!DELETE_TOLERATED.includes(code)) throw err;
    log('warn', 'snapshot not deleted', { snapshot: id, code });
    return false;
  }
}

function emit(deps: ReconcilerDeps, headAge: number | undefined, rolls: number, stale: number, pruned: number, failures: number): void {
  if (headAge !== undefined) deps.metric(METRICS.headAgeSeconds, headAge, 'Seconds');
  deps.metric(METRICS.rolls, rolls, 'Count');
  deps.metric(METRICS.staleStarts, stale, 'Count');
  deps.metric(METRICS.snapshotsPruned, pruned, 'Count');
  deps.metric(METRICS.snapshotFailures, failures, 'Count');
}
