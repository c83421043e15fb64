// reconcile() and restore() on the lineage record: every guard has a test that fails without it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Snapshot } from '../../src/continuity/model.js';
import type { LineageRecord, RecordedSnapshot } from '../../src/continuity/record.js';
import { decideRecordRoll, reconcile, type ReconcilerConfig } from '../../src/continuity/reconciler.js';
import { pickBefore, restore, RestoreError, type RestoreErrorCode, type RestoreStep } from '../../src/continuity/restore.js';
import { createRecord } from '../../src/continuity/transitions.js';
import { awsError, FakeAws } from './fake.js';

const RCFG: ReconcilerConfig = { lineage: 'ci', cluster: 'c', service: 's', keepLast: 1, keepDailyDays: 0 };
const T_OLD = 'arn:aws:ecs:us-east-1:1:task/c/old';

function add(aws: FakeAws, id: string, minutesAgo: number, extra: Partial<Snapshot> = {}): void {
  aws.snapshots.set(id, { id, state: 'completed', startTime: new Date(aws.clock.ms - minutesAgo * 60_000), lineage: 'ci', kind: 'periodic', ...extra });
}

function primary(aws: FakeAws, snapshotId: string | undefined, extra: Record<string, unknown> = {}): void {
  aws.service = { desiredCount: 1, runningCount: 1, deployments: [{ id: 'd1', status: 'PRIMARY', rolloutState: 'COMPLETED', createdAt: aws.clock.now(), ...(snapshotId ? { snapshotId } : {}) }], ...extra };
}

/** A record whose members are `ids` in order (the last is the head), with optional extras. */
function seedRecord(aws: FakeAws, ids: string[], extra: Partial<LineageRecord> = {}): void {
  const snapshots: RecordedSnapshot[] = ids.map((snapshotId, i) => ({ snapshotId, seq: i + 2, kind: 'periodic' }));
  const rec: LineageRecord = { ...createRecord('ci'), seq: ids.length + 1, snapshots, ...(snapshots.length ? { head: snapshots.at(-1)! } : {}), ...extra };
  aws.record.items.set('ci', JSON.stringify(rec));
}

function run(aws: FakeAws, cfg: ReconcilerConfig = RCFG) {
  const p = reconcile({ ec2: aws.ec2, ecs: aws.ecs, record: aws.record, clock: aws.clock, log: aws.log, metric: () => undefined }, cfg);
  return aws.settle(p).then((out) => {
    if (out.error) throw out.error;
    return out.value!;
  });
}

