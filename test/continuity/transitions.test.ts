// Pure transitions of the lineage record: each guard has a test that fails when it is removed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RECORD_FORMAT, type LineageRecord } from '../../src/continuity/record.js';
import {
  acquire,
  adoptLaunch,
  advanceOperation,
  beginOperation,
  bootstrapRecord,
  createRecord,
  dropFailed,
  dropHandoff,
  endOperation,
  endSupersededLaunch,
  orphanedHandoff,
  fence,
  promote,
  protectedIds,
  prune,
  register,
  release,
  roll,
  validHandoff,
  type Outcome,
} from '../../src/continuity/transitions.js';
import { L, snap, vol } from './fixtures.js';

const TASK = 'arn:aws:ecs:us-east-1:1:task/c/a';
const OTHER = 'arn:aws:ecs:us-east-1:1:task/c/b';

function ok(o: Outcome): LineageRecord {
  assert.ok(o.ok, `refused: ${o.ok ? '' : `${o.code} ${o.reason}`}`);
  return o.record;
}

function refused(o: Outcome, code: string): void {
  assert.equal(o.ok, false, 'expected a refusal');
  if (!o.ok) assert.equal(o.code, code, o.reason);
}

/** A record held by TASK (token 2) with one registered snapshot (seq 3). */
function held(): LineageRecord {
  const r = ok(acquire(createRecord(L), { taskArn: TASK, volumeId: 'vol-a' }));
  return ok(register(r, { token: 2, snapshotId: 'snap-1', kind: 'periodic', task: TASK }));
}

describe('create and bootstrap', () => {
  test('an empty record starts at seq 1 with nothing in it', () => {
    assert.deepEqual(createRecord(L), { lineage: L, format: RECORD_FORMAT, seq: 1, snapshots: [] });
  });
  test('bootstrap takes the completed protocol snapshots in v0.1 order; the newest is the head', () => {
    const r = ok(
      bootstrapRecord({
        lineage: L,
        listed: [snap('snap-b', 20), snap('snap-a', 10, { kind: 'final' }), snap('snap-p', 30, { state: 'pending' }), snap('snap-x', 40, { kind: undefined }), snap('snap-s', 50, { kind: 'seed' }), snap('snap-o', 60, { lineage: 'other' }), snap('snap-promoted', 5, { promotedAt: new Date(Date.parse('2026-03-01T12:25:00Z')), kind: 'manual' })],
        holders: [],
        launch: 'snap-a',
      }),
    );
    assert.deepEqual(r.snapshots.map((e) => e.snapshotId), ['snap-a', 'snap-b', 'snap-promoted']);
    assert.equal(r.head?.snapshotId, 'snap-promoted');
    assert.equal(r.launch, 'snap-a');
    assert.equal(r.seq, 1);
  });
  test('bootstrap ignores a launch value that is not a member', () => {
    const r = ok(bootstrapRecord({ lineage: L, listed: [snap('snap-a', 1)], holders: [], launch: 'snap-foreign' }));
    assert.equal(r.launch, undefined);
  });
  test('bootstrap is refused while a v0.1 holder is live, allowed once its volume is no longer in use', () => {
    refused(bootstrapRecord({ lineage: L, listed: [snap('snap-a', 1)], holders: [vol('vol-h', 0, { holder: L })] }), 'held');
    ok(bootstrapRecord({ lineage: L, listed: [snap('snap-a', 1)], holders: [vol('vol-h', 0, { holder: L, state: 'available' })] }));
  });
});

