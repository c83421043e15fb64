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

/** Volumes tagged holder=L (v0.1) and `in-use`: what a bootstrap of a v0.1 lineage waits for. */
export function liveHolders(lineage: string, holders: readonly Volume[]): Volume[] {
  return holders.filter((v) => v.holder === lineage && v.state === 'in-use');
}

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

export interface RetentionInput {
  readonly snapshots: readonly Snapshot[];
  readonly head?: Snapshot;
  /** Snapshot ids referenced by PRIMARY/ACTIVE deployments and by the record (launch, earlier launches, an operation's target). */
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
