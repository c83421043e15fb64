// A handoff whose delta cannot be applied, and then a final snapshot that fails: the lineage falls
// back to the pre-copy, which the service already launches from. The keeper whose volume carries a
// part of the delta must exit so that ECS replaces its task with a fresh volume; an earlier version
// kept it waiting at the gate, the reconciler saw the service on the head and never rolled, and
// Jenkins stayed down (found in review).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plannedRestart } from './handover.js';
import { Sim } from './world.js';

const MIN = 60_000;

test('delta apply fails, then the final snapshot fails: the task is replaced and Jenkins runs again', async () => {
  const s = new Sim({
    seed: 7,
    maximumPercent: 100,
    throttleRate: 0,
    snapshotFailRate: 0,
    intervalMinutes: 5,
    pendingMs: [20_000, 60_000],
    handoff: true,
    snapshotOutcome: (x) => (x.kind === 'final' ? { durationMs: 120_000, fail: true } : undefined),
  });
  // Every shipped delta is lost from the bucket: the next keeper's download fails (NoSuchKey).
  (s as unknown as { deltas: Map<string, unknown> }).deltas.set = function (this: Map<string, unknown>) {
    return this;
  };
  assert.ok(await s.advanceUntil(() => s.runs.length >= 1, 3 * MIN));
  await s.advance(12 * MIN);
  plannedRestart(s);
  await s.advance(40 * MIN);
  assert.equal(s.runningJenkins().length, 1, 'an authoritative Jenkins 40 min after the restart');
  // The failed apply is the designed fallback (a stale start by construction); nothing else may break.
  assert.deepEqual(s.violations.filter((v) => !v.startsWith('StaleStart')), []);
});
