/**
 * Every scenario named in docs/protocol.md, scripted on the simulator. The simulator
 * checks I1–I6 continuously (see world.ts); each test also asserts what the scenario is about.
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

async function firstJenkins(s: Sim): Promise<void> {
  assert.ok(await s.advanceUntil(() => s.runs.length >= 1, 3 * MIN), `no Jenkins started:\n${s.report()}`);
}

async function nextJenkins(s: Sim, n: number, within = 20 * MIN): Promise<void> {
  assert.ok(await s.advanceUntil(() => s.runs.length >= n && s.runningJenkins().length === 1, within), `Jenkins #${n} did not start:\n${s.report()}`);
}

function sorted(xs: Iterable<number>): number[] {
  return [...xs].sort((a, b) => a - b);
}

function subset(a: ReadonlySet<number>, b: ReadonlySet<number>): boolean {
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

describe('simulator scenarios', () => {
  test('bootstrap with an empty lineage: the first Jenkins starts on an empty volume', async () => {
    const s = sim();
    await firstJenkins(s);
    const [run] = s.runs;
    assert.equal(run!.source, undefined);
    assert.equal(run!.startHome.size, 0);
    assert.ok(s.log.some((l) => l.includes('"reason":"bootstrap"')));
    await s.advance(12 * MIN);
    assert.ok(s.trueHead() !== undefined, 'periodic snapshots start the lineage');
    clean(s);
  });

  test('seed snapshot: the first Jenkins starts from the seed and the lineage continues from it', async () => {
    const s = sim({ seedSnapshot: true });
    await firstJenkins(s);
    const run = s.runs[0]!;
    const seed = s.snapshotList().find((x) => x.kind === 'seed')!;
    assert.equal(run.source, seed.id);
    assert.equal(s.trueHead(), undefined, 'the seed is launched from, not a member of the record');
    assert.deepEqual(sorted(run.startHome), [-3, -2, -1]);
    s.restartTask();
    await nextJenkins(s, 2);
    assert.ok(subset(new Set([-3, -2, -1]), s.runs[1]!.startHome));
    clean(s);
  });

  test('deploy costs a double start: a stale task waits at the gate, then a fresh one gets every write', async () => {
    const s = sim();
    await firstJenkins(s);
    await s.advance(3 * MIN);
    const starts = s.taskStarts;
    s.deploy();
    await nextJenkins(s, 2);
    assert.equal(s.taskStarts - starts, 2, 'one stale start from the old launch snapshot, one fresh start from the head');
    assert.ok(s.staleDecisions >= 1);
    const [r1, r2] = s.runs;
    assert.equal(r1!.stopKind, 'graceful');
    assert.ok(subset(r1!.homeAtStop!, r2!.startHome), 'every write before the stop is in the next home (I3)');
    assert.equal(r2!.source, r1!.finalSnapshotId);
    clean(s);
  });

  test('graceful restart: the next Jenkins has exactly the home the previous one stopped with', async () => {
    const s = sim({ seed: 11 });
    await firstJenkins(s);
    await s.advance(8 * MIN);
    s.restartTask();
    await nextJenkins(s, 2);
    const [r1, r2] = s.runs;
    assert.ok(r1!.homeAtStop!.size > 0);
    assert.deepEqual(sorted(r2!.startHome), sorted(r1!.homeAtStop!));
    clean(s);
  });

  test('crash: no final snapshot, loss bounded by the interval, and Jenkins is back within the liveness bound', async () => {
    const s = sim({ seed: 3 });
    await firstJenkins(s);
    await s.advance(7 * MIN); // one periodic snapshot taken and completed
    s.crash();
    const crashedAt = s.clock.ms;
    await nextJenkins(s, 2);
    const [r1, r2] = s.runs;
    assert.equal(r1!.stopKind, 'crash');
    assert.equal(r1!.finalSnapshotId, undefined);
    const lost = [...r1!.homeAtStop!].filter((r) => !r2!.startHome.has(r));
    assert.ok(lost.length > 0, 'the writes after the last periodic snapshot are lost');
    assert.ok(r2!.startHome.size > 0, 'the periodic snapshot was kept');
    assert.ok(r2!.startAt - crashedAt <= s.livenessBoundMs());
    clean(s);
  });

  test('keeper crash: the task stops without a final snapshot and a fresh Jenkins starts from the last periodic', async () => {
    const s = sim({ seed: 5 });
    await firstJenkins(s);
    await s.advance(7 * MIN);
    s.keeperCrash();
    await nextJenkins(s, 2);
    const [r1, r2] = s.runs;
    assert.equal(r1!.stopKind, 'keeper-crash');
    assert.equal(r1!.finalSnapshotId, undefined);
    assert.ok(r2!.startHome.size > 0);
    clean(s);
  });

  test('pending head that fails: the waiting stale task re-checks and becomes authoritative without a roll', async () => {
    const s = sim({ seedSnapshot: true, snapshotOutcome: ({ kind }) => (kind === 'final' ? { durationMs: 3 * MIN, fail: true } : undefined) });
    await firstJenkins(s);
    const seed = s.runs[0]!.source;
    await s.advance(2 * MIN); // shorter than the interval: no periodic yet
    s.restartTask();
    await nextJenkins(s, 2, 15 * MIN);
    const r2 = s.runs[1]!;
    assert.equal(s.failedSnapshotIds.size, 1, 'the final snapshot failed');
    assert.equal(r2.source, seed, 'the replacement task, built from the old head, was authorized');
    assert.equal(s.rollsByHead.size, 0, 'the reconciler never had to roll');
    assert.ok(s.staleDecisions >= 1, 'it was stale while the final snapshot was pending');
    clean(s);
  });

  test('snapshot failure: a failed periodic snapshot is counted, deleted, and the next round succeeds', async () => {
    const s = sim({ seed: 9, snapshotOutcome: ({ kind, n }) => (kind === 'periodic' && n === 1 ? { fail: true, durationMs: 30_000 } : undefined) });
    await firstJenkins(s);
    await s.advance(12 * MIN);
    const failed = [...s.failedSnapshotIds];
    assert.equal(failed.length, 1);
    assert.ok(s.reconcileReports.some((r) => r.snapshotFailures.includes(failed[0]!)), 'the reconciler reported it');
    assert.ok(!s.snapshotList().some((x) => x.id === failed[0]), 'and deleted it');
    assert.equal(s.trueHead()?.state, 'completed');
    assert.equal(s.trueHead()?.kind, 'periodic');
    clean(s);
  });

  test('throttling: with half the AWS calls throttled, deploys, restarts and crashes still converge', async () => {
    const s = sim({ seed: 21, throttleRate: 0.5 });
    await firstJenkins(s);
    await s.advance(6 * MIN);
    s.deploy();
    await nextJenkins(s, 2);
    await s.advance(6 * MIN);
    s.restartTask();
    await nextJenkins(s, 3);
    await s.advance(6 * MIN);
    s.crash();
    await nextJenkins(s, 4);
    assert.ok(s.log.some((l) => l.includes('RequestLimitExceeded')));
    clean(s);
  });

  test('holder race between two tasks: exactly one becomes authoritative (one conditional write wins)', async () => {
    const s = sim({ seed: 1, desiredCount: 2, provisionMs: [20_000, 20_000], callLatencyMs: 200 });
    await firstJenkins(s);
    await s.advance(5 * MIN);
    assert.equal(s.runs.length, 1);
    assert.equal(s.runningJenkins().length, 1);
    assert.ok(s.log.some((l) => l.includes('waiting to hold the lineage') && l.includes('"code":"held"')), 'the second acquire was refused: held');
    assert.ok(s.store.conditionFailures > 0 || s.log.some((l) => l.includes('"code":"held"')), 'one conditional write lost, or read the winner');
    clean(s);
  });

  test('overlap at maximumPercent 200: the new task starts before the old stops, yet never two authorized', async () => {
    const s = sim({ seed: 13, maximumPercent: 200 });
    await firstJenkins(s);
    await s.advance(4 * MIN);
    s.deploy();
    await nextJenkins(s, 2, 25 * MIN);
    const newStart = s.log.findIndex((l) => l.includes('task t2 provisioning'));
    const oldStop = s.log.findIndex((l) => l.includes('t1 STOPPED'));
    assert.ok(newStart >= 0 && newStart < oldStop, 'the new task was placed while the old one still ran');
    assert.ok(subset(s.runs[0]!.homeAtStop!, s.runs[1]!.startHome));
    clean(s);
  });

  test('restore to an older snapshot: the next home is that snapshot and the lineage continues from it', async () => {
    const s = sim({ seed: 17 });
    await firstJenkins(s);
    await s.advance(16 * MIN);
    const older = s.snapshotList().filter((x) => x.state === 'completed' && x.kind === 'periodic').sort((a, b) => a.startTime.getTime() - b.startTime.getTime())[0]!;
    s.restoreTo(older.id);
    assert.ok(await s.advanceUntil(() => !s.restoreInProgress && s.runs.at(-1)?.source === older.id && s.runningJenkins().length === 1, 15 * MIN), s.report());
    assert.equal(s.restoreError, undefined);
    const restored = s.runs.at(-1)!;
    assert.deepEqual(sorted(restored.startHome), sorted(s.snapshotContent(older.id)!));
    assert.equal(s.trueHead()?.id, older.id);
    assert.equal(s.launchValue, older.id);
    await s.advance(6 * MIN);
    const head = s.trueHead()!;
    assert.notEqual(head.id, older.id, 'new periodic snapshots overtake the promoted one');
    assert.equal(head.source, older.id);
    clean(s);
  });

  test('retention prunes old periodic snapshots but never the head or what a deployment or the record launch references', async () => {
    const s = sim({ seed: 23, intervalMinutes: 2, keepLast: 1, keepDailyDays: 0 });
    await firstJenkins(s);
    await s.advance(6 * MIN);
    s.restartTask(); // the service now launches from a final snapshot
    await nextJenkins(s, 2);
    await s.advance(30 * MIN);
    const pruned = s.reconcileReports.flatMap((r) => r.pruned);
    assert.ok(pruned.length >= 5, `retention pruned ${pruned.length}`);
    const referenced = new Set([...s.serviceState().deployments.map((d) => d.snapshotId), s.launchValue]);
    for (const id of referenced) if (id) assert.ok(s.snapshotContent(id), `${id} is still there`);
    s.crash(); // the replacement launches from the referenced snapshot, which must exist
    await nextJenkins(s, 3);
    clean(s);
  });

  test('the reconciler never rolls twice for the same head, however often it is triggered', async () => {
    const s = sim({ seed: 29 });
    await firstJenkins(s);
    await s.advance(3 * MIN);
    s.deploy();
    for (let i = 0; i < 20; i++) s.triggerReconcile('test burst', i * 3_000);
    await nextJenkins(s, 2);
    for (let i = 0; i < 20; i++) s.triggerReconcile('test burst', i * 3_000);
    await s.advance(5 * MIN);
    assert.ok(s.rollsByHead.size >= 1);
    for (const [head, n] of s.rollsByHead) assert.equal(n, 1, `rolled to ${head} ${n} times`);
    clean(s);
  });
});
