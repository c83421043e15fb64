// The keeper on the lineage record: acquire, stale, held/takeover, register with the token,
// fencing, the final snapshot under the per-volume rate limit, release only once Jenkins stopped.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Keeper, KEEPER_EXIT, type KeeperConfig } from '../../src/continuity/keeper.js';
import type { LineageRecord } from '../../src/continuity/record.js';
import { createRecord } from '../../src/continuity/transitions.js';
import { awsError, FakeAws } from './fake.js';

const TASK = 'arn:aws:ecs:us-east-1:1:task/c/abc';
const OTHER = 'arn:aws:ecs:us-east-1:1:task/c/old';
const CFG: KeeperConfig = { lineage: 'ci', cluster: 'c', taskArn: TASK, homePath: '/home', intervalMinutes: 15, bootstrapSettleMs: 1_000 };

function setup(opts: { source?: string; record?: LineageRecord } = {}): { aws: FakeAws; keeper: Keeper } {
  const aws = new FakeAws();
  aws.volumes.set('vol-1', { id: 'vol-1', state: 'in-use', createTime: new Date(aws.clock.ms - 60_000), ...(opts.source ? { snapshotId: opts.source } : {}) });
  if (opts.record) aws.record.writeNow(opts.record, undefined);
  const keeper = new Keeper({ ec2: aws.ec2, ecs: aws.ecs, record: aws.record, clock: aws.clock, host: aws.host, log: aws.log }, CFG);
  return { aws, keeper };
}

/** A record at seq 1 whose head is `head` (registered by an earlier holder), optionally still held by `holder`. */
function recordWith(head: string, holder?: { taskArn: string; token: number }): LineageRecord {
  const entry = { snapshotId: head, seq: 1, kind: 'final' as const };
  return { ...createRecord('ci'), head: entry, snapshots: [entry], ...(holder ? { holder: { ...holder, volumeId: 'vol-old' } } : {}) };
}

function completed(aws: FakeAws, id: string): void {
  aws.snapshots.set(id, { id, state: 'completed', startTime: new Date(aws.clock.ms - 60_000), lineage: 'ci', kind: 'periodic' });
}

describe('Keeper.start on the record', () => {
  test('no record: creates an empty one, acquires it (token 2) and opens the gate', async () => {
    const { aws, keeper } = setup();
    const out = await aws.settle(keeper.start());
    assert.equal(out.value, 'authorized');
    assert.deepEqual(aws.record.peek('ci')?.holder, { taskArn: TASK, volumeId: 'vol-1', token: 2 });
    assert.match(aws.markers.get('authorized') ?? '', /"token":2/);
  });

  test('v0.1 lineage (snapshots, no record): bootstraps from the listing, then holds as stale until rolled', async () => {
    const { aws, keeper } = setup({ source: 'snap-a' });
    completed(aws, 'snap-a');
    aws.snapshots.set('snap-b', { id: 'snap-b', state: 'completed', startTime: new Date(aws.clock.ms), lineage: 'ci', kind: 'final' });
    const out = await aws.settle(keeper.start(), 60_000);
    assert.equal(out.done, false);
    const rec = aws.record.peek('ci')!;
    assert.equal(rec.head?.snapshotId, 'snap-b');
    assert.match(aws.markers.get('stale') ?? '', /snap-a.*snap-b/);
    assert.equal(aws.calls.filter((c) => c === 'listLineage').length, 2, 'two listings, settleMs apart');
  });

  test('bootstrap waits while a v0.1 holder tag is on an in-use volume', async () => {
    const { aws, keeper } = setup();
    completed(aws, 'snap-a');
    aws.volumes.set('vol-v01', { id: 'vol-v01', state: 'in-use', createTime: new Date(0), holder: 'ci' });
    const p = keeper.start();
    const out = await aws.settle(p, 30_000);
    assert.equal(out.done, false);
    assert.equal(aws.record.peek('ci'), undefined);
    aws.volumes.set('vol-v01', { id: 'vol-v01', state: 'available', createTime: new Date(0), holder: 'ci' });
    await aws.settle(p, 60_000);
    assert.equal(aws.record.peek('ci')?.head?.snapshotId, 'snap-a');
  });

  test('stale volume: writes the stale marker and never holds the lineage', async () => {
    const { aws, keeper } = setup({ source: 'snap-old', record: recordWith('snap-head') });
    const out = await aws.settle(keeper.start(), 60_000);
    assert.equal(out.done, false);
    assert.match(aws.markers.get('stale') ?? '', /snap-old.*snap-head/);
    assert.equal(aws.record.peek('ci')?.holder, undefined);
    assert.equal(aws.logs.filter((l) => l.metric?.name === 'StaleGateDecisions').length, 1);
  });

  test('held by a task ECS reports DEACTIVATING: waits; once STOPPED: takes over in one write', async () => {
    const { aws, keeper } = setup({ source: 'snap-head', record: recordWith('snap-head', { taskArn: OTHER, token: 1 }) });
    aws.taskStatuses.set(OTHER, 'DEACTIVATING');
    const p = keeper.start();
    const early = await aws.settle(p, 60_000);
    assert.equal(early.done, false, 'a stopping task can still write: wait');
    assert.ok(aws.logs.some((l) => l.msg === 'waiting to hold the lineage' && l.code === 'held' && l.holderStatus === 'DEACTIVATING'));
    aws.taskStatuses.set(OTHER, 'STOPPED');
    const out = await aws.settle(p, 60_000);
    assert.equal(out.value, 'authorized');
    assert.equal(aws.record.peek('ci')?.holder?.taskArn, TASK);
  });

  test('an operation in progress: no lease is granted', async () => {
    const rec = { ...recordWith('snap-head'), operation: { kind: 'restore' as const, id: 'op', seq: 1 } };
    const { aws, keeper } = setup({ source: 'snap-head', record: rec });
    const out = await aws.settle(keeper.start(), 60_000);
    assert.equal(out.done, false);
    assert.equal(aws.record.peek('ci')?.holder, undefined);
  });
});