describe('reconcile on the record', () => {
  test('no holder, completed head, service behind: writes launch = head, then rolls once (the writer rolls)', async () => {
    const aws = new FakeAws();
    add(aws, 'snap-old', 60);
    add(aws, 'snap-head', 5);
    seedRecord(aws, ['snap-old', 'snap-head'], { launch: 'snap-old' });
    primary(aws, 'snap-old');
    const report = await run(aws);
    assert.equal(report.rolled, true);
    assert.equal(report.staleStarts, 1);
    assert.deepEqual(aws.rolls, [{ snapshotId: 'snap-head' }]);
    assert.equal(aws.record.peek('ci')?.launch, 'snap-head');
    const again = await run(aws);
    assert.equal(again.rolled, false, 'the next run sees the deployment on the head');
  });

  test('a handover launch superseded by a newer deployment from another snapshot: the operation ends and the service is rolled to the head; while the replaced deployment is still PRIMARY, nothing', async () => {
    for (const superseded of [false, true]) {
      const aws = new FakeAws();
      add(aws, 'snap-old', 60);
      add(aws, 'snap-head', 5);
      const d0 = { id: 'd0', createdAt: new Date(aws.clock.ms - 120_000).toISOString() };
      seedRecord(aws, ['snap-old', 'snap-head'], { launch: 'snap-head', operation: { kind: 'handover', id: 'h', seq: 2, step: 'launching', target: 'snap-head', deployment: d0 } });
      // Superseded: a change set resolved before the handover applied after it (PRIMARY d2 on snap-old).
      aws.service = {
        desiredCount: 1,
        runningCount: 1,
        deployments: [superseded ? { id: 'd2', status: 'PRIMARY', rolloutState: 'COMPLETED', createdAt: aws.clock.now(), snapshotId: 'snap-old' } : { id: 'd0', status: 'PRIMARY', rolloutState: 'COMPLETED', createdAt: new Date(d0.createdAt), snapshotId: 'snap-old' }],
      };
      const report = await run(aws);
      assert.equal(aws.record.peek('ci')?.operation === undefined, superseded);
      assert.equal(report.rolled, superseded);
      assert.deepEqual(aws.rolls, superseded ? [{ snapshotId: 'snap-head' }] : []);
    }
  });

  test('a live holder (ECS reports RUNNING): no roll', async () => {
    const aws = new FakeAws();
    add(aws, 'snap-head', 5);
    seedRecord(aws, ['snap-head'], { holder: { taskArn: T_OLD, volumeId: 'vol-o', token: 2 } });
    aws.taskStatuses.set(T_OLD, 'RUNNING');
    primary(aws, undefined);
    const report = await run(aws);
    assert.equal(report.rolled, false);
    assert.equal(aws.record.peek('ci')?.holder?.taskArn, T_OLD);
  });

  test('a holder whose task ECS reports STOPPED is fenced, then the service is rolled', async () => {
    const aws = new FakeAws();
    add(aws, 'snap-head', 5);
    seedRecord(aws, ['snap-head'], { holder: { taskArn: T_OLD, volumeId: 'vol-o', token: 2 } });
    aws.taskStatuses.set(T_OLD, 'STOPPED');
    primary(aws, undefined);
    const report = await run(aws);
    assert.equal(report.fenced, T_OLD);
    assert.equal(report.rolled, true);
    assert.equal(aws.record.peek('ci')?.holder, undefined);
  });

  test('the controller service does not exist yet: record work and retention, no roll', async () => {
    const aws = new FakeAws();
    add(aws, 's1', 50);
    add(aws, 's2', 40);
    add(aws, 's3', 30);
    seedRecord(aws, ['s1', 's2', 's3'], { holder: { taskArn: T_OLD, volumeId: 'vol-o', token: 2 } });
    aws.service = undefined;
    const report = await run(aws);
    assert.equal(report.decision.action, 'nothing');
    assert.equal(report.fenced, T_OLD, 'MISSING task: fenced');
    assert.deepEqual(aws.rolls, []);
    assert.deepEqual(report.pruned, ['s1']);
  });

  test('no record and no service yet: creates the empty record, nothing else', async () => {
    const aws = new FakeAws();
    aws.service = undefined;
    await run(aws);
    assert.equal(aws.record.peek('ci')?.seq, 1);
    assert.deepEqual(aws.rolls, []);
  });

  test('a failed head (read by id) is dropped and deleted; the previous member becomes the head', async () => {
    const aws = new FakeAws();
    add(aws, 'snap-a', 20);
    add(aws, 'snap-b', 5, { state: 'error' });
    seedRecord(aws, ['snap-a', 'snap-b']);
    primary(aws, 'snap-a');
    const report = await run(aws);
    assert.deepEqual(report.snapshotFailures, ['snap-b']);
    assert.equal(aws.record.peek('ci')?.head?.snapshotId, 'snap-a');
    assert.equal(aws.snapshots.has('snap-b'), false);
  });

  test('a pending head: no roll and no pruning', async () => {
    const aws = new FakeAws();
    add(aws, 's1', 50);
    add(aws, 's2', 40);
    add(aws, 's3', 1, { state: 'pending' });
    seedRecord(aws, ['s1', 's2', 's3']);
    primary(aws, 's1');
    const report = await run(aws);
    assert.equal(report.rolled, false);
    assert.deepEqual(report.pruned, []);
  });

  test('retention deletes only record members: a foreign snapshot with copied tags is never touched', async () => {
    const aws = new FakeAws();
    add(aws, 'snap-foreign', 90, { kind: 'periodic' });
    for (const [id, m] of [['s1', 50], ['s2', 40], ['s3', 30], ['s4', 20]] as const) add(aws, id, m);
    seedRecord(aws, ['s1', 's2', 's3', 's4'], { launch: 's4', previousLaunches: ['s2'] });
    primary(aws, 's4');
    const report = await run(aws);
    assert.deepEqual([...report.pruned].sort(), ['s1'], 's2 is an earlier launch (a change set may name it), s3 the newest kept, s4 head');
    assert.ok(aws.snapshots.has('snap-foreign'));
    assert.deepEqual(aws.record.peek('ci')?.snapshots.map((e) => e.snapshotId), ['s2', 's3', 's4'], 'taken out of the record before the delete');
  });

  test('retention never deletes an operation’s target, even when it decided before the operation began', async () => {
    const aws = new FakeAws();
    for (const [id, m] of [['s1', 50], ['s2', 40], ['s3', 30]] as const) add(aws, id, m);
    seedRecord(aws, ['s1', 's2', 's3'], { launch: 's3' });
    primary(aws, 's3');
    // A restore begins (targets s1) right after retention read the candidate by id.
    const describe = aws.ec2.describeSnapshot.bind(aws.ec2);
    aws.ec2.describeSnapshot = async (id) => {
      const s = await describe(id);
      const r = aws.record.peek('ci')!;
      if (id === 's1' && !r.operation) aws.record.writeNow({ ...r, seq: r.seq + 1, operation: { kind: 'restore', id: 'op', seq: r.seq + 1, target: 's1' } }, r.seq);
      return s;
    };
    const report = await run(aws);
    assert.deepEqual(report.pruned, []);
    assert.ok(aws.snapshots.has('s1'));
  });

  test('concurrent invocations (no reserved concurrency): one roll, one deletion per snapshot', async () => {
    const aws = new FakeAws();
    for (const [id, m] of [['s1', 50], ['s2', 40], ['s3', 30], ['s4', 5]] as const) add(aws, id, m);
    seedRecord(aws, ['s1', 's2', 's3', 's4'], { launch: 's3' });
    primary(aws, 's3');
    const all = Promise.all(Array.from({ length: 8 }, () => reconcile({ ec2: aws.ec2, ecs: aws.ecs, record: aws.record, clock: aws.clock, log: aws.log, metric: () => undefined }, RCFG)));
    const out = await aws.settle(all);
    assert.equal(out.error, undefined);
    assert.deepEqual(aws.rolls, [{ snapshotId: 's4' }], 'exactly one invocation rolled');
    const pruned = out.value!.flatMap((r) => r.pruned).sort();
    assert.deepEqual(pruned, [...new Set(pruned)].sort(), 'no snapshot deleted twice');
    assert.ok(aws.record.conditionFailures > 0, 'the invocations really raced');
    assert.ok(!aws.calls.some((c) => c === 'deleteSnapshot' && false));
  });

  test('a service on a valid handoff base is on the head: no roll to the final (it would replace the handover task); without the handoff it rolls', () => {
    const p = { snapshotId: 'p', seq: 3, kind: 'manual' as const };
    const f = { snapshotId: 'f', seq: 4, kind: 'final' as const };
    const delta = { key: 'ci/f.delta', sha256: 'x', bytes: 1, files: 1 };
    const record: LineageRecord = { ...createRecord('ci'), seq: 5, head: f, snapshots: [p, f], launch: 'p', handoff: { final: 'f', base: 'p', delta, seq: 4 } };
    const service = { desiredCount: 1, runningCount: 1, deployments: [{ id: 'd', status: 'PRIMARY' as const, snapshotId: 'p', createdAt: new Date(0) }] };
    const at = { headState: 'completed' as const, service, now: new Date(), rollLeaseMs: 180_000 };
    assert.deepEqual(decideRecordRoll({ record, ...at }), { action: 'nothing', reason: 'up-to-date' });
    assert.deepEqual(decideRecordRoll({ record: { ...record, launch: 'old' }, ...at }), { action: 'adopt', snapshotId: 'p' });
    const { handoff: _gone, ...dropped } = record;
    assert.equal(decideRecordRoll({ record: dropped, ...at }).action, 'roll');
  });

  test('a roll whose writer died before UpdateService is issued again only after the lease', () => {
    const record: LineageRecord = { ...createRecord('ci'), seq: 5, head: { snapshotId: 'h', seq: 4, kind: 'final' }, snapshots: [{ snapshotId: 'h', seq: 4, kind: 'final' }], launch: 'h', roll: { snapshotId: 'h', seq: 5, at: '2026-05-01T00:00:00.000Z' } };
    const service = { desiredCount: 1, runningCount: 1, deployments: [{ id: 'd', status: 'PRIMARY' as const, snapshotId: 'old', createdAt: new Date(0) }] };
    assert.deepEqual(decideRecordRoll({ record, headState: 'completed', service, now: new Date('2026-05-01T00:01:00Z'), rollLeaseMs: 180_000 }), { action: 'nothing', reason: 'roll-in-flight' });
    assert.equal(decideRecordRoll({ record, headState: 'completed', service, now: new Date('2026-05-01T00:04:00Z'), rollLeaseMs: 180_000 }).action, 'reroll');
    assert.equal(decideRecordRoll({ record: { ...record, operation: { kind: 'restore', id: 'o', seq: 5 } }, headState: 'completed', service, now: new Date(), rollLeaseMs: 0 }).action, 'nothing');
    assert.equal(decideRecordRoll({ record, headState: 'pending', service, now: new Date(), rollLeaseMs: 0 }).action, 'nothing');
  });

  test('throttled calls are retried; an unknown AWS error fails the run', async () => {
    const aws = new FakeAws();
    add(aws, 'snap-head', 5);
    seedRecord(aws, ['snap-head']);
    primary(aws, 'snap-head');
    aws.failures.set('describeService', [awsError('ThrottlingException')]);
    await run(aws);
    aws.failures.set('describeService', [awsError('AccessDeniedException')]);
    await assert.rejects(run(aws), /AccessDenied/);
  });
});

