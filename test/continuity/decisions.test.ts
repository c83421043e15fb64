import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { planRetention, selectHead } from '../../src/continuity/decisions.js';
import type { Snapshot } from '../../src/continuity/model.js';
import { at, snap } from './fixtures.js';

describe('selectHead', () => {
  test('an empty lineage has no head', () => {
    assert.equal(selectHead([]), undefined);
  });
  test('the newest pending or completed snapshot is the head; error snapshots never count', () => {
    const s = [snap('snap-a', 0), snap('snap-b', 10, { state: 'pending' }), snap('snap-c', 20, { state: 'error' })];
    assert.equal(selectHead(s)?.id, 'snap-b');
  });
  test('only error snapshots means no head', () => {
    assert.equal(selectHead([snap('snap-a', 0, { state: 'error' })]), undefined);
  });
  test('promoted-at beats a newer StartTime', () => {
    const s = [snap('snap-old', 0, { promotedAt: at(30), kind: 'manual' }), snap('snap-new', 20)];
    assert.equal(selectHead(s)?.id, 'snap-old');
  });
  test('equal effective times go to the greater snapshot id, whatever the input order', () => {
    const a = snap('snap-0a', 5);
    const b = snap('snap-0b', 5);
    assert.equal(selectHead([a, b])?.id, 'snap-0b');
    assert.equal(selectHead([b, a])?.id, 'snap-0b');
  });
  test('property: the head is a non-error snapshot no other non-error snapshot beats, independent of order', () => {
    const arb = fc.array(
      fc.record({ n: fc.integer({ min: 0, max: 50 }), t: fc.integer({ min: 0, max: 5 }), st: fc.constantFrom('pending', 'completed', 'error') }),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(arb, (rows) => {
        const snaps: Snapshot[] = rows.map((r, i) => snap(`snap-${String(r.n).padStart(2, '0')}-${i}`, r.t, { state: r.st as Snapshot['state'] }));
        const h1 = selectHead(snaps);
        const h2 = selectHead([...snaps].reverse());
        assert.equal(h1?.id, h2?.id);
        const valid = snaps.filter((s) => s.state !== 'error');
        if (valid.length === 0) return assert.equal(h1, undefined);
        assert.ok(h1 && h1.state !== 'error');
        for (const s of valid) assert.ok(s.startTime <= h1.startTime);
      }),
      { numRuns: 300 },
    );
  });
});

describe('planRetention', () => {
  const now = at(60 * 24 * 30);
  function day(d: number, h = 0): number {
    return 60 * 24 * d + 60 * h;
  }
  test('keeps the newest keepLast periodic snapshots and deletes older ones of the same day', () => {
    const snaps = [0, 1, 2, 3, 4].map((h) => snap(`snap-${h}`, day(30, -6 + h)));
    const plan = planRetention({ snapshots: snaps, head: snaps[4], referenced: new Set(), now, keepLast: 2, keepDailyDays: 0 });
    assert.deepEqual(plan.delete.map((s) => s.id).sort(), ['snap-0', 'snap-1']);
  });
  test('keeps the newest of each UTC day within keepDailyDays', () => {
    const snaps = [snap('snap-d28a', day(28, 1)), snap('snap-d28b', day(28, 5)), snap('snap-d29', day(29, 3)), snap('snap-d10', day(10, 3)), snap('snap-head', day(30, -1))];
    const plan = planRetention({ snapshots: snaps, head: snaps[4], referenced: new Set(), now, keepLast: 0, keepDailyDays: 3 });
    const deleted = plan.delete.map((s) => s.id).sort();
    // d29 is also the fallback (newest completed besides the head), so it is kept either way.
    assert.deepEqual(deleted, ['snap-d10', 'snap-d28a']);
  });
  test('a pending head: the newest completed snapshot (the fallback if it fails) is kept', () => {
    const snaps = [snap('snap-p', day(2), { state: 'pending' }), snap('snap-fb', day(1)), snap('snap-old', day(0))];
    const plan = planRetention({ snapshots: snaps, head: snaps[0], referenced: new Set(), now, keepLast: 0, keepDailyDays: 0 });
    assert.deepEqual(plan.delete.map((s) => s.id), ['snap-old']);
  });
  test('never deletes the head, referenced, pending, error or protected kinds', () => {
    const snaps = [
      snap('snap-head', day(9), { kind: 'final' }),
      snap('snap-ref', day(2)),
      snap('snap-pend', day(3), { state: 'pending' }),
      snap('snap-err', day(4), { state: 'error' }),
      snap('snap-man', day(5), { kind: 'manual' }),
      snap('snap-seed', day(6), { kind: 'seed' }),
      snap('snap-res', day(7), { kind: 'restore' }),
      snap('snap-untagged', day(8), { kind: undefined }),
    ];
    const plan = planRetention({ snapshots: snaps, head: snaps[0], referenced: new Set(['snap-ref']), now, keepLast: 0, keepDailyDays: 0 });
    assert.deepEqual(plan.delete, []);
  });
  test('manual snapshots are pruned only when configured', () => {
    const snaps = [snap('snap-head', day(2)), snap('snap-fb', day(1)), snap('snap-man', day(0), { kind: 'manual' })];
    const kept = planRetention({ snapshots: snaps, head: snaps[0], referenced: new Set(), now, keepLast: 0, keepDailyDays: 0 });
    assert.deepEqual(kept.delete.map((s) => s.id), ['snap-fb']);
    const plan = planRetention({ snapshots: snaps, head: snaps[0], referenced: new Set(), now, keepLast: 0, keepDailyDays: 0, pruneKinds: ['periodic', 'final', 'manual'] });
    assert.deepEqual(plan.delete.map((s) => s.id), ['snap-fb', 'snap-man']);
  });
  test('property: deletes only unprotected completed snapshots, and keeps the newest keepLast of them', () => {
    const row = fc.record({
      t: fc.integer({ min: 0, max: day(30) }),
      st: fc.constantFrom('pending', 'completed', 'completed', 'error'),
      kind: fc.constantFrom('periodic', 'final', 'manual', 'seed', 'restore'),
      ref: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 40 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 }), (rows, keepLast, keepDailyDays) => {
        const snaps = rows.map((r, i) => snap(`snap-${String(i).padStart(3, '0')}`, r.t, { state: r.st as Snapshot['state'], kind: r.kind as Snapshot['kind'] }));
        const referenced = new Set(snaps.filter((_, i) => rows[i]!.ref).map((s) => s.id));
        const head = selectHead(snaps);
        const plan = planRetention({ snapshots: snaps, ...(head ? { head } : {}), referenced, now, keepLast, keepDailyDays });
        const deleted = new Set(plan.delete.map((s) => s.id));
        assert.equal(plan.delete.length + plan.keep.length, snaps.length);
        for (const s of plan.delete) {
          assert.notEqual(s.id, head?.id);
          assert.ok(!referenced.has(s.id));
          assert.equal(s.state, 'completed');
          assert.ok(s.kind === 'periodic' || s.kind === 'final');
        }
        const prunable = snaps
          .filter((s) => s.state === 'completed' && (s.kind === 'periodic' || s.kind === 'final') && s.id !== head?.id && !referenced.has(s.id))
          .sort((a, b) => b.startTime.getTime() - a.startTime.getTime() || (a.id < b.id ? 1 : -1));
        for (const s of prunable.slice(0, keepLast)) assert.ok(!deleted.has(s.id), `${s.id} is among the newest ${keepLast}`);
      }),
      { numRuns: 300 },
    );
  });
});
