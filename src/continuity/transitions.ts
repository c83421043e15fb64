/**
 * The lineage record's transitions (docs/protocol.md, "The record"; contract in
 * docs/design/lineage-record.md). Each is a pure function `(record, input) → next | refusal`:
 * no clock, no I/O. A caller writes `next` with one conditional write on `record.seq`
 * ({@link commit} in commit.ts) and, when somebody else wrote first, reads again and decides again.
 *
 * Every function checks its own precondition on the record it is given; facts the record cannot
 * know (a task reported STOPPED by ECS, a snapshot's state read by id) are inputs the caller read
 * by id just before deciding.
 */
import { awaitsHandoff } from './handoff.js';
import { effectiveTime, type Snapshot, type SnapshotKind, type Volume } from './model.js';
import type { DeltaRef } from './ports.js';
import { LAUNCH_HISTORY, RECORD_FORMAT, type Holder, type LineageRecord, type OperationKind, type RecordedSnapshot } from './record.js';

export type RefusalCode =
  | 'format'
  | 'held'
  | 'stale'
  | 'operation'
  | 'fenced'
  | 'not-holder'
  | 'not-head'
  | 'no-head'
  | 'head-not-completed'
  | 'not-member'
  | 'protected'
  | 'nothing-to-do'
  /** acquire: the volume was built from a valid handoff's base and the delta is not applied yet (apply it, then acquire). */
  | 'needs-delta'
  /** migrate: the lineage has a head and the caller did not force. */
  | 'has-head';

export interface Refusal {
  readonly ok: false;
  readonly code: RefusalCode;
  /** One lowercase sentence for logs and the CLI. */
  readonly reason: string;
}

export interface Next {
  readonly ok: true;
  readonly record: LineageRecord;
  /** True when the record already says what the caller wants: nothing to write. */
  readonly unchanged?: boolean;
  /** prune: the snapshot ids taken out of the record (to delete after the write). */
  readonly removed?: readonly string[];
}

export type Outcome = Next | Refusal;

const refuse = (code: RefusalCode, reason: string): Refusal => ({ ok: false, code, reason });
const same = (record: LineageRecord): Next => ({ ok: true, record, unchanged: true });

/**
 * The next record: `changes` applied and `seq` advanced by exactly one. A handoff that the
 * changes made invalid (its final is no longer the head, or its base no longer a member) goes
 * with them, whichever transition it was: a stale handoff is never left for a keeper to apply.
 */
function bump(record: LineageRecord, changes: Partial<Omit<LineageRecord, 'seq' | 'lineage' | 'format'>>): LineageRecord {
  const next = { ...record, ...changes, seq: record.seq + 1 };
  const kept = next.handoff !== undefined && !handoffHolds(next) ? without(next, 'handoff') : next;
  return launchLost(kept) ? without(kept, 'operation') : kept;
}

/**
 * A handover at `launching` waits for the acquire of the one task it launched from its target. Once
 * no holder is left, that task can acquire only if the target is the head or a valid handoff's base;
 * otherwise (the holder released without a handoff, was fenced after registering past the target,
 * the handoff was dropped because its delta could not be applied) it waits in vain, and the operation
 * ends with the write that made it so: the reconciler then rolls the service to the head.
 */
function launchLost(record: LineageRecord): boolean {
  const op = record.operation;
  if (op?.kind !== 'handover' || op.step !== 'launching' || op.target === undefined || record.holder !== undefined) return false;
  return record.head?.snapshotId !== op.target && validHandoff(record)?.base !== op.target;
}

/**
 * The record's handoff still stands (docs/design/handoff.md): its base is a member and nothing was
 * registered after it. Either its final is the head, or the final failed and was dropped: the
 * delta still carries every write up to the stop, which is newer than any member left, so the
 * lineage continues from the base with the delta ({@link orphanedHandoff}).
 */
export function handoffHolds(record: LineageRecord): boolean {
  const h = record.handoff;
  if (h === undefined || !record.snapshots.some((e) => e.snapshotId === h.base)) return false;
  if (record.head?.snapshotId === h.final) return true;
  return !record.snapshots.some((e) => e.snapshotId === h.final) && record.snapshots.every((e) => e.seq <= h.seq);
}

