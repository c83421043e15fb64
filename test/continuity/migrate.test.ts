// The migrate transitions on the lineage record, through an in-memory RecordPort with the
// contract's semantics (conditional write on seq; src/continuity/record.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { abortMigrate, applyToRecord, beginMigrate, completeMigrate, MigrateRefusal, type MigrateRefusalCode } from '../../src/continuity/migrate.js';
import { RECORD_FORMAT, type LineageRecord, type RecordPort } from '../../src/continuity/record.js';

class MemoryRecords implements RecordPort {
  readonly items = new Map<string, LineageRecord>();
  writes = 0;
  /** Runs before the next write, as another actor writing first would. */
  interfere?: (current: LineageRecord | undefined) => LineageRecord | undefined;

  async read(lineage: string) {
    return this.items.get(lineage);
  }

  async write(next: LineageRecord, expectedSeq: number | undefined) {
    if (this.interfere) {
      const other = this.interfere(this.items.get(next.lineage));
      this.interfere = undefined;
      if (other) this.items.set(other.lineage, other);
    }
    const current = this.items.get(next.lineage);
    if ((expectedSeq === undefined && current) || (expectedSeq !== undefined && current?.seq !== expectedSeq)) return false;
    assert.equal(next.seq, (expectedSeq ?? 0) + 1, 'a write must move seq by exactly one');
    this.writes++;
    this.items.set(next.lineage, next);
    return true;
  }
}

const L = 'jenkins-m';
const refused = (code: MigrateRefusalCode) => (e: unknown) => e instanceof MigrateRefusal && e.code === code;
const headed = (): LineageRecord => ({
  lineage: L,
  format: RECORD_FORMAT,
  seq: 7,
  head: { snapshotId: 'snap-0000000000000000a', seq: 6, kind: 'final' },
  snapshots: [{ snapshotId: 'snap-0000000000000000a', seq: 6, kind: 'final' }],
});

async function migrate(port: MemoryRecords, opts: { id?: string; force?: boolean; snapshotId?: string } = {}) {
  const id = opts.id ?? 'op-1';
  const force = opts.force ?? false;
  await applyToRecord(port, L, (r) => beginMigrate(r, { lineage: L, id, force, step: 'efs:fs-12345678' }));
  return applyToRecord(port, L, (r) => completeMigrate(r, { id, snapshotId: opts.snapshotId ?? 'snap-0000000000000000b', task: 'arn:task/x', force }));
}

