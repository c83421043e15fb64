/**
 * One named scenario per failure of issue 9 (the adversarial review of v0.1), each scripted on the
 * simulator's model of documented AWS behaviour. Every one of them broke an invariant on the v0.1
 * design (tag listings, holder tags, promoted-at from the client's clock); the output of that run
 * is recorded in the commit that replaced the v0.1 keeper, reconciler and restore. Here they must
 * all hold. The assertions are about data, not about the protocol's own bookkeeping: what the
 * next Jenkins finds in its home against what the previous one wrote.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Sim, type SimOptions } from './world.js';

const MIN = 60_000;

function sim(extra: Partial<SimOptions> = {}): Sim {
  return new Sim({ seed: 7, maximumPercent: 100, throttleRate: 0, snapshotFailRate: 0, intervalMinutes: 5, pendingMs: [20_000, 60_000], ...extra });
}

function clean(s: Sim): void {
  assert.deepEqual(s.violations, [], `invariants broken:\n${s.report()}`);
}

async function nextJenkins(s: Sim, n: number, within = 20 * MIN): Promise<void> {
  assert.ok(await s.advanceUntil(() => s.runs.length >= n && s.runningJenkins().length === 1, within), `Jenkins #${n} did not start:\n${s.report()}`);
}

/** Every record the previous Jenkins had when it stopped is in the next one's home. */
function nothingLost(s: Sim, prev: number, next: number): void {
  const a = s.runs[prev]!;
  const b = s.runs[next]!;
  const lost = [...a.homeAtStop!].filter((r) => !b.startHome.has(r));
  assert.deepEqual(lost, [], `Jenkins #${next + 1} misses ${lost.length} record(s) of #${prev + 1}:\n${s.report()}`);
}