describe('restore on the record', () => {
  function setup(): FakeAws {
    const aws = new FakeAws();
    add(aws, 'snap-old', 120);
    add(aws, 'snap-head', 5);
    seedRecord(aws, ['snap-old', 'snap-head'], { launch: 'snap-head', holder: { taskArn: T_OLD, volumeId: 'vol-o', token: 3 } });
    aws.taskStatuses.set(T_OLD, 'RUNNING');
    primary(aws, 'snap-head');
    return aws;
  }
  const opts = (progress: string[] = []) => ({ lineage: 'ci', cluster: 'c', service: 's', snapshotId: 'snap-old', pollMs: 5_000, operationId: 'op-1', onProgress: (s: RestoreStep, d: string) => progress.push(`${s}: ${d}`) });

  test('begins the operation, waits for the holder by name, promotes with a new seq, launches and ends', async () => {
    const aws = setup();
    const progress: string[] = [];
    const p = restore({ ec2: aws.ec2, ecs: aws.ecs, record: aws.record, clock: aws.clock }, opts(progress));
    const early = await aws.settle(p, 30_000);
    assert.equal(early.done, false);
    assert.equal(aws.record.peek('ci')?.operation?.id, 'op-1');
    assert.ok(progress.some((l) => l.includes(`waiting for task ${T_OLD} (holder, ECS status RUNNING) to register its final snapshot`)), progress.join('\n'));
    // The keeper registers its final snapshot and releases.
    const r = aws.record.peek('ci')!;
    const fin = { snapshotId: 'snap-final', seq: r.seq + 1, kind: 'final' as const };
    add(aws, 'snap-final', 0);
    const { holder: _h, ...rest } = r;
    aws.record.writeNow({ ...rest, seq: r.seq + 1, snapshots: [...r.snapshots, fin], head: fin }, r.seq);
    const out = await aws.settle(p);
    assert.equal(out.error, undefined, String(out.error));
    const rec = aws.record.peek('ci')!;
    assert.equal(rec.head?.snapshotId, 'snap-old');
    assert.equal(rec.head?.kind, 'restore');
    assert.ok(rec.head!.seq > fin.seq, 'the promotion is ordered after the final snapshot by seq, not by a clock');
    assert.equal(rec.launch, 'snap-old');
    assert.equal(rec.operation, undefined);
    assert.deepEqual(aws.rolls, [{ snapshotId: 'snap-old', desiredCount: 1 }]);
  });

  test('a holder whose task is STOPPED is fenced instead of waited for', async () => {
    const aws = setup();
    aws.taskStatuses.set(T_OLD, 'STOPPED');
    const out = await aws.settle(restore({ ec2: aws.ec2, ecs: aws.ecs, record: aws.record, clock: aws.clock }, opts()));
    assert.equal(out.error, undefined);
    assert.equal(aws.record.peek('ci')?.head?.snapshotId, 'snap-old');
  });

  test('interrupted after the promotion: re-running resumes the recorded operation and finishes it', async () => {
    const aws = setup();
    aws.taskStatuses.set(T_OLD, 'STOPPED');
    aws.failures.set('rollSnapshot', [awsError('AccessDeniedException')]);
    const first = await aws.settle(restore({ ec2: aws.ec2, ecs: aws.ecs, record: aws.record, clock: aws.clock }, opts()));
    assert.ok(first.error);
    assert.equal(aws.record.peek('ci')?.operation?.step, 'promoted', 'the record says where it stopped');
    const progress: string[] = [];
    const second = await aws.settle(restore({ ec2: aws.ec2, ecs: aws.ecs, record: aws.record, clock: aws.clock }, { ...opts(progress), operationId: 'op-2' }));
    assert.equal(second.error, undefined);
    assert.equal(second.value?.resumed, true);
    assert.ok(progress.some((l) => l.includes('resuming the interrupted restore op-1')));
    assert.equal(aws.record.peek('ci')?.operation, undefined);
    assert.deepEqual(aws.rolls, [{ snapshotId: 'snap-old', desiredCount: 1 }]);
    assert.equal(aws.calls.filter((c) => c === 'setDesiredCount').length, 1, 'no second scale-down after the promotion');
  });

  test('refuses a foreign (unrecorded), pending or failed snapshot with distinct codes', async () => {
    const cases: [string, Partial<Snapshot>, boolean, RestoreErrorCode][] = [
      ['snap-x', {}, false, 'not-in-lineage'],
      ['snap-p', { state: 'pending' }, true, 'snapshot-pending'],
      ['snap-e', { state: 'error' }, true, 'snapshot-failed'],
      ['snap-missing', {}, true, 'snapshot-not-found'],
    ];
    for (const [id, extra, member, code] of cases) {
      const aws = setup();
      if (id !== 'snap-missing') add(aws, id, 10, extra);
      if (member) {
        const r = aws.record.peek('ci')!;
        aws.record.items.set('ci', JSON.stringify({ ...r, snapshots: [{ snapshotId: id, seq: 1, kind: 'periodic' }, ...r.snapshots] }));
      }
      const out = await aws.settle(restore({ ec2: aws.ec2, ecs: aws.ecs, record: aws.record, clock: aws.clock }, { ...opts(), snapshotId: id }));
      assert.ok(out.error instanceof RestoreError, `${id}: ${String(out.error)}`);
      assert.equal((out.error as RestoreError).code, code);
    }
  });

  test('gives up with scale-down-timeout when the holder never releases', async () => {
    const aws = setup();
    const out = await aws.settle(restore({ ec2: aws.ec2, ecs: aws.ecs, record: aws.record, clock: aws.clock }, { ...opts(), scaleDownTimeoutMs: 60_000 }));
    assert.equal((out.error as RestoreError).code, 'scale-down-timeout');
    assert.equal(aws.record.peek('ci')?.operation?.id, 'op-1', 'the operation stays: status shows it and a re-run resumes it');
  });

  test('pickBefore: the newest completed snapshot taken at or before the time', () => {
    const aws = new FakeAws();
    add(aws, 'a', 60);
    add(aws, 'b', 30);
    add(aws, 'c', 10, { state: 'pending' });
    assert.equal(pickBefore([...aws.snapshots.values()], new Date(aws.clock.ms - 20 * 60_000))?.id, 'b');
  });
});