describe('Keeper snapshots on the record', () => {
  async function authorized(): Promise<{ aws: FakeAws; keeper: Keeper }> {
    const s = setup();
    await s.aws.settle(s.keeper.start());
    return s;
  }

  test('a periodic snapshot is registered with the token and becomes the head', async () => {
    const { aws, keeper } = await authorized();
    const out = await aws.settle(keeper.periodicSnapshot());
    assert.equal(out.value?.status, 'taken');
    const rec = aws.record.peek('ci')!;
    assert.equal(rec.head?.snapshotId, 'snap-new1');
    assert.equal(rec.head?.kind, 'periodic');
    assert.equal(aws.synced, 1);
  });

  test('fenced: when the record names another holder, the keeper stops writing and signals exit 4', async () => {
    const { aws, keeper } = await authorized();
    const r = aws.record.peek('ci')!;
    aws.record.writeNow({ ...r, seq: r.seq + 1, holder: { taskArn: OTHER, volumeId: 'vol-x', token: r.seq + 1 } }, r.seq);
    let fenced = false;
    void keeper.fenced.then(() => (fenced = true));
    const out = await aws.settle(keeper.periodicSnapshot());
    assert.equal(out.value?.status, 'fenced');
    await aws.settle(Promise.resolve());
    assert.ok(fenced);
    assert.equal(aws.calls.includes('createSnapshot'), false, 'no snapshot after losing the lease');
    assert.equal((await aws.settle(keeper.stop())).value, KEEPER_EXIT.fenced);
  });

  test('fenced between CreateSnapshot and register: the snapshot never joins the lineage', async () => {
    const { aws, keeper } = await authorized();
    const create = aws.ec2.createSnapshot.bind(aws.ec2);
    aws.ec2.createSnapshot = async (...args) => {
      const s = await create(...args);
      const r = aws.record.peek('ci')!;
      aws.record.writeNow({ ...r, seq: r.seq + 1, holder: { taskArn: OTHER, volumeId: 'vol-x', token: r.seq + 1 } }, r.seq);
      return s;
    };
    const out = await aws.settle(keeper.periodicSnapshot());
    assert.equal(out.value?.status, 'fenced');
    assert.equal(aws.record.peek('ci')?.head, undefined);
  });

  test('no periodic snapshot once stopping', async () => {
    const { aws, keeper } = await authorized();
    void keeper.stop();
    const out = await aws.settle(keeper.periodicSnapshot());
    assert.deepEqual(out.value, { status: 'skipped', reason: 'stopping' });
  });

  test('final snapshot: retried through SnapshotCreationPerVolumeRateExceeded for longer than 8 s, registered and released in one write', async () => {
    const { aws, keeper } = await authorized();
    aws.failures.set('createSnapshot', Array.from({ length: 12 }, () => awsError('SnapshotCreationPerVolumeRateExceeded')));
    const out = await aws.settle(keeper.stop());
    assert.equal(out.value, KEEPER_EXIT.ok);
    const rec = aws.record.peek('ci')!;
    assert.equal(rec.head?.kind, 'final');
    assert.equal(rec.holder, undefined, 'released with the final snapshot');
    assert.equal(aws.calls.filter((c) => c === 'createSnapshot').length, 13);
  });

  test('final snapshot: throttling that outlasts the stop budget gives up before it and exits 1', async () => {
    const { aws, keeper } = await authorized();
    aws.failures.set('createSnapshot', Array.from({ length: 1_000 }, () => awsError('RequestLimitExceeded')));
    const started = aws.clock.ms;
    const out = await aws.settle(keeper.stop());
    assert.equal(out.value, KEEPER_EXIT.finalSnapshotFailed);
    assert.ok(aws.clock.ms - started <= 100_000);
    assert.ok(aws.record.peek('ci')?.holder, 'the lease stays until ECS reports the task STOPPED');
  });

  test('Jenkins still running at the end of the wait: the final snapshot is registered but the lease is kept', async () => {
    const { aws, keeper } = await authorized();
    aws.jenkinsStopped = false;
    const out = await aws.settle(keeper.stop());
    assert.equal(out.value, KEEPER_EXIT.ok);
    const rec = aws.record.peek('ci')!;
    assert.equal(rec.head?.kind, 'final');
    assert.equal(rec.holder?.taskArn, TASK, 'Jenkins may still write: no release');
  });
});
