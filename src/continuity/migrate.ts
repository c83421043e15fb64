/**
 * The `migrate` operation on the lineage record (docs/design/lineage-record.md): an existing
 * Jenkins home enters the lineage as a snapshot of kind `seed`.
 *
 * Two conditional writes, each a pure decision on a consistent read:
 * 1. {@link beginMigrate}: `operation = { kind: 'migrate', id }` (creating the record if the
 *    lineage has none). From then on retention, the reconciler's roll and a keeper's acquire see an
 *    operation and leave the lineage alone, and a second migration is refused.
 * 2. {@link completeMigrate}: the seed joins `snapshots`, becomes the head when the lineage had
 *    none (or with `force`, as a restore does: the old head stays as history), and the operation
 *    ends — one write. {@link abortMigrate} ends it without a seed.
 * No wall clock: order is `seq` only.
 */
import { RECORD_FORMAT, type LineageRecord, type RecordedSnapshot, type RecordPort } from './record.js';

export type MigrateRefusalCode = 'has-head' | 'operation-in-progress' | 'held' | 'not-migrating' | 'format' | 'already-member';

export class MigrateRefusal extends Error {
  constructor(
    readonly code: MigrateRefusalCode,
    message: string,
  ) {
    super(message);
    this.name = 'MigrateRefusal';
  }
}

/** What one decision produces: the record to write and the `seq` the write is conditioned on. */
export interface RecordWrite {
  readonly next: LineageRecord;
  /** Undefined: the record must not exist yet. */
  readonly expectedSeq: number | undefined;
}

export interface BeginMigrateInput {
  readonly lineage: string;
  /** Random id of this migration; beginning again with the same id resumes it. */
  readonly id: string;
  /** Allow a lineage that already has a head; the seed becomes the new head. */
  readonly force: boolean;
  /** Where the seed comes from, for `status` (e.g. `efs:fs-0123` or `snapshot:snap-0123`). */
  readonly step?: string;
}

function checkFormat(record: LineageRecord): void {
  if (record.format > RECORD_FORMAT) {
    throw new MigrateRefusal('format', `the lineage record of '${record.lineage}' has format ${record.format}, newer than this jenkins-ecs understands (${RECORD_FORMAT}); upgrade jenkins-ecs`);
  }
}

/** Write 1: begin (or resume) the migration. */
export function beginMigrate(record: LineageRecord | undefined, input: BeginMigrateInput): RecordWrite {
  const operation = { kind: 'migrate' as const, id: input.id, seq: (record?.seq ?? 0) + 1, ...(input.step ? { step: input.step } : {}) };
  if (!record) {
    return { next: { lineage: input.lineage, format: RECORD_FORMAT, seq: 1, snapshots: [], operation }, expectedSeq: undefined };
  }
  checkFormat(record);
  const op = record.operation;
  if (op && !(op.kind === 'migrate' && op.id === input.id)) {
    throw new MigrateRefusal('operation-in-progress', `lineage '${record.lineage}' has a ${op.kind} operation in progress (id ${op.id}, step ${op.step ?? 'unknown'}); let it finish first`);
  }
  if (record.holder) {
    throw new MigrateRefusal(
      'held',
      `lineage '${record.lineage}' is held by task ${record.holder.taskArn}: Jenkins is running on it; scale the service to 0 and wait until the lease is released`,
    );
  }
  if (record.head && !input.force) {
    throw new MigrateRefusal('has-head', `lineage '${record.lineage}' already has a head (${record.head.snapshotId}, ${record.head.kind}); pass --force to make the migrated home the head (the current head stays as history)`);
  }
  // Resuming: the operation is already ours; write it again so the step moves and seq orders it.
  return { next: { ...record, seq: record.seq + 1, operation: op ? { ...op, ...(input.step ? { step: input.step } : {}) } : operation }, expectedSeq: record.seq };
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

/** Write 2: the seed joins the lineage (and becomes the head) and the operation ends. */
export function completeMigrate(record: LineageRecord | undefined, input: CompleteMigrateInput): RecordWrite {
  const op = record?.operation;
  if (!record || !op || op.kind !== 'migrate' || op.id !== input.id) {
    throw new MigrateRefusal('not-migrating', `no migrate operation with id ${input.id} is in progress on this lineage; run the migration again`);
  }
  checkFormat(record);
  if (record.snapshots.some((s) => s.snapshotId === input.snapshotId)) {
    throw new MigrateRefusal('already-member', `${input.snapshotId} is already in the lineage record`);
  }
  const seq = record.seq + 1;
  const seed: RecordedSnapshot = {
    snapshotId: input.snapshotId,
    seq,
    kind: 'seed',
    ...(input.task ? { task: input.task } : {}),
    ...(input.source ? { source: input.source } : {}),
  };
  const makeHead = record.head === undefined || input.force;
  if (!makeHead) {
    throw new MigrateRefusal('has-head', `lineage '${record.lineage}' gained a head (${record.head!.snapshotId}) during the migration; run again with --force to make the seed the head`);
  }
  if (record.holder) {
    throw new MigrateRefusal('held', `lineage '${record.lineage}' became held by task ${record.holder.taskArn} during the migration; stop Jenkins and run again`);
  }
  const { operation: _ended, ...rest } = record;
  return { next: { ...rest, seq, head: seed, snapshots: [...record.snapshots, seed] }, expectedSeq: record.seq };
}

/** Ends our migrate operation without a seed (the copy failed or was cancelled). A no-op when it is not ours. */
export function abortMigrate(record: LineageRecord | undefined, id: string): RecordWrite | undefined {
  const op = record?.operation;
  if (!record || !op || op.kind !== 'migrate' || op.id !== id) return undefined;
  const { operation: _ended, ...rest } = record;
  return { next: { ...rest, seq: record.seq + 1 }, expectedSeq: record.seq };
}

/**
 * Read, decide, conditionally write; on a lost race (somebody wrote first) read again and decide
 * again, at most `attempts` times. A refusal from `decide` is thrown as is.
 */
export async function applyToRecord(
  port: RecordPort,
  lineage: string,
  decide: (record: LineageRecord | undefined) => RecordWrite | undefined,
  attempts = 5,
): Promise<LineageRecord | undefined> {
  for (let attempt = 1; ; attempt++) {
    const current = await port.read(lineage);
    const write = decide(current);
    if (!write) return current;
    if (await port.write(write.next, write.expectedSeq)) return write.next;
    if (attempt >= attempts) throw new Error(`the lineage record of '${lineage}' kept changing under ${attempts} attempts to write it; try again`);
  }
}
