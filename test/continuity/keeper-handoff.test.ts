// The keeper's side of the handoff (docs/design/handoff.md): the delta is shipped at stop only
// from a Jenkins known to have stopped, from the handover's completed pre-copy of this very
// volume, and applied at start before the acquire; a delta that cannot be applied is dropped and
// the volume never holds the lineage. Each guard has a test that fails when it is removed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DELTA_CUTOFF_MARGIN_MS } from '../../src/continuity/handoff.js';
import { Keeper, KEEPER_EXIT, type KeeperConfig } from '../../src/continuity/keeper.js';
import type { DeltaPort, DeltaRef } from '../../src/continuity/ports.js';
import type { LineageRecord } from '../../src/continuity/record.js';
import { createRecord } from '../../src/continuity/transitions.js';
import { FakeAws } from './fake.js';

const TASK = 'arn:aws:ecs:us-east-1:1:task/c/new';
const OLD = 'arn:aws:ecs:us-east-1:1:task/c/old';
const CFG: KeeperConfig = { lineage: 'ci', cluster: 'c', taskArn: TASK, homePath: '/home', intervalMinutes: 15 };

class FakeDelta implements DeltaPort {
  shipped: { home: string; cutoff: Date; key: string }[] = [];
  applied: DeltaRef[] = [];
  failShip = false;
  failApply = false;
  async ship(home: string, cutoff: Date, key: string): Promise<DeltaRef> {
    if (this.failShip) throw new Error('upload failed');
    this.shipped.push({ home, cutoff, key });
    return { key, sha256: 'cd'.repeat(32), bytes: 1234, files: 7 };
  }
  async apply(_home: string, ref: DeltaRef): Promise<void> {
    if (this.failApply) throw new Error('sha256 mismatch');
    this.applied.push(ref);
  }
}

function setup(opts: { source?: string; record?: LineageRecord; delta?: FakeDelta | null } = {}) {
  const aws = new FakeAws();
  aws.volumes.set('vol-1', { id: 'vol-1', state: 'in-use', createTime: new Date(aws.clock.ms - 60_000), ...(opts.source ? { snapshotId: opts.source } : {}) });
  if (opts.record) aws.record.writeNow(opts.record, undefined);
  const delta = opts.delta === null ? undefined : (opts.delta ?? new FakeDelta());
  const keeper = new Keeper({ ec2: aws.ec2, ecs: aws.ecs, record: aws.record, clock: aws.clock, host: aws.host, log: aws.log, ...(delta ? { delta } : {}) }, CFG);
  return { aws, keeper, delta };
}

/** The keeper holds (token 2); a handover is at `stopping` with its pre-copy `snap-p` (of `preCopyVolume`, `state`) registered. */
async function holderInHandover(state: 'completed' | 'pending' = 'completed', preCopyVolume = 'vol-1', delta?: FakeDelta | null) {
  const s = setup({ ...(delta !== undefined ? { delta } : {}) });
  await s.aws.settle(s.keeper.start());
  const r = s.aws.record.peek('ci')!;
  const p = { snapshotId: 'snap-p', seq: r.seq + 1, kind: 'manual' as const, task: TASK };
  s.aws.record.writeNow({ ...r, seq: r.seq + 1, snapshots: [p], head: p, operation: { kind: 'handover', id: 'h1', seq: r.seq + 1, step: 'stopping', target: 'snap-p' } }, r.seq);
  s.aws.snapshots.set('snap-p', { id: 'snap-p', state, startTime: new Date(s.aws.clock.ms - 120_000), lineage: 'ci', kind: 'manual', volumeId: preCopyVolume });
  return s;
}