describe('acquire', () => {
  test('an empty lineage: the first task holds it with token seq+1', () => {
    const r = ok(acquire(createRecord(L), { taskArn: TASK, volumeId: 'vol-a' }));
    assert.deepEqual(r.holder, { taskArn: TASK, volumeId: 'vol-a', token: 2 });
    assert.equal(r.seq, 2);
  });
  test('a volume not built from the head is stale, even when nobody holds the lineage', () => {
    const r = ok(release(held(), 2));
    refused(acquire(r, { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-0' }), 'stale');
    refused(acquire(r, { taskArn: OTHER, volumeId: 'vol-b' }), 'stale');
    ok(acquire(r, { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-1' }));
  });
  test('stale is reported before a holder or an operation', () => {
    refused(acquire(held(), { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-0', holderStopped: false }), 'stale');
  });
  test('held by a live task: refused; reported STOPPED: taken over in the same write', () => {
    const r = held();
    refused(acquire(r, { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-1' }), 'held');
    refused(acquire(r, { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-1', holderStopped: false }), 'held');
    const t = ok(acquire(r, { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-1', holderStopped: true }));
    assert.deepEqual(t.holder, { taskArn: OTHER, volumeId: 'vol-b', token: 4 });
  });
  test('the holder acquiring again (its answer was lost) changes nothing', () => {
    const r = held();
    const again = acquire(r, { taskArn: TASK, volumeId: 'vol-a', source: 'whatever' });
    assert.ok(again.ok && again.unchanged);
  });
  test('no holder is granted during an operation', () => {
    const r = ok(beginOperation(ok(release(held(), 2)), { kind: 'restore', id: 'op1', target: 'snap-1' }));
    refused(acquire(r, { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-1' }), 'operation');
  });
  test('a handover at launching is ended by the acquire of a task from its target, in the same write; not before launching, not from another source', () => {
    const begun = ok(beginOperation(ok(release(held(), 2)), { kind: 'handover', id: 'h' }));
    refused(acquire(begun, { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-1' }), 'operation');
    const stopped = ok(advanceOperation(begun, { id: 'h', step: 'stopped', target: 'snap-1' }));
    refused(acquire(stopped, { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-1' }), 'operation');
    const launching = ok(advanceOperation(stopped, { id: 'h', step: 'launching' }));
    const r = ok(acquire(launching, { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-1' }));
    assert.equal(r.operation, undefined);
    assert.equal(r.holder?.taskArn, OTHER);
    assert.equal(r.seq, launching.seq + 1);
    // A task from another snapshot (an older one) is still refused.
    refused(acquire(launching, { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-0' }), 'stale');
  });
  test('a record of a newer format is never written over', () => {
    refused(acquire({ ...createRecord(L), format: RECORD_FORMAT + 1 }, { taskArn: TASK, volumeId: 'vol-a' }), 'format');
  });
});

describe('register, release, fence', () => {
  test('the holder registers: appended with the new seq and made the head', () => {
    const r = ok(register(held(), { token: 2, snapshotId: 'snap-2', kind: 'periodic', source: 'snap-0' }));
    assert.deepEqual(r.head, { snapshotId: 'snap-2', seq: 4, kind: 'periodic', source: 'snap-0' });
    assert.deepEqual(r.snapshots.map((e) => e.seq), [3, 4]);
    assert.ok(r.holder);
  });
  test('a fenced keeper (token taken over) cannot advance the head', () => {
    const taken = ok(acquire(held(), { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-1', holderStopped: true }));
    refused(register(taken, { token: 2, snapshotId: 'snap-late', kind: 'final' }), 'fenced');
    refused(register(ok(release(held(), 2)), { token: 2, snapshotId: 'snap-late', kind: 'final' }), 'fenced');
  });
  test('register with release: the final snapshot and the release in one write', () => {
    const r = ok(register(held(), { token: 2, snapshotId: 'snap-f', kind: 'final', release: true }));
    assert.equal(r.holder, undefined);
    assert.equal(r.head?.snapshotId, 'snap-f');
    assert.equal(r.seq, 4);
  });
  test('registering again after a lost answer is a no-op, or only the release', () => {
    const r = held();
    assert.ok((register(r, { token: 2, snapshotId: 'snap-1', kind: 'periodic' }) as { unchanged?: boolean }).unchanged);
    const rel = ok(register(r, { token: 2, snapshotId: 'snap-1', kind: 'periodic', release: true }));
    assert.equal(rel.holder, undefined);
    assert.equal(rel.snapshots.length, 1);
  });
  test('release needs the token', () => {
    refused(release(held(), 9), 'not-holder');
    assert.equal(ok(release(held(), 2)).holder, undefined);
  });
  test('fence removes a holder by task and token, never moves the head', () => {
    refused(fence(held(), { taskArn: OTHER, token: 2 }), 'not-holder');
    refused(fence(held(), { taskArn: TASK, token: 1 }), 'not-holder');
    const f = ok(fence(held(), { taskArn: TASK, token: 2 }));
    assert.equal(f.holder, undefined);
    assert.equal(f.head?.snapshotId, 'snap-1');
  });
});

describe('handoff (docs/design/handoff.md)', () => {
  const delta = { key: `${L}/snap-f.delta`, sha256: 'ab'.repeat(32), bytes: 42, files: 3 };
  /** TASK holds; snap-p (its pre-copy) registered; then the final with the handoff, released. */
  function handedOff(): LineageRecord {
    const r = ok(register(held(), { token: 2, snapshotId: 'snap-p', kind: 'manual', task: TASK }));
    return ok(register(r, { token: 2, snapshotId: 'snap-f', kind: 'final', task: TASK, release: true, handoff: { base: 'snap-p', delta } }));
  }
  test('the final write of a released holder records the handoff from its pre-copy', () => {
    const r = handedOff();
    assert.deepEqual(r.handoff, { final: 'snap-f', base: 'snap-p', delta, seq: r.seq });
    assert.equal(r.head?.snapshotId, 'snap-f');
    assert.equal(r.holder, undefined);
    assert.deepEqual(validHandoff(r), r.handoff);
  });
  test('no handoff without the release, or from a base that is not a member', () => {
    const r = ok(register(held(), { token: 2, snapshotId: 'snap-p', kind: 'manual' }));
    assert.equal(ok(register(r, { token: 2, snapshotId: 'snap-f', kind: 'final', handoff: { base: 'snap-p', delta } })).handoff, undefined);
    assert.equal(ok(register(r, { token: 2, snapshotId: 'snap-f', kind: 'final', release: true, handoff: { base: 'snap-zz', delta } })).handoff, undefined);
  });
  test('acquire from the base needs the applied delta of that handoff; from the final it needs nothing', () => {
    const r = handedOff();
    // Not stale: its keeper has yet to apply the delta (it read the record before the handoff landed).
    refused(acquire(r, { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-p' }), 'needs-delta');
    refused(acquire(r, { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-p', appliedDelta: 'other.delta' }), 'stale');
    refused(acquire(r, { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-1', appliedDelta: delta.key }), 'stale');
    assert.equal(ok(acquire(r, { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-p', appliedDelta: delta.key })).holder?.taskArn, OTHER);
    assert.equal(ok(acquire(r, { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-f' })).holder?.taskArn, OTHER);
  });
  test('a volume carrying a delta never holds the lineage once that handoff no longer stands (restore to the base itself)', () => {
    let r = ok(beginOperation(handedOff(), { kind: 'restore', id: 'op', target: 'snap-p' }));
    r = ok(promote(r, { id: 'op', snapshotId: 'snap-p' }));
    assert.equal(r.handoff, undefined, 'the promotion moved the head: the handoff went with it');
    r = ok(endOperation(r, 'op'));
    refused(acquire(r, { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-p', appliedDelta: delta.key }), 'stale');
    assert.ok(ok(acquire(r, { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-p' })).holder);
  });
  test('the next head or drop-handoff of its key clears it; another key does not', () => {
    const r = ok(acquire(handedOff(), { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-p', appliedDelta: delta.key }));
    assert.ok(r.handoff, 'kept while the new holder has not registered anything (a crash may need it again)');
    assert.equal(ok(register(r, { token: r.holder!.token, snapshotId: 'snap-n', kind: 'periodic' })).handoff, undefined);
    assert.equal(ok(dropHandoff(handedOff(), delta.key)).handoff, undefined);
    // A handover waiting at launching for a task from this base ends with it (else it waits forever).
    const launching = ok(advanceOperation(ok(advanceOperation(ok(beginOperation(handedOff(), { kind: 'handover', id: 'h' })), { id: 'h', step: 'stopped', target: 'snap-p' })), { id: 'h', step: 'launching' }));
    assert.equal(ok(dropHandoff(launching, delta.key)).operation, undefined);
    assert.ok((dropHandoff(handedOff(), 'other') as { unchanged?: boolean }).unchanged);
  });
  test('a failed final leaves the handoff orphaned: the newest home is the base with the delta, not the older head', () => {
    const r = ok(dropFailed(handedOff(), 'snap-f'));
    assert.equal(r.head?.snapshotId, 'snap-p');
    assert.ok(validHandoff(r) && orphanedHandoff(r));
    refused(acquire(r, { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-p' }), 'needs-delta');
    assert.ok(ok(acquire(r, { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-p', appliedDelta: delta.key })).holder);
    const rolled = ok(roll(r, { headCompleted: false, at: new Date(0) }));
    assert.equal(rolled.launch, 'snap-p', 'the reconciler rolls to the base, whatever the head state');
    // Something registered after it (a restore's promotion) ends it.
    const promoted = ok(promote(ok(beginOperation(r, { kind: 'restore', id: 'o', target: 'snap-1' })), { id: 'o', snapshotId: 'snap-1' }));
    assert.equal(promoted.handoff, undefined);
  });
  test('retention never takes out the base of a valid handoff', () => {
    const r = handedOff();
    assert.ok(protectedIds(r).has('snap-p'));
    refused(prune(r, ['snap-p']), 'nothing-to-do');
    assert.ok(prune(r, ['snap-1']).ok);
  });
});

describe('launch before the stop (docs/protocol.md, section 7)', () => {
  const delta = { key: `${L}/snap-f.delta`, sha256: 'cd'.repeat(32), bytes: 7, files: 1 };
  /** TASK holds (its keeper ships deltas) and registered its pre-copy snap-p; a handover launches from snap-p while TASK still serves. */
  function launchedEarly(periodicAfter = false): LineageRecord {
    let r = ok(acquire(createRecord(L), { taskArn: TASK, volumeId: 'vol-a', shipsDelta: true }));
    assert.equal(r.holder?.handoff, true, 'the holder says its keeper ships deltas');
    r = ok(beginOperation(r, { kind: 'handover', id: 'h' }));
    r = ok(register(r, { token: r.holder!.token, snapshotId: 'snap-p', kind: 'manual', task: TASK }));
    r = ok(advanceOperation(r, { id: 'h', step: 'launching', target: 'snap-p' }));
    // A periodic snapshot the holder registers after the pre-copy (it keeps its schedule while it serves).
    return periodicAfter ? ok(register(r, { token: r.holder!.token, snapshotId: 'snap-x', kind: 'periodic', task: TASK })) : r;
  }
  test('a keeper without a delta port is not recorded as shipping', () => {
    assert.equal(ok(acquire(createRecord(L), { taskArn: TASK, volumeId: 'vol-a' })).holder?.handoff, undefined);
  });
  test('the task launched from the pre-copy waits for the holder (held), not stale, even after a periodic moved the head', () => {
    for (const periodicAfter of [false, true]) {
      refused(acquire(launchedEarly(periodicAfter), { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-p' }), 'held');
    }
    // From any other source it is stale as ever.
    refused(acquire(launchedEarly(true), { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-1' }), 'stale');
  });
  test('the holder releases with the handoff: the operation stands until the launched task acquires through it', () => {
    const r = launchedEarly(true);
    const released = ok(register(r, { token: r.holder!.token, snapshotId: 'snap-f', kind: 'final', task: TASK, release: true, handoff: { base: 'snap-p', delta } }));
    assert.equal(released.operation?.step, 'launching');
    refused(acquire(released, { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-p' }), 'needs-delta');
    const acquired = ok(acquire(released, { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-p', appliedDelta: delta.key }));
    assert.equal(acquired.operation, undefined, 'ended by the acquire, in the same write');
    assert.equal(acquired.holder?.taskArn, OTHER);
  });
  test('the holder releases without a handoff: the launch is lost, and the operation ends in that write', () => {
    const r = launchedEarly();
    const released = ok(register(r, { token: r.holder!.token, snapshotId: 'snap-f', kind: 'final', task: TASK, release: true }));
    assert.equal(released.operation, undefined);
    assert.equal(released.seq, r.seq + 1);
    refused(acquire(released, { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-p' }), 'stale');
    assert.equal(ok(roll(released, { headCompleted: true, at: new Date(0) })).launch, 'snap-f', 'the reconciler may roll to the head at once');
  });
  test('the holder crashes: fenced with the head still the launch target, the launched task acquires; past it, the operation ends', () => {
    const r = launchedEarly();
    const fenced = ok(fence(r, r.holder!));
    assert.equal(fenced.operation?.step, 'launching');
    assert.equal(ok(acquire(fenced, { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-p' })).operation, undefined);
    const r2 = launchedEarly(true);
    assert.equal(ok(fence(r2, r2.holder!)).operation, undefined);
    // The fence and the acquire in one write (ECS reported the holder STOPPED): the same rules.
    assert.equal(ok(acquire(r, { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-p', holderStopped: true })).holder?.taskArn, OTHER);
    refused(acquire(r2, { taskArn: OTHER, volumeId: 'vol-b', source: 'snap-p', holderStopped: true }), 'stale');
  });
  test('a driver that decided on an older read cannot move the handover back a step', () => {
    const r = launchedEarly();
    const order = ['begun', 'pre-copy', 'stopping', 'stopped', 'launching'];
    const back = ok(advanceOperation(r, { id: 'h', step: 'stopping', order }));
    assert.equal(back.operation?.step, 'launching');
    assert.equal(back.seq, r.seq, 'no write');
  });
  test('a launch from the head (after the stop) is never lost while it waits', () => {
    let r = ok(release(held(), 2));
    r = ok(advanceOperation(ok(beginOperation(r, { kind: 'handover', id: 'h' })), { id: 'h', step: 'launching', target: 'snap-1' }));
    assert.equal(ok(adoptLaunch(r, 'snap-1')).operation?.step, 'launching');
  });
});

describe('end superseded launch (reconciler)', () => {
  const D0 = { id: 'ecs-svc/7', createdAt: '2026-06-01T00:00:00.000Z' };
  function launching(withHolder = false): LineageRecord {
    let r = withHolder ? held() : ok(release(held(), 2));
    r = ok(beginOperation(r, { kind: 'handover', id: 'h' }));
    return ok(advanceOperation(r, { id: 'h', step: 'launching', target: 'snap-1', deployment: D0 }));
  }
  const later = new Date('2026-06-01T00:05:00Z');
  test('the launch is recorded with the deployment it replaces', () => {
    assert.deepEqual(launching().operation?.deployment, D0);
  });
  test('a newer PRIMARY deployment from another snapshot ends the handover; nothing else does', () => {
    const r = launching();
    const ended = ok(endSupersededLaunch(r, { id: 'ecs-svc/9', snapshotId: 'snap-0', createdAt: later }));
    assert.equal(ended.operation, undefined);
    assert.equal(ended.seq, r.seq + 1);
    const unchanged = (o: Outcome): boolean => o.ok && o.unchanged === true;
    assert.ok(unchanged(endSupersededLaunch(r, { id: D0.id, snapshotId: 'snap-0', createdAt: new Date(D0.createdAt) })), 'still the deployment to replace: CloudFormation has not updated the service yet');
    assert.ok(unchanged(endSupersededLaunch(r, { id: 'ecs-svc/9', snapshotId: 'snap-1', createdAt: later })), 'the launch itself is underway');
    assert.ok(unchanged(endSupersededLaunch(r, { id: 'ecs-svc/6', snapshotId: 'snap-0', createdAt: new Date('2026-05-31T23:00:00Z') })), 'an older PRIMARY (a stale read) never passes for a newer one');
    assert.ok(unchanged(endSupersededLaunch(launching(true), { id: 'ecs-svc/9', snapshotId: 'snap-0', createdAt: later })), 'a holder still hands over');
    assert.ok(unchanged(endSupersededLaunch(r, undefined)));
  });
});

describe('drop-failed', () => {
  test('a failed head is taken out; the newest remaining entry becomes the head', () => {
    const r = ok(register(held(), { token: 2, snapshotId: 'snap-2', kind: 'periodic' }));
    const d = ok(dropFailed(r, 'snap-2'));
    assert.equal(d.head?.snapshotId, 'snap-1');
    assert.deepEqual(d.snapshots.map((e) => e.snapshotId), ['snap-1']);
    const empty = ok(dropFailed(d, 'snap-1'));
    assert.equal(empty.head, undefined);
  });
  test('only the head can be dropped this way', () => {
    const r = ok(register(held(), { token: 2, snapshotId: 'snap-2', kind: 'periodic' }));
    refused(dropFailed(r, 'snap-1'), 'not-head');
  });
});

describe('roll and launch', () => {
  const at = new Date('2026-03-01T12:00:00Z');
  test('roll sets launch to a completed head, with no holder and no operation', () => {
    const free = ok(release(held(), 2));
    const r = ok(roll(free, { headCompleted: true, at }));
    assert.equal(r.launch, 'snap-1');
    assert.deepEqual(r.roll, { snapshotId: 'snap-1', seq: 5, at: at.toISOString() });
  });
  test('roll is refused with a holder, an operation, a pending head, or no head', () => {
    refused(roll(held(), { headCompleted: true, at }), 'held');
    const free = ok(release(held(), 2));
    refused(roll(free, { headCompleted: false, at }), 'head-not-completed');
    refused(roll(ok(beginOperation(free, { kind: 'restore', id: 'o' })), { headCompleted: true, at }), 'operation');
    refused(roll(createRecord(L), { headCompleted: true, at }), 'no-head');
  });
  test('earlier launch values are remembered (newest first, at most 3) so retention keeps them', () => {
    let r: LineageRecord = { ...createRecord(L), snapshots: ['a', 'b', 'c', 'd', 'e'].map((s, i) => ({ snapshotId: s, seq: 1 + i, kind: 'periodic' as const })) };
    for (const s of ['a', 'b', 'c', 'd', 'e']) r = ok(adoptLaunch(r, s));
    assert.equal(r.launch, 'e');
    assert.deepEqual(r.previousLaunches, ['d', 'c', 'b']);
    assert.ok((adoptLaunch(r, 'e') as { unchanged?: boolean }).unchanged);
    refused(adoptLaunch(r, 'snap-foreign'), 'not-member');
  });
});

describe('operations and promote', () => {
  test('one operation at a time; the same id resumes without a write', () => {
    const r = ok(beginOperation(held(), { kind: 'restore', id: 'op1', target: 'snap-1' }));
    assert.deepEqual(r.operation, { kind: 'restore', id: 'op1', seq: 4, step: 'begun', target: 'snap-1' });
    assert.ok((beginOperation(r, { kind: 'restore', id: 'op1' }) as { unchanged?: boolean }).unchanged);
    refused(beginOperation(r, { kind: 'handover', id: 'op2' }), 'operation');
  });
  test('an operation can only target a recorded snapshot (foreign ones never)', () => {
    refused(beginOperation(held(), { kind: 'restore', id: 'op1', target: 'snap-foreign' }), 'not-member');
  });
  test('advance and end only the caller’s operation', () => {
    const r = ok(beginOperation(held(), { kind: 'restore', id: 'op1' }));
    refused(advanceOperation(r, { id: 'op2', step: 'x' }), 'operation');
    assert.equal(ok(advanceOperation(r, { id: 'op1', step: 'scale-down' })).operation?.step, 'scale-down');
    assert.ok((endOperation(r, 'op2') as { unchanged?: boolean }).unchanged);
    assert.equal(ok(endOperation(r, 'op1')).operation, undefined);
  });
  test('promote: the chosen member becomes a restore head with a new seq and the launch, only without a holder', () => {
    let r = ok(register(held(), { token: 2, snapshotId: 'snap-2', kind: 'periodic' }));
    r = ok(beginOperation(r, { kind: 'restore', id: 'op1', target: 'snap-1' }));
    refused(promote(r, { id: 'op1', snapshotId: 'snap-1' }), 'held');
    r = ok(release(r, 2));
    refused(promote(r, { id: 'op9', snapshotId: 'snap-1' }), 'operation');
    refused(promote(r, { id: 'op1', snapshotId: 'snap-x' }), 'not-member');
    const p = ok(promote(r, { id: 'op1', snapshotId: 'snap-1' }));
    assert.deepEqual(p.head, { snapshotId: 'snap-1', seq: p.seq, kind: 'restore', task: TASK });
    assert.equal(p.launch, 'snap-1');
    assert.deepEqual(p.snapshots.map((e) => e.snapshotId), ['snap-2', 'snap-1']);
    assert.ok((promote(p, { id: 'op1', snapshotId: 'snap-1' }) as { unchanged?: boolean }).unchanged);
  });
});

describe('prune', () => {
  const base = (): LineageRecord => ({
    ...createRecord(L),
    seq: 9,
    snapshots: ['s1', 's2', 's3', 's4', 's5', 's6'].map((s, i) => ({ snapshotId: s, seq: 2 + i, kind: 'periodic' as const })),
    head: { snapshotId: 's6', seq: 7, kind: 'periodic' },
    launch: 's5',
    previousLaunches: ['s4'],
    operation: { kind: 'restore', id: 'o', seq: 8, target: 's3' },
  });
  test('head, launch, earlier launches, the operation target and deployment references are never taken out', () => {
    const o = prune(base(), ['s1', 's2', 's3', 's4', 's5', 's6'], ['s2']);
    assert.ok(o.ok);
    assert.deepEqual(o.removed, ['s1']);
    assert.deepEqual(o.record.snapshots.map((e) => e.snapshotId), ['s2', 's3', 's4', 's5', 's6']);
    assert.deepEqual([...protectedIds(base(), ['s2'])].sort(), ['s2', 's3', 's4', 's5', 's6']);
  });
  test('foreign ids are ignored; nothing left to remove is a refusal', () => {
    refused(prune(base(), ['snap-foreign', 's6']), 'nothing-to-do');
  });
  test('property: every transition that writes advances seq by exactly one, keeps the head a member and the members in seq order', () => {
    const ops = fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 3 })), { maxLength: 40 });
    fc.assert(
      fc.property(ops, (list) => {
        let r = createRecord(L);
        let n = 0;
        for (const [op, who] of list) {
          const task = `arn:task/${who}`;
          const o: Outcome = [
            () => acquire(r, { taskArn: task, volumeId: `vol-${who}`, ...(r.head ? { source: r.head.snapshotId } : {}), holderStopped: who === 3 }),
            () => register(r, { token: r.holder?.token ?? -1, snapshotId: `snap-${++n}`, kind: 'periodic' }),
            () => release(r, r.holder?.token ?? -1),
            () => (r.head ? dropFailed(r, r.head.snapshotId) : dropFailed(r, 'x')),
            () => roll(r, { headCompleted: true, at: new Date(0) }),
            () => prune(r, r.snapshots.map((e) => e.snapshotId)),
            () => beginOperation(r, { kind: 'restore', id: `op${who}`, ...(r.snapshots[0] ? { target: r.snapshots[0].snapshotId } : {}) }),
            () => endOperation(r, `op${who}`),
            () => register(r, { token: r.holder?.token ?? -1, snapshotId: `snap-${++n}`, kind: 'final', release: true, ...(r.head ? { handoff: { base: r.head.snapshotId, delta: { key: `k${n}`, sha256: 'x', bytes: 1, files: 1 } } } : {}) }),
            () => acquire(r, { taskArn: task, volumeId: `vol-${who}`, ...(r.handoff ? { source: r.handoff.base, appliedDelta: r.handoff.delta.key } : {}) }),
          ][op]!();
          if (!o.ok || o.unchanged) continue;
          assert.equal(o.record.seq, r.seq + 1);
          r = o.record;
          if (r.handoff) assert.ok(validHandoff(r), 'a handoff in the record always stands for the head (final = head, base a member)');
          if (r.head) assert.ok(r.snapshots.some((e) => e.snapshotId === r.head!.snapshotId), 'head is a member');
          const seqs = r.snapshots.map((e) => e.seq);
          assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'members in seq order');
        }
      }),
    );
  });
});
