// The migrate transitions on the lineage record, written through commit() (src/continuity/commit.ts)
// into an in-memory RecordPort with the contract's semantics (conditional write on seq).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { commit } from '../../src/continuity/commit.js';
import { abortMigrate, beginMigrate, completeMigrate } from '../../src/continuity/migrate.js';
import { RECORD_FORMAT, type LineageRecord, type RecordPort } from '../../src/continuity/record.js';
import type { Outcome } from '../../src/continuity/transitions.js';

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
    this.writes++;
    this.items.set(next.lineage, next);
    return true;
  }
}

const L = 'jenkins-m';
const clock = { now: () => new Date(0), sleep: async () => {} };
const write = (port: RecordPort, decide: (r: LineageRecord | undefined) => Outcome) => commit(port, L, decide, { clock });
const code = (o: Outcome) => (o.ok ? 'ok' : o.code);
const headed = (): LineageRecord => ({
  lineage: L,
  format: RECORD_FORMAT,
  seq: 7,
  head: { snapshotId: 'snap-0000000000000000a', seq: 6, kind: 'final' },
  snapshots: [{ snapshotId: 'snap-0000000000000000a', seq: 6, kind: 'final' }],
});
const SEED = 'snap-0000000000000000b';

async function migrate(port: MemoryRecords, force = false) {
  const begun = await write(port, (r) => beginMigrate(r, { lineage: L, id: 'op-1', force }));
  if (!begun.outcome.ok) return begun;
  return write(port, (r) => completeMigrate(r, { id: 'op-1', snapshotId: SEED, task: 'arn:task/x', force }));
}