/** A valid handoff whose final snapshot failed: the base with the delta is the only way to the newest home. */
export function orphanedHandoff(record: LineageRecord): boolean {
  return handoffHolds(record) && record.head?.snapshotId !== record.handoff!.final;
}

/** The record's handoff if it is valid (see {@link handoffHolds}). */
export function validHandoff(record: LineageRecord): LineageRecord['handoff'] {
  return handoffHolds(record) ? record.handoff : undefined;
}

function without<K extends keyof LineageRecord>(record: LineageRecord, ...keys: K[]): LineageRecord {
  const out: Record<string, unknown> = { ...record };
  for (const k of keys) delete out[k];
  return out as unknown as LineageRecord;
}

function checkFormat(record: LineageRecord): Refusal | undefined {
  return record.format > RECORD_FORMAT ? refuse('format', `the record of ${record.lineage} has format ${record.format}; this version reads up to ${RECORD_FORMAT}`) : undefined;
}

/** Kinds the protocol itself writes into a lineage; `seed` is launched from, never a member by listing. */
export const PROTOCOL_KINDS: readonly SnapshotKind[] = ['periodic', 'final', 'manual', 'restore'];

/** `create`: the empty record of a lineage nobody has written yet. */
export function createRecord(lineage: string): LineageRecord {
  return { lineage, format: RECORD_FORMAT, seq: 1, snapshots: [] };
}

export interface BootstrapInput {
  readonly lineage: string;
  /** The lineage as listed (tag filter): the one place a listing is trusted, once. */
  readonly listed: readonly Snapshot[];
  /** Volumes tagged holder=L as listed; an `in-use` one means a v0.1 keeper still holds the lineage. */
  readonly holders: readonly Volume[];
  /** The snapshot the service launches from now (PRIMARY deployment), kept as `launch` if it is a member. */
  readonly launch?: string;
}

/**
 * `create` for a lineage that has v0.1 snapshots and no record yet: head = the newest `completed`
 * snapshot with a protocol kind, `snapshots` = all of them, in v0.1's order (effective time, then
 * id). Refused while a v0.1 holder is live.
 */
