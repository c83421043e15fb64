/**
 * Pure decisions of the home-continuity protocol (docs/protocol.md).
 * Plain data in, plain data out: no clock, no I/O. The keeper, the reconciler, the CLI and the
 * simulator all decide through these functions.
 */
import { effectiveTime, type Deployment, type ServiceState, type Snapshot, type SnapshotKind, type Volume } from './model.js';

/**
 * Orders snapshots by effective time, newest first. Ties (same millisecond) go to the greater
 * snapshot id in plain string order, so every caller picks the same head from the same list.
 */
export function compareNewestFirst(a: Snapshot, b: Snapshot): number {
  const d = effectiveTime(b).getTime() - effectiveTime(a).getTime();
  if (d !== 0) return d;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * The head: the `pending` or `completed` snapshot with the greatest effective time
 * (promoted-at, else StartTime). `error` snapshots never count. Ties: see {@link compareNewestFirst}.
 */
export function selectHead(snapshots: readonly Snapshot[]): Snapshot | undefined {
  let head: Snapshot | undefined;
  for (const s of snapshots) {
    if (s.state === 'error') continue;
    if (head === undefined || compareNewestFirst(s, head) < 0) head = s;
  }
  return head;
}

/** The newest `completed` snapshot: where the lineage falls back to if a pending head fails. */
export function newestCompleted(snapshots: readonly Snapshot[]): Snapshot | undefined {
  return selectHead(snapshots.filter((s) => s.state === 'completed'));
}

/** Volumes that hold the lineage right now: tagged holder=L and `in-use` (attached to a live task). */
export function liveHolders(lineage: string, holders: readonly Volume[]): Volume[] {
  return holders.filter((v) => v.holder === lineage && v.state === 'in-use');
}

/**
 * Two volumes tagged themselves holder at the same time: the winner is the one with the earliest
 * CreateTime, ties broken by the smaller volume id. Every racer computes the same winner.
 */
export function resolveHolderRace(candidates: readonly Volume[]): Volume {
  if (candidates.length === 0) throw new RangeError('resolveHolderRace needs at least one candidate');
  let winner = candidates[0]!;
  for (const v of candidates.slice(1)) {
    const d = v.createTime.getTime() - winner.createTime.getTime();
    if (d < 0 || (d === 0 && v.id < winner.id)) winner = v;
  }
  return winner;
}

export interface GateInput {
  readonly lineage: string;
  readonly ownVolume: Volume;
  /** The snapshot the own volume was created from (DescribeVolumes SnapshotId); undefined if empty. */
  readonly source?: string;
  /** The lineage as listed (any state; `error` is ignored here). */
  readonly snapshots: readonly Snapshot[];
  /** Volumes tagged holder=L (any state); the own volume is ignored. */
  readonly holders: readonly Volume[];
}

export type GateDecision =
  | {
      readonly decision: 'authoritative';
      /** `bootstrap`: the lineage has no head yet; `head`: the volume was built from the head. */
      readonly reason: 'bootstrap' | 'head';
      readonly head?: Snapshot;
    }
  | {
      readonly decision: 'stale';
      /** Human-readable; written into the stale marker and the log. */
      readonly reason: string;
      readonly head: Snapshot;
    }
  | {
      readonly decision: 'wait-for-holder';
      /** Another volume that holds the lineage and is still attached to a live task. */
      readonly holder: Volume;
      readonly head?: Snapshot;
    };

/**
 * The gate decision (protocol "Keeper at start", steps 4–6, without the race step which needs I/O).
 * Staleness is decided before the holder check: a stale volume must never become a holder, and
 * it tells the operator the more useful reason.
 */
export function decideGate(input: GateInput): GateDecision {
  const head = selectHead(input.snapshots.filter((s) => s.lineage === input.lineage));
  if (head !== undefined && input.source !== head.id) {
    const reason =
      input.source === undefined
        ? `volume ${input.ownVolume.id} is empty but the lineage head is ${head.id}`
        : `volume ${input.ownVolume.id} was built from ${input.source}, not from the head ${head.id} (${head.state})`;
    return { decision: 'stale', reason, head };
  }
  const others = liveHolders(input.lineage, input.holders).filter((v) => v.id !== input.ownVolume.id);
  if (others.length > 0) {
    return { decision: 'wait-for-holder', holder: resolveHolderRace(others), ...(head ? { head } : {}) };
  }
  return head === undefined ? { decision: 'authoritative', reason: 'bootstrap' } : { decision: 'authoritative', reason: 'head', head };
}

export interface RollInput {
  readonly head?: Snapshot;
  /** Volumes tagged holder=L (any state). */
  readonly holders: readonly Volume[];
  readonly service: ServiceState;
  /** Current value of the pointer parameter, if readable. */
  readonly pointer?: string;
  /** The lineage whose holders count (see {@link liveHolders}). */
  readonly lineage: string;
}

export type RollDecision =
  | {
      readonly action: 'nothing';
      readonly reason: 'no-head' | 'head-pending' | 'live-holder' | 'rollout-in-progress' | 'up-to-date';
    }
  | { readonly action: 'write-pointer'; readonly snapshotId: string }
  | { readonly action: 'roll'; readonly snapshotId: string; readonly from?: string };

/** The PRIMARY deployment (the one ECS is converging to), if any. */
export function primaryDeployment(service: ServiceState): Deployment | undefined {
  return service.deployments.find((d) => d.status === 'PRIMARY');
}

/** Snapshot ids that PRIMARY or ACTIVE deployments launch from. */
export function deploymentSnapshotIds(service: ServiceState): Set<string> {
  const out = new Set<string>();
  for (const d of service.deployments) {
    if ((d.status === 'PRIMARY' || d.status === 'ACTIVE') && d.snapshotId) out.add(d.snapshotId);
  }
  return out;
}

/**
 * The reconciler's roll decision (protocol "Reconciler", steps 1–3).
 * A roll is never issued for a head that a deployment is already rolling out (PRIMARY, or
 * ACTIVE with rolloutState IN_PROGRESS), so repeated events for the same head do not restart tasks.
 */
export function decideRoll(input: RollInput): RollDecision {
  const { head, service } = input;
  if (head === undefined) return { action: 'nothing', reason: 'no-head' };
  if (head.state !== 'completed') return { action: 'nothing', reason: 'head-pending' };
  if (liveHolders(input.lineage, input.holders).length > 0) return { action: 'nothing', reason: 'live-holder' };
  const primary = primaryDeployment(service);
  const current = primary?.snapshotId;
  if (current === head.id) {
    return input.pointer === head.id ? { action: 'nothing', reason: 'up-to-date' } : { action: 'write-pointer', snapshotId: head.id };
  }
  // A PRIMARY deployment on the head was handled just above (ECS has exactly one PRIMARY).
  const rolling = service.deployments.some((d) => d.snapshotId === head.id && d.status === 'ACTIVE' && d.rolloutState === 'IN_PROGRESS');
  if (rolling) return { action: 'nothing', reason: 'rollout-in-progress' };
  return current === undefined ? { action: 'roll', snapshotId: head.id } : { action: 'roll', snapshotId: head.id, from: current };
}

export interface RetentionInput {
  readonly snapshots: readonly Snapshot[];
  readonly head?: Snapshot;
  /** Snapshot ids referenced by PRIMARY/ACTIVE deployments and the pointer. */
  readonly referenced: ReadonlySet<string>;
  readonly now: Date;
  readonly keepLast: number;
  readonly keepDailyDays: number;
  /**
   * Kinds that retention may delete. Default: `periodic` and `final` only, so `manual`, `seed`,
   * `restore` (and untagged) snapshots are kept unless listed here.
   */
  readonly pruneKinds?: readonly SnapshotKind[];
}

export type KeepReason = 'head' | 'referenced' | 'pending' | 'error' | 'protected-kind' | 'fallback' | 'keep-last' | 'daily';

export interface RetentionPlan {
  readonly keep: readonly { readonly snapshot: Snapshot; readonly reason: KeepReason }[];
  readonly delete: readonly Snapshot[];
}

function utcDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/**
 * Retention (protocol "Reconciler", step 4). Never deletes the head, a referenced snapshot, a
 * pending one, or a kind not in `pruneKinds`. Also keeps the newest completed snapshot, which is
 * what the lineage falls back to if a pending head fails. `error` snapshots are left to the caller.
 * Among the rest: the newest `keepLast`, and the newest of each UTC day for the last `keepDailyDays`
 * days (today counts as day 1).
 */
export function planRetention(input: RetentionInput): RetentionPlan {
  const prunable = new Set<SnapshotKind>(input.pruneKinds ?? ['periodic', 'final']);
  const fallback = newestCompleted(input.snapshots);
  const keep: { snapshot: Snapshot; reason: KeepReason }[] = [];
  const candidates: Snapshot[] = [];
  for (const s of input.snapshots) {
    if (input.head !== undefined && s.id === input.head.id) keep.push({ snapshot: s, reason: 'head' });
    else if (input.referenced.has(s.id)) keep.push({ snapshot: s, reason: 'referenced' });
    else if (s.state === 'pending') keep.push({ snapshot: s, reason: 'pending' });
    else if (s.state === 'error') keep.push({ snapshot: s, reason: 'error' });
    else if (s.kind === undefined || !prunable.has(s.kind)) keep.push({ snapshot: s, reason: 'protected-kind' });
    else if (fallback !== undefined && s.id === fallback.id) keep.push({ snapshot: s, reason: 'fallback' });
    else candidates.push(s);
  }
  candidates.sort(compareNewestFirst);
  const firstDay = input.now.getTime() - Math.max(0, input.keepDailyDays - 1) * 86_400_000;
  const oldestDailyDay = utcDay(new Date(firstDay));
  const daysSeen = new Set<string>();
  const del: Snapshot[] = [];
  candidates.forEach((s, i) => {
    const day = utcDay(effectiveTime(s));
    const newestOfDay = !daysSeen.has(day);
    daysSeen.add(day);
    if (i < input.keepLast) keep.push({ snapshot: s, reason: 'keep-last' });
    else if (input.keepDailyDays > 0 && newestOfDay && day >= oldestDailyDay) keep.push({ snapshot: s, reason: 'daily' });
    else del.push(s);
  });
  return { keep, delete: del };
}
