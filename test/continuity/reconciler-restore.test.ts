import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Snapshot } from '../../src/continuity/model.js';
import { reconcile, type ReconcilerConfig } from '../../src/continuity/reconciler.js';
import { pickBefore, restore, RestoreError, type RestoreErrorCode } from '../../src/continuity/restore.js';
import { awsError, FakeAws } from './fake.js';

const RCFG: ReconcilerConfig = { lineage: 'ci', cluster: 'c', service: 's', keepLast: 2, keepDailyDays: 0 };

function add(aws: FakeAws, id: string, minutesAgo: number, extra: Partial<Snapshot> = {}): void {
  aws.snapshots.set(id, { id, state: 'completed', startTime: new Date(aws.clock.ms - minutesAgo * 60_000), lineage: 'ci', kind: 'periodic', ...extra });
}

function primary(aws: FakeAws, snapshotId: string | undefined, extra: Record<string, unknown> = {}): void {
  aws.service = {
    desiredCount: 1,
    runningCount: 1,
    deployments: [{ id: 'd1', status: 'PRIMARY', rolloutState: 'COMPLETED', createdAt: aws.clock.now(), ...(snapshotId ? { snapshotId } : {}) }],
    ...extra,
  };
}

function run(aws: FakeAws) {
  const metrics: Record<string, number> = {};
  const p = reconcile({ ec2: aws.ec2, ecs: aws.ecs, pointer: aws.pointerPort, clock: aws.clock, log: aws.log, metric: (n, v) => (metrics[n] = v) }, RCFG);
  return aws.settle(p).then((out) => {
    if (out.error) throw out.error;
    return { report: out.value!, metrics };
  });
}

