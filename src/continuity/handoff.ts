/**
 * The handoff (docs/design/handoff.md): what the keeper decides about shipping and applying the
 * delta of a planned stop. Plain logic over the record: no I/O here; the keeper calls the
 * {@link DeltaPort} with what these functions answer.
 */
import type { LineageRecord } from './record.js';

/**
 * How often the authoritative keeper runs `sync -f` on the home between snapshots. Linux writes
 * dirty pages back once they are older than `vm.dirty_expire_centisecs` (30 s by default) anyway;
 * the keeper's own flush makes that bound hold whatever the tuning, and waits for the writes.
 */
export const FLUSH_INTERVAL_MS = 30_000;

/**
 * How far before the base snapshot's StartTime (EBS's clock) the delta reaches back. The pre-copy
 * is taken while Jenkins writes and without a `sync` of its own, so its image may miss writes of
 * the last {@link FLUSH_INTERVAL_MS} plus the flush's own duration; and EBS's clock is not the
 * task's (both follow Amazon Time Sync). 60 s covers a flush interval, a flush of up to 25 s and
 * 5 s of skew; a larger margin only makes the delta larger.
 */
export const DELTA_CUTOFF_MARGIN_MS = 60_000;

/**
 * The pre-copy an authoritative keeper's periodic snapshot would only duplicate: the target of a
 * handover in progress that is still the head and was taken of this task's volume. While it is
 * younger than one interval the keeper skips its periodic snapshot: registered after the pre-copy,
 * it would move the head off the snapshot a launch before the stop starts from (a crash of the
 * holder would then leave that launch stale), and the pre-copy already is the copy a periodic
 * snapshot would be, so the crash-loss bound (one interval) still holds. Undefined: no hold.
 */
export function heldPreCopy(record: LineageRecord, taskArn: string): string | undefined {
  const op = record.operation;
  const head = record.head;
  if (op?.kind !== 'handover' || op.target === undefined || head?.snapshotId !== op.target || head.task !== taskArn) return undefined;
  return head.snapshotId;
}

/** Stop budget kept after the delta's upload for the one record write that registers the final snapshot. */
export const DELTA_REGISTER_RESERVE_MS = 10_000;

/** How long a starting keeper gives the delta's download and apply. */
export const DELTA_APPLY_TIMEOUT_MS = 600_000;

/** Object key of the delta that leads to `finalSnapshotId`, under the lineage's prefix (the keeper's IAM grant). */
export function deltaKey(lineage: string, finalSnapshotId: string): string {
  return `${lineage}/${finalSnapshotId}.delta`;
}

/**
 * The member a stopping holder may ship a delta from: the target of a handover in progress (its
 * pre-copy), registered as a snapshot of this task's volume. Undefined: no handoff, the final
 * snapshot alone carries the stop. The caller still checks, by id, that it is `completed` and of
 * its own volume.
 */
export function handoffBaseFor(record: LineageRecord, taskArn: string): string | undefined {
  const op = record.operation;
  if (op?.kind !== 'handover' || op.target === undefined) return undefined;
  const member = record.snapshots.find((e) => e.snapshotId === op.target);
  return member !== undefined && member.task === taskArn ? member.snapshotId : undefined;
}

/**
 * A handover launched the task whose volume was built from `source` while the holder still serves
 * (docs/protocol.md, section 7, "launch before the stop"): the holder's keeper ships the delta from
 * that pre-copy when it stops, and the task waits for the handoff instead of counting as stale.
 */
export function awaitsHandoff(record: LineageRecord, source: string | undefined): boolean {
  const op = record.operation;
  return op?.kind === 'handover' && op.step === 'launching' && source !== undefined && op.target === source && record.holder !== undefined;
}
