/**
 * Planned handovers in the simulator (issue 12, acceptance 1 and 2): restarts and deploys through
 * the real handover, each interrupted (a killed CLI, a custom-resource timeout, killed isComplete
 * invocations, a rollback deleting the resource, a task crash during the pre-copy), with I1–I6
 * checked as in every run, and StaleStarts per planned deploy counted: 0.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { plannedDeploy, plannedRestart, plannedRestartWithCrash, type DeployFault } from './handover.js';
import { Sim, type SimOptions } from './world.js';

const CALM: Omit<SimOptions, 'seed'> = { intervalMinutes: 5, pendingMs: [20_000, 180_000], provisionMs: [10_000, 40_000] };

/** A lineage that has served for a while (a head, a holder). */
async function serving(seed: number, extra: Partial<SimOptions> = {}): Promise<Sim> {
  const sim = new Sim({ seed, ...CALM, ...extra });
  assert.ok(await sim.advanceUntil(() => sim.record?.head !== undefined && sim.holderTask() !== undefined, 3_600_000), 'the lineage serves');
  await sim.advance(6 * 60_000);
  return sim;
}

/** Runs until the handover is over and a Jenkins serves again. */
async function settle(sim: Sim): Promise<void> {
  assert.ok(await sim.advanceUntil(() => !sim.handoverInProgress && sim.holderTask() !== undefined, 4 * 3_600_000), `the handover ends and Jenkins serves again\n${sim.report()}`);
}

function assertClean(sim: Sim): void {
  assert.deepEqual(sim.violations, [], sim.report());
  assert.equal(sim.plannedStaleStarts, 0, 'StaleStarts per planned handover');
}

describe('simulator: planned handovers', () => {
  for (const fault of ['none', 'timeout', 'lambda-killed', 'delete'] as const satisfies readonly DeployFault[]) {
    test(`cdk deploy replacing the task (${fault}): one start from the final snapshot, no stale start, I1–I6`, async () => {
      for (const seed of [1, 2, 3, 4, 5]) {
        const sim = await serving(seed * 101);
        const starts = sim.taskStarts;
        plannedDeploy(sim, fault);
        await settle(sim);
        assertClean(sim);
        assert.equal(sim.handoversFinished, 1, sim.report());
        assert.equal(sim.taskStarts - starts, 1, `exactly one task start (seed ${seed})\n${sim.report()}`);
        assert.equal(sim.plannedStarts, 1);
        assert.equal(sim.staleDecisions, 0, 'no stale gate decision at all');
        assert.equal(sim.record?.head?.kind, 'final');
      }
    });
  }

  test('jenkins-ecs restart killed at random moments and re-run: one start, no stale start, I1–I6', async () => {
    for (const seed of [11, 12, 13, 14, 15, 16]) {
      const sim = await serving(seed);
      const starts = sim.taskStarts;
      plannedRestart(sim, { killAfterMs: sim.rng.int(0, 400_000), killAgain: 1 });
      await settle(sim);
      assertClean(sim);
      assert.equal(sim.taskStarts - starts, 1, `exactly one task start (seed ${seed})\n${sim.report()}`);
    }
  });

  test('a task crash during the pre-copy: the holder is fenced, the lineage continues from the last registered snapshot, I1–I6', async () => {
    for (const seed of [21, 22, 23]) {
      const sim = await serving(seed);
      plannedRestartWithCrash(sim);
      await settle(sim);
      assert.deepEqual(sim.violations, [], sim.report());
    }
  });

  test('a series of planned deploys and restarts under throttling and lost answers: StaleStarts per planned deploy is 0', async () => {
    const sim = await serving(31, { throttleRate: 0.05, lostAnswerRate: 0.05, taskSkewMs: 5_000, cliSkewMs: 20 * 60_000 });
    for (let i = 0; i < 6; i++) {
      if (i % 2 === 0) plannedDeploy(sim, i === 2 ? 'timeout' : 'none');
      else plannedRestart(sim, i === 3 ? { killAfterMs: 60_000 } : {});
      await settle(sim);
      await sim.advance(10 * 60_000);
    }
    assertClean(sim);
    assert.equal(sim.handoversFinished, 6, sim.report());
    assert.equal(sim.plannedStarts, 6);
  });
});