describe('reconcile', () => {
  test('service behind the head with a stale task waiting: writes the pointer, rolls once, counts a stale start', async () => {
    const aws = new FakeAws();
    add(aws, 'snap-old', 60);
    add(aws, 'snap-head', 5, { kind: 'final' });
    primary(aws, 'snap-old');
    aws.pointer = 'snap-old';
    const { report, metrics } = await run(aws);
    assert.equal(report.rolled, true);
    assert.equal(aws.pointer, 'snap-head');
    assert.deepEqual(aws.rolls, [{ snapshotId: 'snap-head' }]);
    assert.ok(aws.calls.indexOf('putPointer') < aws.calls.indexOf('rollSnapshot'), 'pointer before the roll');
    assert.equal(metrics.StaleStarts, 1);
    assert.equal(metrics.Rolls, 1);
    assert.equal(metrics.HeadAgeSeconds, 300);
    const again = await run(aws);
    assert.equal(again.report.rolled, false, 'a second run for the same head does not roll again');
    assert.equal(aws.rolls.length, 1);
  });

  test('a live holder: no roll, even though the service is behind the head', async () => {
    const aws = new FakeAws();
    add(aws, 'snap-old', 60);
    add(aws, 'snap-head', 5);
    primary(aws, 'snap-old');
    aws.volumes.set('vol-1', { id: 'vol-1', state: 'in-use', createTime: aws.clock.now(), holder: 'ci' });
    const { report } = await run(aws);
    assert.deepEqual(report.decision, { action: 'nothing', reason: 'live-holder' });
    assert.equal(aws.rolls.length, 0);
  });

  test('error snapshots are counted as failures and deleted, so the next run does not count them again', async () => {
    const aws = new FakeAws();
    add(aws, 'snap-head', 5);
    add(aws, 'snap-bad', 2, { state: 'error' });
    primary(aws, 'snap-head');
    aws.pointer = 'snap-head';
    const first = await run(aws);
    assert.deepEqual(first.report.snapshotFailures, ['snap-bad']);
    assert.equal(first.metrics.SnapshotFailures, 1);
    assert.equal(aws.snapshots.has('snap-bad'), false);
    assert.equal((await run(aws)).metrics.SnapshotFailures, 0);
  });

  test('retention prunes old periodic snapshots, keeping the head, the referenced and the newest keepLast', async () => {
    const aws = new FakeAws();
    for (let i = 0; i < 8; i++) add(aws, `snap-${i}`, 100 - i * 10);
    add(aws, 'snap-man', 200, { kind: 'manual' });
    primary(aws, 'snap-0');
    aws.pointer = 'snap-0';
    aws.volumes.set('vol-1', { id: 'vol-1', state: 'in-use', createTime: aws.clock.now(), holder: 'ci' });
    const { report, metrics } = await run(aws);
    assert.deepEqual([...report.pruned].sort(), ['snap-1', 'snap-2', 'snap-3', 'snap-4']);
    assert.equal(metrics.SnapshotsPruned, 4);
    for (const id of ['snap-0', 'snap-5', 'snap-6', 'snap-7', 'snap-man']) assert.ok(aws.snapshots.has(id), id);
  });

  test('retention reads the pointer and the service once for all its deletions, after the first reads', async () => {
    const aws = new FakeAws();
    for (let i = 0; i < 8; i++) add(aws, `snap-${i}`, 100 - i * 10);
    primary(aws, 'snap-0');
    aws.pointer = 'snap-0';
    aws.volumes.set('vol-1', { id: 'vol-1', state: 'in-use', createTime: aws.clock.now(), holder: 'ci' });
    // A deployment starts from snap-2 right after the reconciler's first reads.
    const original = aws.pointerPort.getPointer;
    let reads = 0;
    (aws.pointerPort as { getPointer: typeof original }).getPointer = async () => {
      const out = await original();
      if (++reads === 1) aws.service = { ...aws.service!, deployments: [...aws.service!.deployments, { id: 'd2', status: 'ACTIVE', rolloutState: 'IN_PROGRESS', createdAt: aws.clock.now(), snapshotId: 'snap-2' }] };
      return out;
    };
    const { report } = await run(aws);
    assert.deepEqual([...report.pruned].sort(), ['snap-1', 'snap-3', 'snap-4']);
    assert.ok(aws.snapshots.has('snap-2'));
    assert.equal(aws.calls.filter((c) => c === 'getPointer').length, 2);
    assert.equal(aws.calls.filter((c) => c === 'describeService').length, 2);
    assert.equal(aws.calls.filter((c) => c === 'describeSnapshot').length, 4);
  });

  test('a pending head: no roll and no pruning until it settles', async () => {
    const aws = new FakeAws();
    for (let i = 0; i < 6; i++) add(aws, `snap-${i}`, 100 - i * 10);
    add(aws, 'snap-p', 1, { state: 'pending', kind: 'final' });
    primary(aws, 'snap-0');
    const { report } = await run(aws);
    assert.deepEqual(report.decision, { action: 'nothing', reason: 'head-pending' });
    assert.deepEqual(report.pruned, []);
  });

  test('a snapshot promoted by a restore after the listing is not pruned', async () => {
    const aws = new FakeAws();
    for (let i = 0; i < 6; i++) add(aws, `snap-${i}`, 100 - i * 10);
    primary(aws, 'snap-5');
    aws.pointer = 'snap-5';
    // The restore promotes snap-1 between the reconciler's listing and its deletions.
    const original = aws.ec2.describeSnapshot;
    let promoted = false;
    (aws.ec2 as { describeSnapshot: typeof original }).describeSnapshot = async (id) => {
      if (!promoted) {
        promoted = true;
        aws.snapshots.set('snap-1', { ...aws.snapshots.get('snap-1')!, promotedAt: aws.clock.now() });
      }
      return original(id);
    };
    const { report } = await run(aws);
    assert.ok(!report.pruned.includes('snap-1'));
    assert.ok(aws.snapshots.has('snap-1'));
  });

  test('a restore that promotes another snapshot after the first reads: no roll to the old head, no pointer write', async () => {
    const aws = new FakeAws();
    add(aws, 'snap-old', 60);
    add(aws, 'snap-head', 5);
    primary(aws, 'snap-old');
    aws.pointer = 'snap-old';
    aws.service = { ...aws.service!, desiredCount: 0, runningCount: 0 };
    // The restore promotes snap-old right after the reconciler's first listing.
    const original = aws.ec2.listLineage;
    let listings = 0;
    (aws.ec2 as { listLineage: typeof original }).listLineage = async (lineage) => {
      const out = await original(lineage);
      if (++listings === 1) aws.snapshots.set('snap-old', { ...aws.snapshots.get('snap-old')!, promotedAt: aws.clock.now() });
      return out;
    };
    const { report } = await run(aws);
    assert.deepEqual(report.decision, { action: 'roll', snapshotId: 'snap-head', from: 'snap-old' }, 'planned from the first reads');
    assert.equal(report.rolled, false, 'decided again from fresh reads before writing');
    assert.equal(aws.rolls.length, 0);
    assert.equal(aws.pointer, 'snap-old');
    assert.ok(aws.logs.some((l) => l.msg.startsWith('the lineage or the service changed while reconciling')));
  });

  test('throttled calls are retried; an unknown AWS error fails the run', async () => {
    const aws = new FakeAws();
    add(aws, 'snap-head', 5);
    primary(aws, 'snap-head');
    aws.failures.set('listLineage', [awsError('RequestLimitExceeded')]);
    assert.equal((await run(aws)).report.head, 'snap-head');
    aws.failures.set('describeService', [awsError('AccessDeniedException')]);
    await assert.rejects(run(aws), { name: 'AccessDeniedException' });
  });
});