describe('migrate on the lineage record', () => {
  test('an empty lineage: the record is created under the operation, then the seed is member and head in one write', async () => {
    const port = new MemoryRecords();
    await applyToRecord(port, L, (r) => beginMigrate(r, { lineage: L, id: 'op-1', force: false }));
    assert.deepEqual(port.items.get(L), { lineage: L, format: RECORD_FORMAT, seq: 1, snapshots: [], operation: { kind: 'migrate', id: 'op-1', seq: 1 } });
    const done = await applyToRecord(port, L, (r) => completeMigrate(r, { id: 'op-1', snapshotId: 'snap-0000000000000000b', task: 'arn:task/x', force: false }));
    const seed = { snapshotId: 'snap-0000000000000000b', seq: 2, kind: 'seed', task: 'arn:task/x' };
    assert.deepEqual(done, { lineage: L, format: RECORD_FORMAT, seq: 2, head: seed, snapshots: [seed] });
    assert.equal(port.writes, 2);
  });

  test('a lineage with a head is refused without --force, and nothing is written', async () => {
    const port = new MemoryRecords();
    port.items.set(L, headed());
    await assert.rejects(migrate(port), refused('has-head'));
    assert.equal(port.writes, 0);
  });

  test('with --force the seed becomes the head and the old head stays a member', async () => {
    const port = new MemoryRecords();
    port.items.set(L, headed());
    const done = await migrate(port, { force: true });
    assert.equal(done?.head?.snapshotId, 'snap-0000000000000000b');
    assert.deepEqual(done?.snapshots.map((s) => [s.snapshotId, s.kind, s.seq]), [
      ['snap-0000000000000000a', 'final', 6],
      ['snap-0000000000000000b', 'seed', 9],
    ]);
    assert.equal(done?.operation, undefined);
  });

  test('a held lineage, another operation, or a newer record format is refused', () => {
    const held = { ...headed(), holder: { taskArn: 'arn:task/jenkins', volumeId: 'vol-1', token: 5 } };
    assert.throws(() => beginMigrate(held, { lineage: L, id: 'op-1', force: true }), refused('held'));
    const restoring = { ...headed(), operation: { kind: 'restore' as const, id: 'r-1', seq: 7 } };
    assert.throws(() => beginMigrate(restoring, { lineage: L, id: 'op-1', force: true }), refused('operation-in-progress'));
    const otherMigration = { ...headed(), operation: { kind: 'migrate' as const, id: 'op-0', seq: 7 } };
    assert.throws(() => beginMigrate(otherMigration, { lineage: L, id: 'op-1', force: true }), refused('operation-in-progress'));
    assert.throws(() => beginMigrate({ ...headed(), format: RECORD_FORMAT + 1 }, { lineage: L, id: 'op-1', force: true }), refused('format'));
  });

  test('beginning again with the same id resumes the operation', () => {
    const mine = { lineage: L, format: RECORD_FORMAT, seq: 3, snapshots: [], operation: { kind: 'migrate' as const, id: 'op-1', seq: 2 } };
    const w = beginMigrate(mine, { lineage: L, id: 'op-1', force: false, step: 'copy' });
    assert.deepEqual([w.expectedSeq, w.next.seq, w.next.operation], [3, 4, { kind: 'migrate', id: 'op-1', seq: 2, step: 'copy' }]);
  });

  test('completing needs our operation: none, or another id, is refused', () => {
    assert.throws(() => completeMigrate(headed(), { id: 'op-1', snapshotId: 'snap-1', force: true }), refused('not-migrating'));
    assert.throws(() => completeMigrate(undefined, { id: 'op-1', snapshotId: 'snap-1', force: true }), refused('not-migrating'));
    const other = { ...headed(), operation: { kind: 'migrate' as const, id: 'op-0', seq: 7 } };
    assert.throws(() => completeMigrate(other, { id: 'op-1', snapshotId: 'snap-1', force: true }), refused('not-migrating'));
    const member = { ...headed(), operation: { kind: 'migrate' as const, id: 'op-1', seq: 7 } };
    assert.throws(() => completeMigrate(member, { id: 'op-1', snapshotId: 'snap-0000000000000000a', force: true }), refused('already-member'));
  });

  test('a lost race is decided again on a fresh read: a head that appeared meanwhile refuses the seed', async () => {
    const port = new MemoryRecords();
    await applyToRecord(port, L, (r) => beginMigrate(r, { lineage: L, id: 'op-1', force: false }));
    // Another writer registers a head before our write (it should not, under the operation, but the
    // decision must not trust that).
    port.interfere = (cur) => cur && { ...cur, seq: cur.seq + 1, head: { snapshotId: 'snap-c', seq: cur.seq + 1, kind: 'manual' }, snapshots: [{ snapshotId: 'snap-c', seq: cur.seq + 1, kind: 'manual' }] };
    await assert.rejects(
      applyToRecord(port, L, (r) => completeMigrate(r, { id: 'op-1', snapshotId: 'snap-b', force: false })),
      refused('has-head'),
    );
    assert.equal(port.items.get(L)?.head?.snapshotId, 'snap-c');
  });

  test('a lost race on an empty lineage: the record someone else created is read and the operation added to it', async () => {
    const port = new MemoryRecords();
    port.interfere = () => ({ lineage: L, format: RECORD_FORMAT, seq: 1, snapshots: [] });
    const r = await applyToRecord(port, L, (cur) => beginMigrate(cur, { lineage: L, id: 'op-1', force: false }));
    assert.deepEqual([r?.seq, r?.operation?.id], [2, 'op-1']);
  });

  test('abort ends only our operation', () => {
    const mine = { ...headed(), operation: { kind: 'migrate' as const, id: 'op-1', seq: 7 } };
    const w = abortMigrate(mine, 'op-1');
    assert.deepEqual([w?.next.operation, w?.next.seq, w?.next.head], [undefined, 8, headed().head]);
    assert.equal(abortMigrate(mine, 'op-2'), undefined);
    assert.equal(abortMigrate(undefined, 'op-1'), undefined);
  });
});
