// The keeper pauses its periodic snapshots during a handover only while the handover's pre-copy of
// its own volume is the head and younger than one interval (src/continuity/handoff.ts,
// heldPreCopy). A handover abandoned before its pre-copy (a CLI killed right after its begin write)
// must not stretch what a crash can lose past I4's bound: an earlier version paused for 30 minutes
// from the first sight of any handover, and this run then lost 25 minutes (found in review).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commit } from '../../src/continuity/commit.js';
import { driveHandover } from '../../src/continuity/handover.js';
import { beginOperation } from '../../src/continuity/transitions.js';
import { LINEAGE, Sim } from './world.js';

const MIN = 60_000;

test('a handover begun and abandoned before its pre-copy: periodic snapshots go on, a crash 25 minutes later loses at most one interval (I4)', async () => {
  const s = new Sim({ seed: 7, maximumPercent: 100, throttleRate: 0, snapshotFailRate: 0, intervalMinutes: 5, pendingMs: [20_000, 60_000], handoff: true });
  assert.ok(await s.advanceUntil(() => s.runs.length >= 1, 3 * MIN));
  await s.advance(20 * MIN);
  // `jenkins-ecs restart` wrote its begin and was killed; nobody re-runs it for 25 minutes.
  const killed = s.newCaller('killed-cli', 0);
  await commit(s.recordFor(killed), LINEAGE, (r) => beginOperation(r!, { kind: 'handover', id: 'killed' }), { clock: s.clock });
  await s.advance(25 * MIN);
  s.crash();
  await s.advance(2 * MIN);
  // The operator re-runs `jenkins-ecs restart`: it resumes the handover and Jenkins runs again.
  const cli = s.newCaller('rerun-cli', 0);
  void driveHandover(s.handoverDeps(cli), { lineage: LINEAGE, cluster: 'sim-cluster', service: 'sim-controller', pollMs: 5_000, starter: 'service' }, { id: 'rerun', resume: true }).catch(() => undefined);
  await s.advance(15 * MIN);
  assert.deepEqual(s.violations, []);
});