export function bootstrapRecord(input: BootstrapInput): Outcome {
  const live = input.holders.filter((v) => v.holder === input.lineage && v.state === 'in-use');
  if (live.length > 0) return refuse('held', `volume ${live[0]!.id} still holds ${input.lineage} (v0.1 holder tag); bootstrap waits until it is gone`);
  const members = input.listed
    .filter((s) => s.lineage === input.lineage && s.state === 'completed' && s.kind !== undefined && PROTOCOL_KINDS.includes(s.kind))
    .sort((a, b) => effectiveTime(a).getTime() - effectiveTime(b).getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const snapshots: RecordedSnapshot[] = members.map((s) => ({
    snapshotId: s.id,
    seq: 1,
    kind: s.kind!,
    ...(s.task ? { task: s.task } : {}),
    ...(s.source ? { source: s.source } : {}),
  }));
  const head = snapshots.at(-1);
  const launch = input.launch !== undefined && snapshots.some((e) => e.snapshotId === input.launch) ? input.launch : undefined;
  return { ok: true, record: { ...createRecord(input.lineage), snapshots, ...(head ? { head } : {}), ...(launch ? { launch } : {}) } };
}

export interface AcquireInput {
  readonly taskArn: string;
  readonly volumeId: string;
  /** The snapshot the task's volume was created from (DescribeVolumes); undefined for an empty volume. */
  readonly source?: string;
  /** ECS DescribeTasks (by ARN) reported the current holder's task STOPPED or unknown. */
  readonly holderStopped?: boolean;
  /**
   * Key of the handoff delta the keeper applied onto its volume (built from the handoff's base):
   * the volume then holds the head's home although its source is the base.
   */
  readonly appliedDelta?: string;
  /** The keeper can ship a handoff delta at its stop (recorded as `holder.handoff`). */
  readonly shipsDelta?: boolean;
}

/**
 * `acquire`: the task becomes the holder, with token `seq + 1`. Refused when the volume was not
 * built from the head (stale: checked first, a stale volume must never hold the lineage), when an
 * operation is in progress, or when another task holds the lineage and ECS has not reported it
 * STOPPED. Taking over a STOPPED holder is the fence and the acquire in one write.
 */
export function acquire(record: LineageRecord, input: AcquireInput): Outcome {
  const bad = checkFormat(record);
  if (bad) return bad;
  if (record.holder?.taskArn === input.taskArn && record.holder.volumeId === input.volumeId) return same(record);
  const head = record.head;
  const handoff = validHandoff(record);
  const op = record.operation;
  // The task a handover launched from its pre-copy while the holder still served: it waits for
  // the holder's stop and handoff; it is not stale (its delta is on the way), nor may it hold yet.
  if (awaitsHandoff(record, input.source) && input.appliedDelta === undefined && input.holderStopped !== true) {
    return refuse('held', `task ${record.holder!.taskArn} holds ${record.lineage} and hands it over to the launch from ${input.source}`);
  }
  const viaHandoff = handoff !== undefined && input.source === handoff.base && input.appliedDelta === handoff.delta.key;
  if (handoff !== undefined && input.source === handoff.base && input.appliedDelta === undefined) {
    // Not stale: the keeper read the record before the handoff was written; it applies the delta and comes back.
    return refuse('needs-delta', `volume ${input.volumeId} was built from ${handoff.base}, the base of the handoff to ${handoff.final}: apply delta ${handoff.delta.key} first`);
  }
  if (input.appliedDelta !== undefined && !viaHandoff) {
    // The volume is the base plus that delta: the head's home only while that handoff stands
    // (a restore to the base itself, say, must not start on the base plus a delta).
    return refuse('stale', `volume ${input.volumeId} carries delta ${input.appliedDelta}, which no longer stands for the head ${head?.snapshotId ?? '(none)'}`);
  }
  if (handoff !== undefined && !viaHandoff && orphanedHandoff(record)) {
    return refuse('stale', `the newest home of ${record.lineage} is the handoff from ${handoff.base} with delta ${handoff.delta.key} (its final snapshot ${handoff.final} failed); volume ${input.volumeId} was built from ${input.source ?? 'nothing'}`);
  }
  if (head !== undefined && input.source !== head.snapshotId && !viaHandoff) {
    return refuse(
      'stale',
      input.source === undefined
        ? `volume ${input.volumeId} is empty but the lineage head is ${head.snapshotId}`
        : `volume ${input.volumeId} was built from ${input.source}, not from the head ${head.snapshotId}`,
    );
  }
  // A handover at `launching` waits for exactly this acquire: the one task it launched, from its
  // target (or the handoff's base with the delta), ends it in the same write. Until then nothing
  // else can begin (a restore is refused, a restart resumes this handover), so no other start can
  // slip in between the handover's last write and CloudFormation's service update.
  const launched = op?.kind === 'handover' && op.step === 'launching' && op.target !== undefined && (input.source === op.target || (viaHandoff && handoff!.base === op.target));
  if (op !== undefined && !launched) return refuse('operation', `a ${op.kind} (${op.id}) is in progress`);
  if (record.holder !== undefined && input.holderStopped !== true) {
    return refuse('held', `task ${record.holder.taskArn} (volume ${record.holder.volumeId}) holds the lineage`);
  }
  const holder: Holder = { taskArn: input.taskArn, volumeId: input.volumeId, token: record.seq + 1, ...(input.shipsDelta === true ? { handoff: true as const } : {}) };
  const next = bump(record, { holder });
  return { ok: true, record: launched ? without(next, 'operation') : next };
}

export interface RegisterInput {
  /** The caller's fencing token: the keeper's own, or (CLI `snapshot`) the holder's it read. */
  readonly token: number;
  readonly snapshotId: string;
  readonly kind: SnapshotKind;
  readonly task?: string;
  readonly source?: string;
  /** Also `release` in the same write (the final snapshot of a Jenkins known to have stopped). */
  readonly release?: boolean;
  /**
   * With `release` only: the keeper shipped the delta from this member (the pre-copy of its own
   * volume) to the registered snapshot; written as the record's handoff.
   */
  readonly handoff?: { readonly base: string; readonly delta: DeltaRef };
}

/** `register` (and `release` with it): append the snapshot and make it the head, by the holder only. */
export function register(record: LineageRecord, input: RegisterInput): Outcome {
  const bad = checkFormat(record);
  if (bad) return bad;
  const holds = record.holder?.token === input.token;
  if (record.snapshots.some((e) => e.snapshotId === input.snapshotId)) {
    // Registered by an earlier attempt whose answer was lost: only the release may be left to do.
    return input.release === true && holds ? { ok: true, record: bump(without(record, 'holder'), {}) } : same(record);
  }
  if (!holds) return refuse('fenced', `token ${input.token} no longer holds ${record.lineage} (holder: ${record.holder ? `${record.holder.taskArn} token ${record.holder.token}` : 'none'})`);
  const entry: RecordedSnapshot = {
    snapshotId: input.snapshotId,
    seq: record.seq + 1,
    kind: input.kind,
    ...(input.task ? { task: input.task } : {}),
    ...(input.source ? { source: input.source } : {}),
  };
  const snapshots = [...record.snapshots, entry];
  const handoff = input.release === true && input.handoff !== undefined && snapshots.some((e) => e.snapshotId === input.handoff!.base && e.snapshotId !== input.snapshotId)
    ? { handoff: { final: input.snapshotId, base: input.handoff.base, delta: input.handoff.delta, seq: record.seq + 1 } }
    : {};
  // The release goes into the same bump, so a handover launch it leaves without a way to acquire ends with it.
  return { ok: true, record: bump(input.release === true ? without(record, 'handoff', 'holder') : without(record, 'handoff'), { snapshots, head: entry, ...handoff }) };
}

/**
 * `drop-handoff`: a keeper could not apply the delta of key `key` (a download, digest or file
 * system error): nobody may try it again, and the lineage continues from the final snapshot
 * (the reconciler rolls to it once completed). Any other handoff, or none, is left as it is.
 */
export function dropHandoff(record: LineageRecord, key: string): Outcome {
  if (record.handoff?.delta.key !== key) return same(record);
  // A handover waiting at `launching` for a task from this base waits in vain now: `bump` ends it
  // (see launchLost), so the reconciler can roll the service to the final snapshot.
  return { ok: true, record: bump(without(record, 'handoff'), {}) };
}

/** `release`: the holder gives the lineage up (its token must still hold it). */
export function release(record: LineageRecord, token: number): Outcome {
  if (record.holder?.token !== token) return refuse('not-holder', `token ${token} does not hold ${record.lineage}`);
  return { ok: true, record: bump(without(record, 'holder'), {}) };
}

/**
 * `fence`: remove a holder whose task ECS reported STOPPED (DescribeTasks by ARN; the caller read
 * it). The head stays where it is: what the stopped task did not register is lost (I4).
 */
export function fence(record: LineageRecord, holder: Pick<Holder, 'taskArn' | 'token'>): Outcome {
  if (record.holder?.token !== holder.token || record.holder.taskArn !== holder.taskArn) return refuse('not-holder', `${holder.taskArn} no longer holds ${record.lineage}`);
  return { ok: true, record: bump(without(record, 'holder'), {}) };
}

/**
 * `drop-failed`: the head was read by id and is in `error` (or does not exist): take it out, and
 * the newest remaining entry (by seq) becomes the head.
 */
export function dropFailed(record: LineageRecord, snapshotId: string): Outcome {
  if (record.head?.snapshotId !== snapshotId) return refuse('not-head', `${snapshotId} is not the head of ${record.lineage}`);
  const snapshots = record.snapshots.filter((e) => e.snapshotId !== snapshotId);
  const head = snapshots.at(-1);
  return { ok: true, record: head ? bump(record, { snapshots, head }) : bump(without(record, 'head'), { snapshots }) };
}

function withLaunch(record: LineageRecord, snapshotId: string): Partial<LineageRecord> {
  if (record.launch === snapshotId) return {};
  const history = record.launch === undefined ? record.previousLaunches ?? [] : [record.launch, ...(record.previousLaunches ?? []).filter((s) => s !== record.launch)];
  return { launch: snapshotId, previousLaunches: history.filter((s) => s !== snapshotId).slice(0, LAUNCH_HISTORY) };
}

/**
 * `roll`: `launch = head` (the reconciler then calls UpdateService). Only with no holder, no
 * operation, and a head read by id as `completed`. `at` is the writer's clock (see `record.roll`).
 */
export function roll(record: LineageRecord, input: { readonly headCompleted: boolean; readonly at: Date }): Outcome {
  const bad = checkFormat(record);
  if (bad) return bad;
  if (record.holder !== undefined) return refuse('held', `task ${record.holder.taskArn} holds the lineage`);
  if (record.operation !== undefined) return refuse('operation', `a ${record.operation.kind} (${record.operation.id}) is in progress`);
  // An orphaned handoff: the service must launch from its base (completed when the keeper shipped
  // the delta, and protected from retention since), and the keeper applies the delta.
  const orphan = orphanedHandoff(record);
  const target = orphan ? record.handoff!.base : record.head?.snapshotId;
  if (target === undefined) return refuse('no-head', `${record.lineage} has no head`);
  if (!orphan && !input.headCompleted) return refuse('head-not-completed', `the head ${target} is not completed`);
  return { ok: true, record: bump(record, { ...withLaunch(record, target), roll: { snapshotId: target, seq: record.seq + 1, at: input.at.toISOString() } }) };
}

/** `launch = snapshotId` without a roll: the service already launches from it (PRIMARY deployment). */
export function adoptLaunch(record: LineageRecord, snapshotId: string): Outcome {
  if (record.launch === snapshotId) return same(record);
  if (!record.snapshots.some((e) => e.snapshotId === snapshotId)) return refuse('not-member', `${snapshotId} is not in the record of ${record.lineage}`);
  return { ok: true, record: bump(record, withLaunch(record, snapshotId)) };
}

export interface BeginOperationInput {
  readonly kind: OperationKind;
  readonly id: string;
  readonly target?: string;
}

/** `begin operation`: only when none is in progress; the same id again resumes (no write). */
export function beginOperation(record: LineageRecord, input: BeginOperationInput): Outcome {
  const bad = checkFormat(record);
  if (bad) return bad;
  const op = record.operation;
  if (op !== undefined) return op.id === input.id ? same(record) : refuse('operation', `a ${op.kind} (${op.id}) is already in progress`);
  if (input.target !== undefined && !record.snapshots.some((e) => e.snapshotId === input.target)) {
    return refuse('not-member', `${input.target} is not a snapshot of ${record.lineage} the protocol recorded`);
  }
  return { ok: true, record: bump(record, { operation: { kind: input.kind, id: input.id, seq: record.seq + 1, step: 'begun', ...(input.target ? { target: input.target } : {}) } }) };
}

/** `advance operation`: move the step (and optionally the target and the deployment it replaces) of the caller's own operation. */
export function advanceOperation(
  record: LineageRecord,
  input: {
    readonly id: string;
    readonly step: string;
    readonly target?: string;
    readonly deployment?: { readonly id: string; readonly createdAt: string };
    /** The operation's steps in order: a step the operation is already past is no move (a driver that decided on an older read). */
    readonly order?: readonly string[];
  },
): Outcome {
  const op = record.operation;
  if (op?.id !== input.id) return refuse('operation', `operation ${input.id} is not in progress`);
  if (op.step === input.step && (input.target === undefined || input.target === op.target)) return same(record);
  if (input.order !== undefined && op.step !== undefined && input.order.indexOf(input.step) >= 0 && input.order.indexOf(input.step) < input.order.indexOf(op.step)) return same(record);
  if (input.target !== undefined && !record.snapshots.some((e) => e.snapshotId === input.target)) return refuse('not-member', `${input.target} is not in the record of ${record.lineage}`);
  return { ok: true, record: bump(record, { operation: { ...op, step: input.step, ...(input.target ? { target: input.target } : {}), ...(input.deployment ? { deployment: input.deployment } : {}) } }) };
}

/** `claim launch`: a deploy driving handover `id` records who starts its one new task. */
export function claimLaunch(record: LineageRecord, id: string, starter: 'service' | 'cloudformation'): Outcome {
  const op = record.operation;
  if (op?.kind !== 'handover' || op.id !== id || op.starter === starter) return same(record);
  return { ok: true, record: bump(record, { operation: { ...op, starter } }) };
}

/**
 * `end superseded launch` (reconciler): a handover at `launching` with no holder left, whose
 * service now has a PRIMARY deployment other than the one the launch was to replace, and not from
 * the launch's target. Something else (a change set created before the handover and applied after
 * it, a manual update) replaced the launch; its tasks never acquire from the target, and the
 * operation would wait for them forever. It ends, and the reconciler rolls to the head as after
 * any other deployment. Unchanged otherwise (still waiting for CloudFormation's service update,
 * or the launch underway).
 */
export function endSupersededLaunch(record: LineageRecord, primary: { readonly id: string; readonly snapshotId?: string; readonly createdAt: Date } | undefined): Outcome {
  const op = record.operation;
  if (op?.kind !== 'handover' || op.step !== 'launching' || op.deployment === undefined || record.holder !== undefined || primary === undefined) return same(record);
  if (primary.id === op.deployment.id || primary.snapshotId === op.target || !(primary.createdAt.getTime() > Date.parse(op.deployment.createdAt))) return same(record);
  return { ok: true, record: without(bump(record, {}), 'operation') };
}

/** `end operation`: clears the caller's operation; already ended is fine (no write). */
export function endOperation(record: LineageRecord, id: string): Outcome {
  if (record.operation?.id !== id) return same(record);
  return { ok: true, record: without(bump(record, {}), 'operation') };
}

/**
 * The restore's promotion, inside its operation: the chosen member moves to the end of the record
 * as a `restore` entry with a new seq and becomes the head, and `launch` names it. Only with no
 * holder, so no keeper can register a snapshot over it afterwards (its token is gone).
 */
export function promote(record: LineageRecord, input: { readonly id: string; readonly snapshotId: string }): Outcome {
  const op = record.operation;
  if (op?.id !== input.id || op.kind !== 'restore') return refuse('operation', `restore ${input.id} is not in progress`);
  if (record.head?.snapshotId === input.snapshotId && record.head.kind === 'restore' && record.launch === input.snapshotId && op.step === 'promoted') return same(record);
  if (record.holder !== undefined) return refuse('held', `task ${record.holder.taskArn} still holds the lineage`);
  const member = record.snapshots.find((e) => e.snapshotId === input.snapshotId);
  if (member === undefined) return refuse('not-member', `${input.snapshotId} is not in the record of ${record.lineage}`);
  const entry: RecordedSnapshot = { ...member, seq: record.seq + 1, kind: 'restore' };
  const snapshots = [...record.snapshots.filter((e) => e.snapshotId !== input.snapshotId), entry];
  return { ok: true, record: bump(record, { snapshots, head: entry, ...withLaunch(record, input.snapshotId), operation: { ...op, target: input.snapshotId, step: 'promoted' } }) };
}

/** Ids retention must never delete: head, launch and earlier launches, an operation's target, and `referenced` (deployments). */
export function protectedIds(record: LineageRecord, referenced: Iterable<string> = []): Set<string> {
  const out = new Set<string>(referenced);
  if (record.head) out.add(record.head.snapshotId);
  if (record.launch) out.add(record.launch);
  for (const s of record.previousLaunches ?? []) out.add(s);
  if (record.operation?.target) out.add(record.operation.target);
  const handoff = validHandoff(record);
  if (handoff) out.add(handoff.base);
  return out;
}

/**
 * `prune`: take `ids` out of the record in one write (deleting them comes after). Non-members are
 * ignored (foreign snapshots are never the protocol's to delete); protected ids are kept.
 */
export function prune(record: LineageRecord, ids: readonly string[], referenced: Iterable<string> = []): Outcome {
  const keep = protectedIds(record, referenced);
  const removed = ids.filter((id) => !keep.has(id) && record.snapshots.some((e) => e.snapshotId === id));
  if (removed.length === 0) return refuse('nothing-to-do', 'no snapshot to take out of the record');
  const gone = new Set(removed);
  return { ok: true, record: bump(record, { snapshots: record.snapshots.filter((e) => !gone.has(e.snapshotId)) }), removed };
}