describe('migrate on the lineage record', () => {
  test('an empty lineage: the record is created with the operation, then the seed is member and head in one write', async () => {
    const port = new MemoryRecords();
    await write(port, (r) => beginMigrate(r, { lineage: L, id: 'op-1', force: false }));
    assert.deepEqual(port.items.get(L), { lineage: L, format: RECORD_FORMAT, seq: 1, snapshots: [], operation: { kind: 'migrate', id: 'op-1', seq: 1, step: 'begun' } });
    const done = await write(port, (r) => completeMigrate(r, { id: 'op-1', snapshotId: SEED, task: 'arn:task/x', force: false }));
    const seed = { snapshotId: SEED, seq: 2, kind: 'seed', task: 'arn:task/x' };
    assert.deepEqual(port.items.get(L), { lineage: L, format: RECORD_FORMAT, seq: 2, head: seed, snapshots: [seed] });
    assert.equal(done.wrote, true);
    assert.equal(port.writes, 2);
  });

  test('a lineage with a head is refused without --force, and nothing is written', async () => {
    const port = new MemoryRecords();
    port.items.set(L, headed());
    assert.equal(code((await migrate(port)).outcome), 'has-head');
    assert.equal(port.writes, 0);
  });

  test('with --force the seed becomes the head, the old head stays a member, launch is left to the roll', async () => {
    const port = new MemoryRecords();
    port.items.set(L, { ...headed(), launch: 'snap-0000000000000000a' });
    await migrate(port, true);
    const r = port.items.get(L)!;
    assert.equal(r.head?.snapshotId, SEED);
    assert.deepEqual(r.snapshots.map((s) => [s.snapshotId, s.kind, s.seq]), [
      ['snap-0000000000000000a', 'final', 6],
      [SEED, 'seed', 9],
    ]);
    assert.equal(r.operation, undefined);
    assert.equal(r.launch, 'snap-0000000000000000a');
  });

  test('a held lineage, another operation, or a newer record format is refused', () => {
    const held = { ...headed(), holder: { taskArn: 'arn:task/jenkins', volumeId: 'vol-1', token: 5 } };
    assert.equal(code(beginMigrate(held, { lineage: L, id: 'op-1', force: true })), 'held');
    const restoring = { ...headed(), operation: { kind: 'restore' as const, id: 'r-1', seq: 7 } };
    assert.equal(code(beginMigrate(restoring, { lineage: L, id: 'op-1', force: true })), 'operation');
    const otherMigration = { ...headed(), operation: { kind: 'migrate' as const, id: 'op-0', seq: 7 } };
    assert.equal(code(beginMigrate(otherMigration, { lineage: L, id: 'op-1', force: true })), 'operation');
    assert.equal(code(beginMigrate({ ...headed(), format: RECORD_FORMAT + 1 }, { lineage: L, id: 'op-1', force: true })), 'format');
    const mine = { ...headed(), operation: { kind: 'migrate' as const, id: 'op-1', seq: 7 } };
    assert.equal(code(completeMigrate({ ...mine, format: RECORD_FORMAT + 1 }, { id: 'op-1', snapshotId: SEED, force: true })), 'format');
    assert.equal(code(completeMigrate({ ...mine, holder: held.holder }, { id: 'op-1', snapshotId: SEED, force: true })), 'held');
  });

  test('beginning again with the same id resumes the operation without a write', () => {
    const mine = { lineage: L, format: RECORD_FORMAT, seq: 3, snapshots: [], operation: { kind: 'migrate' as const, id: 'op-1', seq: 2 } };
    const o = beginMigrate(mine, { lineage: L, id: 'op-1', force: false });
    assert.deepEqual([o.ok, o.ok && o.unchanged], [true, true]);
  });

  test('completing needs our operation: none, or another id, is refused; a completed one is recognized', () => {
    assert.equal(code(completeMigrate(headed(), { id: 'op-1', snapshotId: SEED, force: true })), 'operation');
    assert.equal(code(completeMigrate(undefined, { id: 'op-1', snapshotId: SEED, force: true })), 'operation');
    const other = { ...headed(), operation: { kind: 'migrate' as const, id: 'op-0', seq: 7 } };
    assert.equal(code(completeMigrate(other, { id: 'op-1', snapshotId: SEED, force: true })), 'operation');
    const seeded = { ...headed(), head: { snapshotId: SEED, seq: 8, kind: 'seed' as const } };
    const again = completeMigrate(seeded, { id: 'op-1', snapshotId: SEED, force: true });
    assert.deepEqual([again.ok, again.ok && again.unchanged], [true, true]);
  });

  test('a lost race is decided again on a fresh read: a head that appeared meanwhile refuses the seed', async () => {
    const port = new MemoryRecords();
    await write(port, (r) => beginMigrate(r, { lineage: L, id: 'op-1', force: false }));
    port.interfere = (cur) => cur && { ...cur, seq: cur.seq + 1, head: { snapshotId: 'snap-c', seq: cur.seq + 1, kind: 'manual' }, snapshots: [{ snapshotId: 'snap-c', seq: cur.seq + 1, kind: 'manual' }] };
    const r = await write(port, (rec) => completeMigrate(rec, { id: 'op-1', snapshotId: SEED, force: false }));
    assert.equal(code(r.outcome), 'has-head');
    assert.equal(port.items.get(L)?.head?.snapshotId, 'snap-c');
  });

  test('a lost race on an empty lineage: the record someone else created is read and the operation added to it', async () => {
    const port = new MemoryRecords();
    port.interfere = () => ({ lineage: L, format: RECORD_FORMAT, seq: 1, snapshots: [] });
    await write(port, (cur) => beginMigrate(cur, { lineage: L, id: 'op-1', force: false }));
    assert.deepEqual([port.items.get(L)?.seq, port.items.get(L)?.operation?.id], [2, 'op-1']);
  });

  test('abort ends only our operation', () => {
    const mine = { ...headed(), operation: { kind: 'migrate' as const, id: 'op-1', seq: 7 } };
    const o = abortMigrate(mine, 'op-1');
    assert.ok(o.ok);
    assert.deepEqual([o.record.operation, o.record.seq, o.record.head], [undefined, 8, headed().head]);
    const notOurs = abortMigrate(mine, 'op-2');
    assert.deepEqual([notOurs.ok, notOurs.ok && notOurs.unchanged], [true, true]);
    assert.equal(code(abortMigrate(undefined, 'op-1')), 'nothing-to-do');
  });
});
