/**
 * The `migrate` operation on the lineage record (docs/design/lineage-record.md): an existing
 * Jenkins home enters the lineage as a snapshot of kind `seed`. Transitions in the shape of
 * transitions.ts (`(record, input) → Outcome`), each written by `commit()` in one conditional write:
 * 1. {@link beginMigrate}: `operation = { kind: 'migrate', id }` through `beginOperation` (creating
 *    the record if the lineage has none). From then on retention, the reconciler's roll and a
 *    keeper's acquire see an operation, and a second migration is refused.
 * 2. {@link completeMigrate}: the seed joins `snapshots`, becomes the head when the lineage had
 *    none (or with `force`, as a restore does: the old head stays as history), and the operation
 *    ends, in one write. The reconciler's `roll` then launches the service from it.
 * {@link abortMigrate} ends the operation without a seed (`endOperation`).
 */
import { RECORD_FORMAT, type LineageRecord, type RecordedSnapshot } from './record.js';
import { beginOperation, createRecord, endOperation, type Outcome } from './transitions.js';

const refuse = (code: 'has-head' | 'held' | 'operation' | 'format', reason: string): Outcome => ({ ok: false, code, reason });

export interface BeginMigrateInput {
  readonly lineage: string;
  /** Random id of this migration; beginning again with the same id resumes it (no write). */
  readonly id: string;
  /** Allow a lineage that already has a head; the seed becomes the new head. */
  readonly force: boolean;
}

/** Write 1: begin the migration; refused while Jenkins holds the lineage, or over a head without force. */
export function beginMigrate(record: LineageRecord | undefined, input: BeginMigrateInput): Outcome {
  // No record yet: the first write creates it with the operation already in it (seq 1).
  const base = record ?? { ...createRecord(input.lineage), seq: 0 };
  if (base.operation?.id !== input.id) {
    if (base.holder) return refuse('held', `lineage '${base.lineage}' is held by task ${base.holder.taskArn}: Jenkins runs on it; scale the service to 0 and wait until its lease is released`);
    if (base.head && !input.force) {
      return refuse('has-head', `lineage '${base.lineage}' already has a head (${base.head.snapshotId}, ${base.head.kind}); pass --force to make the migrated home the head (the current head stays as history)`);
    }
  }
  return beginOperation(base, { kind: 'migrate', id: input.id });
}

export interface CompleteMigrateInput {
  readonly id: string;
  readonly snapshotId: string;
  /** The migration task whose volume was snapshotted (EFS), if any. */
  readonly task?: string;
  /** The snapshot the seed was copied from (`--from-snapshot`), if any. */
  readonly source?: string;
  readonly force: boolean;
}

/** Write 2: the seed joins the lineage as its head and the operation ends. */
export function completeMigrate(record: LineageRecord | undefined, input: CompleteMigrateInput): Outcome {
  if (record && record.operation === undefined && record.head?.snapshotId === input.snapshotId && record.head.kind === 'seed') {
    // Written by an earlier attempt whose answer was lost.
    return { ok: true, record, unchanged: true };
  }
  const op = record?.operation;
  if (!record || op?.kind !== 'migrate' || op.id !== input.id) return refuse('operation', `migrate ${input.id} is not in progress on this lineage; run the migration again`);
  if (record.format > RECORD_FORMAT) return refuse('format', `the record of ${record.lineage} has format ${record.format}; this version reads up to ${RECORD_FORMAT}`);
  if (record.holder) return refuse('held', `lineage '${record.lineage}' became held by task ${record.holder.taskArn} during the migration; stop Jenkins and run again`);
  if (record.head && !input.force) return refuse('has-head', `lineage '${record.lineage}' gained a head (${record.head.snapshotId}) during the migration; run again with --force to make the seed the head`);
  const seq = record.seq + 1;
  const seed: RecordedSnapshot = {
    snapshotId: input.snapshotId,
    seq,
    kind: 'seed',
    ...(input.task ? { task: input.task } : {}),
    ...(input.source ? { source: input.source } : {}),
  };
  const { operation: _ended, ...rest } = record;
  return { ok: true, record: { ...rest, seq, head: seed, snapshots: [...record.snapshots.filter((s) => s.snapshotId !== input.snapshotId), seed] } };
}

/** Ends our migrate operation without a seed (the copy failed or was cancelled); nothing to do when it is not ours. */
export function abortMigrate(record: LineageRecord | undefined, id: string): Outcome {
  if (!record) return { ok: false, code: 'nothing-to-do', reason: 'the lineage has no record' };
  return endOperation(record, id);
}
