/**
 * The handoff (docs/design/handoff.md): what the keeper decides about shipping and applying the
 * delta of a planned stop. Plain logic over the record: no I/O here; the keeper calls the
 * {@link DeltaPort} with what these functions answer.
 */
import type { LineageRecord } from './record.js';

/**
 * How far before the base snapshot's StartTime (EBS's clock) the delta reaches back. The pre-copy
 * is taken while Jenkins writes and without a `sync`, so its image may miss writes still in the
 * page cache (Linux writes back dirty pages after `dirty_expire_centisecs`, 30 s); and EBS's clock
 * is not the task's. Five minutes covers both with room; it only makes the delta larger.
 */
export const DELTA_CUTOFF_MARGIN_MS = 300_000;

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