describe('handoff at stop', () => {
  test('Jenkins stopped, completed pre-copy of this volume: the delta is shipped from before its StartTime and recorded with the final', async () => {
    const { aws, keeper, delta } = await holderInHandover();
    const preCopyStart = aws.snapshots.get('snap-p')!.startTime.getTime();
    assert.equal((await aws.settle(keeper.stop())).value, KEEPER_EXIT.ok);
    const rec = aws.record.peek('ci')!;
    assert.equal(delta!.shipped.length, 1);
    assert.equal(delta!.shipped[0]!.cutoff.getTime(), preCopyStart - DELTA_CUTOFF_MARGIN_MS);
    assert.equal(delta!.shipped[0]!.key, `ci/${rec.head!.snapshotId}.delta`);
    assert.equal(rec.handoff?.final, rec.head?.snapshotId);
    assert.equal(rec.handoff?.base, 'snap-p');
    assert.equal(rec.holder, undefined);
  });

  test('Jenkins not known to have stopped: no delta (its home may still change)', async () => {
    const { aws, keeper, delta } = await holderInHandover();
    aws.jenkinsStopped = false;
    await aws.settle(keeper.stop());
    assert.equal(delta!.shipped.length, 0);
    assert.equal(aws.record.peek('ci')!.handoff, undefined);
  });

  test('a pre-copy still pending, or of another volume: no delta', async () => {
    for (const [state, volume] of [['pending', 'vol-1'], ['completed', 'vol-other']] as const) {
      const { aws, keeper, delta } = await holderInHandover(state, volume);
      await aws.settle(keeper.stop());
      assert.equal(delta!.shipped.length, 0, `${state} ${volume}`);
      assert.equal(aws.record.peek('ci')!.head?.kind, 'final');
    }
  });

  test('no handover in progress: no delta', async () => {
    const { aws, keeper, delta } = setup();
    await aws.settle(keeper.start());
    await aws.settle(keeper.stop());
    assert.equal(delta!.shipped.length, 0);
  });

  test('the upload fails: the final snapshot is registered and released without a handoff', async () => {
    const d = new FakeDelta();
    d.failShip = true;
    const { aws, keeper } = await holderInHandover('completed', 'vol-1', d);
    assert.equal((await aws.settle(keeper.stop())).value, KEEPER_EXIT.ok);
    const rec = aws.record.peek('ci')!;
    assert.equal(rec.head?.kind, 'final');
    assert.equal(rec.holder, undefined);
    assert.equal(rec.handoff, undefined);
  });
});

describe('launch before the stop (docs/protocol.md, section 7)', () => {
  test('the holder is recorded as shipping deltas only when its keeper has a handoff bucket', async () => {
    for (const [delta, flag] of [[undefined, true], [null, undefined]] as const) {
      const { aws, keeper } = setup({ ...(delta === null ? { delta: null } : {}) });
      await aws.settle(keeper.start());
      assert.equal(aws.record.peek('ci')!.holder?.handoff, flag);
    }
  });

  test('at `launching` a pre-copy that reads pending here (EC2 read lag) is waited for, then shipped; at `stopping` it is not', async () => {
    for (const step of ['launching', 'stopping'] as const) {
      const { aws, keeper, delta } = await holderInHandover('pending');
      const r = aws.record.peek('ci')!;
      aws.record.writeNow({ ...r, seq: r.seq + 1, operation: { ...r.operation!, step } }, r.seq);
      aws.clock.schedule(5_000, () => aws.snapshots.set('snap-p', { ...aws.snapshots.get('snap-p')!, state: 'completed' }));
      await aws.settle(keeper.stop());
      assert.equal(delta!.shipped.length, step === 'launching' ? 1 : 0, step);
    }
  });

  test('the task launched from the pre-copy waits for the holder\'s handoff (every 2 s, never stale), then applies it and acquires, ending the handover', async () => {
    const p = { snapshotId: 'snap-p', seq: 2, kind: 'manual' as const, task: OLD };
    const launching: LineageRecord = {
      ...createRecord('ci'),
      snapshots: [p],
      head: p,
      launch: 'snap-p',
      holder: { taskArn: OLD, volumeId: 'vol-old', token: 1, handoff: true },
      operation: { kind: 'handover', id: 'h1', seq: 2, step: 'launching', target: 'snap-p' },
    };
    const { aws, keeper, delta } = setup({ source: 'snap-p', record: launching });
    aws.taskStatuses.set(OLD, 'DEACTIVATING');
    const start = keeper.start();
    const waiting = await aws.settle(start, 60_000);
    assert.equal(waiting.done, false);
    assert.equal(aws.markers.get('stale'), undefined, 'not stale: the delta is on its way');
    assert.ok(aws.logs.filter((l) => l.msg === 'waiting to hold the lineage').length >= 25, 'a round every 2 s');
    // The old keeper registers its final snapshot with the handoff and releases.
    const r = aws.record.peek('ci')!;
    const f = { snapshotId: 'snap-f', seq: r.seq + 1, kind: 'final' as const, task: OLD };
    const ref: DeltaRef = { key: 'ci/snap-f.delta', sha256: 'ab'.repeat(32), bytes: 10, files: 1 };
    const { holder: _gone, ...released } = r;
    aws.record.writeNow({ ...released, seq: r.seq + 1, snapshots: [p, f], head: f, handoff: { final: 'snap-f', base: 'snap-p', delta: ref, seq: r.seq + 1 } }, r.seq);
    assert.equal((await aws.settle(start, 10_000)).value, 'authorized');
    assert.deepEqual(delta!.applied, [ref]);
    const after = aws.record.peek('ci')!;
    assert.equal(after.holder?.taskArn, TASK);
    assert.equal(after.operation, undefined, 'the acquire ended the handover');
  });

  test('periodic snapshots pause only while the handover\'s pre-copy of this volume is the head and younger than one interval', async () => {
    const { aws, keeper } = setup();
    await aws.settle(keeper.start());
    let r = aws.record.peek('ci')!;
    // Begun, no pre-copy yet (or abandoned there): periodic snapshots go on.
    aws.record.writeNow({ ...r, seq: r.seq + 1, operation: { kind: 'handover', id: 'h1', seq: r.seq + 1, step: 'begun' } }, r.seq);
    const first = (await aws.settle(keeper.periodicSnapshot())).value;
    assert.equal(first?.status, 'taken');
    if (first?.status === 'taken') aws.snapshots.set(first.snapshot.id, { ...first.snapshot, state: 'completed' });
    // The pre-copy of this task's volume registered as the head.
    r = aws.record.peek('ci')!;
    const p = { snapshotId: 'snap-p', seq: r.seq + 1, kind: 'manual' as const, task: TASK };
    aws.snapshots.set('snap-p', { id: 'snap-p', state: 'pending', startTime: aws.clock.now(), lineage: 'ci', kind: 'manual', volumeId: 'vol-1' });
    aws.record.writeNow({ ...r, seq: r.seq + 1, snapshots: [...r.snapshots, p], head: p, operation: { ...r.operation!, step: 'pre-copy', target: 'snap-p' } }, r.seq);
    await aws.clock.runUntil(aws.clock.ms + 60_000);
    assert.deepEqual((await aws.settle(keeper.periodicSnapshot())).value, { status: 'skipped', reason: 'handover' });
    await aws.clock.runUntil(aws.clock.ms + 13 * 60_000);
    assert.deepEqual((await aws.settle(keeper.periodicSnapshot())).value, { status: 'skipped', reason: 'handover' });
    await aws.clock.runUntil(aws.clock.ms + 2 * 60_000);
    assert.equal((await aws.settle(keeper.periodicSnapshot())).value?.status, 'taken', 'one interval after the pre-copy started: the crash-loss bound is back to one interval');
  });
});