describe('issue 9 failures, one scenario each', () => {
  test('1. listing lag: a final snapshot not yet listed never lets a replacement start on older data', async () => {
    const s = sim({ listLagMs: 60_000, listLagExact: true, provisionMs: [5_000, 5_000], intervalMinutes: 15 });
    await nextJenkins(s, 1, 3 * MIN);
    await s.advance(16 * MIN); // one periodic snapshot, completed and listed
    s.crash(); // the service rolls to that periodic snapshot
    await nextJenkins(s, 2);
    await s.advance(3 * MIN); // writes after the periodic snapshot
    s.restartTask(); // graceful: the final snapshot is invisible to listings for 60 s
    await nextJenkins(s, 3);
    assert.equal(s.runs[1]!.stopKind, 'graceful');
    nothingLost(s, 1, 2);
    clean(s);
  });

  test('2. foreign snapshots: a backup of a stale, gated volume (tags copied) never becomes the head', async () => {
    const s = sim({ seed: 8 });
    await nextJenkins(s, 1, 3 * MIN);
    await s.advance(8 * MIN);
    s.deploy(); // from the deploy-time value: the replacement is stale until the service rolls
    assert.ok(await s.advanceUntil(() => s.tasks.length >= 2 && s.tasks[1]!.phase === 'running', 5 * MIN));
    const gated = s.tasks[1]!.volumeId;
    const foreign = s.foreignSnapshot(gated, { copyKind: 'periodic', durationMs: 5_000 });
    await nextJenkins(s, 2);
    assert.notEqual(s.runs[1]!.source, foreign, 'Jenkins never launches from the foreign snapshot');
    nothingLost(s, 0, 1);
    assert.ok(s.snapshotContent(foreign!), 'the foreign snapshot is not the protocol’s to delete');
    clean(s);
  });

  test('3. client clocks: a restore from a machine 30 min ahead is overtaken by the next snapshot all the same', async () => {
    const s = sim({ seed: 17, cliSkewMs: 30 * MIN });
    await nextJenkins(s, 1, 3 * MIN);
    await s.advance(16 * MIN);
    const older = s.snapshotList().filter((x) => x.state === 'completed' && x.kind === 'periodic').sort((a, b) => a.startTime.getTime() - b.startTime.getTime())[0]!;
    s.restoreTo(older.id);
    assert.ok(await s.advanceUntil(() => !s.restoreInProgress && s.runs.at(-1)?.source === older.id && s.runningJenkins().length === 1, 15 * MIN), s.report());
    const restored = s.runs.length - 1;
    await s.advance(3 * MIN); // writes on the restored home
    s.restartTask(); // graceful stop inside the 30 min the skewed promoted-at would have pinned
    await nextJenkins(s, restored + 2);
    nothingLost(s, restored, restored + 1);
    clean(s);
  });

  test('3b. client clocks: a restore from a machine 30 min behind is not undone by a periodic snapshot taken before it', async () => {
    const s = sim({ seed: 19, cliSkewMs: -30 * MIN, intervalMinutes: 5 });
    await nextJenkins(s, 1, 3 * MIN);
    await s.advance(16 * MIN);
    const older = s.snapshotList().filter((x) => x.state === 'completed' && x.kind === 'periodic').sort((a, b) => a.startTime.getTime() - b.startTime.getTime())[0]!;
    s.restoreTo(older.id);
    assert.ok(await s.advanceUntil(() => !s.restoreInProgress && s.runs.at(-1)?.source === older.id && s.runningJenkins().length === 1, 15 * MIN), s.report());
    clean(s);
  });

  test('4. retention against a restore: the reconciler’s delete of a snapshot the restore is promoting never lands', async () => {
    // The reconciler's last check of the candidate (by id) reaches it 20 s late; meanwhile the
    // restore, with nothing to wait for, makes that snapshot the head.
    const box: { target?: string } = {};
    const s = sim({ seed: 23, intervalMinutes: 2, keepLast: 1, keepDailyDays: 0, answerDelay: (caller, op, arg) => (caller.startsWith('reconciler') && op === 'describeSnapshot' && arg === box.target ? 20_000 : 0) });
    await nextJenkins(s, 1, 3 * MIN);
    await s.advance(9 * MIN);
    // keepLast 1 keeps the newest periodic snapshot next to the head; the one before it is deleted
    // once the final snapshot below has completed.
    const periodic = s.snapshotList().filter((x) => x.state === 'completed' && x.kind === 'periodic').sort((a, b) => b.startTime.getTime() - a.startTime.getTime());
    const target = periodic[1]!.id;
    box.target = target;
    s.scaleTo(0);
    assert.ok(await s.advanceUntil(() => s.trueHead()?.kind === 'final' && s.trueHead()?.state === 'completed', 5 * MIN), s.report());
    s.restoreTo(target);
    assert.ok(await s.advanceUntil(() => !s.restoreInProgress && s.runningJenkins().length === 1, 15 * MIN), s.report());
    assert.ok(s.snapshotContent(target), `${target} (the restored head) still exists`);
    assert.equal(s.runs.at(-1)!.source, target);
    clean(s);
  });

  test('4b. a cdk deploy during a restore’s scale-down cannot relaunch from the old head and overtake the promotion', async () => {
    const s = sim({ seed: 29, deployApplyMs: [1_000, 1_000] });
    await nextJenkins(s, 1, 3 * MIN);
    await s.advance(16 * MIN);
    const older = s.snapshotList().filter((x) => x.state === 'completed' && x.kind === 'periodic').sort((a, b) => a.startTime.getTime() - b.startTime.getTime())[0]!;
    s.restoreTo(older.id);
    await s.advance(2_000);
    s.deploy();
    assert.ok(await s.advanceUntil(() => !s.restoreInProgress && s.runningJenkins().length === 1, 20 * MIN), s.report());
    await s.advance(2 * MIN);
    assert.equal(s.runs.at(-1)!.source, older.id, 'the lineage continues from the restored snapshot');
    clean(s);
  });

  test('5. rate limits: a final snapshot right after a periodic one is retried until the stop deadline', async () => {
    let stopped = false;
    const box: { sim?: Sim } = {};
    const s = sim({
      seed: 31,
      jenkinsStopMs: [1_000, 1_000],
      earlySigtermRate: 1,
      onSnapshotCreated: (x) => {
        if (!stopped && x.kind === 'periodic') {
          stopped = true;
          box.sim!.restartTask(); // SIGTERM one moment after the periodic CreateSnapshot
        }
      },
    });
    box.sim = s;
    await nextJenkins(s, 1, 3 * MIN);
    await nextJenkins(s, 2, 20 * MIN);
    assert.ok(s.log.some((l) => l.includes('SnapshotCreationPerVolumeRateExceeded')), 'the final snapshot hit the per-volume rate limit');
    assert.ok(s.runs[0]!.finalSnapshotId !== undefined, `the final snapshot was taken:\n${s.report()}`);
    nothingLost(s, 0, 1);
    clean(s);
  });

  test('6. holder race: two tasks at once with slow AWS answers; the lease in the record admits one, never two Jenkins', async () => {
    const s = sim({ seed: 1, desiredCount: 2, provisionMs: [20_000, 20_000], callLatencyMs: 200 });
    await s.advance(5 * MIN);
    assert.equal(s.runningJenkins().length, 1);
    clean(s);
  });
});