describe('restore', () => {
  function restorable(): FakeAws {
    const aws = new FakeAws();
    add(aws, 'snap-a', 120);
    add(aws, 'snap-b', 60);
    add(aws, 'snap-c', 10);
    primary(aws, 'snap-b', { runningCount: 0 });
    aws.pointer = 'snap-b';
    return aws;
  }

  async function expectCode(aws: FakeAws, snapshotId: string, code: RestoreErrorCode): Promise<void> {
    const out = await aws.settle(restore({ ec2: aws.ec2, ecs: aws.ecs, pointer: aws.pointerPort, clock: aws.clock }, { lineage: 'ci', cluster: 'c', service: 's', snapshotId }));
    assert.ok(out.error instanceof RestoreError, String(out.error));
    assert.equal(out.error.code, code);
  }

  test('scales to 0, promotes the snapshot (it becomes the head), writes the pointer, relaunches from it', async () => {
    const aws = restorable();
    const steps: string[] = [];
    const out = await aws.settle(
      restore({ ec2: aws.ec2, ecs: aws.ecs, pointer: aws.pointerPort, clock: aws.clock }, { lineage: 'ci', cluster: 'c', service: 's', snapshotId: 'snap-a', onProgress: (s) => steps.push(s) }),
    );
    assert.equal(out.error, undefined);
    assert.ok(aws.snapshots.get('snap-a')?.promotedAt);
    assert.equal(aws.pointer, 'snap-a');
    assert.deepEqual(aws.rolls, [{ snapshotId: 'snap-a', desiredCount: 1 }]);
    assert.ok(aws.calls.indexOf('setDesiredCount') < aws.calls.indexOf('promoteSnapshot'));
    assert.deepEqual([...new Set(steps)], ['check', 'scale-down', 'promote', 'pointer', 'scale-up', 'done']);
  });

  test('waits for the holder tag to go before promoting, so the final snapshot cannot overtake the promotion', async () => {
    const aws = restorable();
    aws.volumes.set('vol-1', { id: 'vol-1', state: 'in-use', createTime: aws.clock.now(), holder: 'ci' });
    const p = restore({ ec2: aws.ec2, ecs: aws.ecs, pointer: aws.pointerPort, clock: aws.clock }, { lineage: 'ci', cluster: 'c', service: 's', snapshotId: 'snap-a' });
    assert.equal((await aws.settle(p, 30_000)).done, false);
    assert.ok(!aws.calls.includes('promoteSnapshot'));
    add(aws, 'snap-final', 0, { kind: 'final' });
    aws.volumes.delete('vol-1');
    const out = await aws.settle(p, 30_000);
    assert.equal(out.error, undefined);
    assert.ok(aws.snapshots.get('snap-a')!.promotedAt! > aws.snapshots.get('snap-final')!.startTime);
  });

  test('re-run after an interruption after the promotion: does not promote again and finishes the job', async () => {
    const aws = restorable();
    aws.service = { ...aws.service!, desiredCount: 0 };
    const at = new Date(aws.clock.ms - 1_000);
    aws.snapshots.set('snap-a', { ...aws.snapshots.get('snap-a')!, promotedAt: at });
    const out = await aws.settle(restore({ ec2: aws.ec2, ecs: aws.ecs, pointer: aws.pointerPort, clock: aws.clock }, { lineage: 'ci', cluster: 'c', service: 's', snapshotId: 'snap-a' }));
    assert.equal(out.value?.promoted, false);
    assert.equal(aws.snapshots.get('snap-a')?.promotedAt, at);
    assert.ok(!aws.calls.includes('setDesiredCount') || aws.service?.desiredCount === 1);
    assert.equal(aws.pointer, 'snap-a');
    assert.equal(aws.rolls.length, 1);
    const again = await aws.settle(restore({ ec2: aws.ec2, ecs: aws.ecs, pointer: aws.pointerPort, clock: aws.clock }, { lineage: 'ci', cluster: 'c', service: 's', snapshotId: 'snap-a' }));
    assert.equal(again.value?.alreadyRestored, true, 'a third run finds nothing to do');
    assert.equal(aws.rolls.length, 1);
  });

  test('refuses unknown, foreign, pending and failed snapshots with distinct codes', async () => {
    const aws = restorable();
    add(aws, 'snap-x', 30, { lineage: 'other' });
    add(aws, 'snap-p', 1, { state: 'pending' });
    add(aws, 'snap-e', 2, { state: 'error' });
    await expectCode(aws, 'snap-nope', 'snapshot-not-found');
    await expectCode(aws, 'snap-x', 'not-in-lineage');
    await expectCode(aws, 'snap-p', 'snapshot-pending');
    await expectCode(aws, 'snap-e', 'snapshot-failed');
    assert.ok(!aws.calls.includes('setDesiredCount'), 'nothing was changed');
  });

  test('gives up with scale-down-timeout when the task never stops', async () => {
    const aws = restorable();
    aws.service = { ...aws.service!, runningCount: 1 };
    aws.ecs.setDesiredCount = async () => undefined;
    const out = await aws.settle(
      restore({ ec2: aws.ec2, ecs: aws.ecs, pointer: aws.pointerPort, clock: aws.clock }, { lineage: 'ci', cluster: 'c', service: 's', snapshotId: 'snap-a', scaleDownTimeoutMs: 60_000 }),
    );
    assert.ok(out.error instanceof RestoreError && out.error.code === 'scale-down-timeout');
    assert.ok(!aws.calls.includes('promoteSnapshot'));
  });
});

describe('pickBefore', () => {
  const base = Date.parse('2026-05-01T00:00:00Z');
  const s = (id: string, min: number, extra: Partial<Snapshot> = {}): Snapshot => ({ id, state: 'completed', startTime: new Date(base + min * 60_000), lineage: 'ci', ...extra });
  test('picks the newest completed snapshot taken at or before the time', () => {
    const list = [s('snap-1', 0), s('snap-2', 10), s('snap-3', 20), s('snap-4', 15, { state: 'error' }), s('snap-5', 12, { state: 'pending' })];
    assert.equal(pickBefore(list, new Date(base + 16 * 60_000))?.id, 'snap-2');
    assert.equal(pickBefore(list, new Date(base + 10 * 60_000))?.id, 'snap-2', 'inclusive');
    assert.equal(pickBefore(list, new Date(base - 1)), undefined);
  });
  test('uses StartTime, not promoted-at: a promoted old snapshot still dates from when it was taken', () => {
    const list = [s('snap-old', 0, { promotedAt: new Date(base + 100 * 60_000) }), s('snap-mid', 50)];
    assert.equal(pickBefore(list, new Date(base + 60 * 60_000))?.id, 'snap-mid');
  });
});