describe('handoff at start', () => {
  const ref: DeltaRef = { key: 'ci/snap-f.delta', sha256: 'ef'.repeat(32), bytes: 10, files: 1 };
  function handedOff(): LineageRecord {
    const p = { snapshotId: 'snap-p', seq: 2, kind: 'manual' as const, task: OLD };
    const f = { snapshotId: 'snap-f', seq: 3, kind: 'final' as const, task: OLD };
    return { ...createRecord('ci'), snapshots: [p, f], head: f, launch: 'snap-p', handoff: { final: 'snap-f', base: 'snap-p', delta: ref, seq: 1 } };
  }

  test('a volume built from the base: the delta is applied, then the lineage acquired through the handoff', async () => {
    const { aws, keeper, delta } = setup({ source: 'snap-p', record: handedOff() });
    assert.equal((await aws.settle(keeper.start())).value, 'authorized');
    assert.deepEqual(delta!.applied, [ref]);
    assert.equal(aws.record.peek('ci')!.holder?.taskArn, TASK);
    assert.ok(aws.logs.some((l) => l.msg === 'gate decision' && l.reason === 'handoff'));
  });

  test('a volume built from the final: nothing to apply', async () => {
    const { aws, keeper, delta } = setup({ source: 'snap-f', record: handedOff() });
    assert.equal((await aws.settle(keeper.start())).value, 'authorized');
    assert.equal(delta!.applied.length, 0);
  });

  test('the delta cannot be applied: the handoff is dropped, the volume never holds the lineage and the keeper exits so ECS replaces the task', async () => {
    const d = new FakeDelta();
    d.failApply = true;
    const { aws, keeper } = setup({ source: 'snap-p', record: handedOff(), delta: d });
    const out = await aws.settle(keeper.start(), 60_000);
    assert.equal(out.done, true);
    assert.equal((out.error as { code?: string } | undefined)?.code, 'volume-unusable', 'a start failure: the process exits, the essential keeper stops the task');
    const rec = aws.record.peek('ci')!;
    assert.equal(rec.handoff, undefined, 'nobody tries that delta again; the reconciler rolls to the final');
    assert.equal(rec.holder, undefined);
    assert.match(aws.markers.get('stale') ?? '', /could not be applied/);
  });

  test('a keeper without a handoff bucket drops the handoff instead of starting on the base', async () => {
    const { aws, keeper } = setup({ source: 'snap-p', record: handedOff(), delta: null });
    assert.equal((await aws.settle(keeper.start(), 60_000)).error instanceof Error, true);
    assert.equal(aws.record.peek('ci')!.handoff, undefined);
    assert.equal(aws.record.peek('ci')!.holder, undefined);
  });
});
