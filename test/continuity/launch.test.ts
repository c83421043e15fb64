// The deploy-time launch decision (src/continuity/launch.ts): which snapshot the controller
// service's ManagedEBSVolume gets, for every life-cycle case of issue 10.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decideLaunch, launchPlan, launchVolume, LaunchRefusal } from '../../src/continuity/launch.js';
import { RECORD_FORMAT, type LineageRecord } from '../../src/continuity/record.js';

const SEED = 'snap-0000000000000seed';
const HEAD = 'snap-00000000000000head';
const LAUNCH = 'snap-0000000000000launch';

function record(extra: Partial<LineageRecord> = {}): LineageRecord {
  return { lineage: 'ci', format: RECORD_FORMAT, seq: 7, snapshots: [], ...extra };
}
const withHead = (extra: Partial<LineageRecord> = {}) =>
  record({ head: { snapshotId: HEAD, seq: 6, kind: 'final' }, snapshots: [{ snapshotId: HEAD, seq: 6, kind: 'final' }], ...extra });

describe('launch decision per life-cycle case', () => {
  test('first deploy, empty lineage, no seed: no snapshot at all (an empty home)', () => {
    assert.deepEqual(
      [decideLaunch({ serviceExists: false }).kind, (decideLaunch({ serviceExists: false }) as { source: string }).source],
      ['ready', 'empty'],
    );
    const d = decideLaunch({ record: record(), serviceExists: false });
    assert.equal(d.kind === 'ready' && d.snapshotId, undefined);
  });

  test('first deploy from a seed snapshot: the seed', () => {
    const d = decideLaunch({ serviceExists: false, seedSnapshotId: SEED });
    assert.deepEqual(d.kind === 'ready' && [d.source, d.snapshotId], ['seed', SEED]);
  });

  test('a failed first create retried: the rollback left a head; wait while it is pending, then launch from it', () => {
    const pending = decideLaunch({ record: withHead(), serviceExists: false, seedSnapshotId: SEED, headState: 'pending' });
    assert.deepEqual([pending.kind, pending.snapshotId], ['wait', HEAD]);
    const done = decideLaunch({ record: withHead(), serviceExists: false, seedSnapshotId: SEED, headState: 'completed' });
    assert.deepEqual(done.kind === 'ready' && [done.source, done.snapshotId], ['head', HEAD]);
  });

  test('teardown then redeploy: no service, the record has a head and an old launch: the head, not the launch', () => {
    const d = decideLaunch({ record: withHead({ launch: LAUNCH }), serviceExists: false, headState: 'completed' });
    assert.deepEqual(d.kind === 'ready' && [d.source, d.snapshotId], ['head', HEAD]);
  });

  test('a deploy that replaces the task of a running service: the recorded launch, whatever the head', () => {
    for (const headState of ['pending', 'completed', 'error', undefined] as const) {
      const d = decideLaunch({ record: withHead({ launch: LAUNCH }), serviceExists: true, headState });
      assert.deepEqual(d.kind === 'ready' && [d.source, d.snapshotId], ['launch', LAUNCH]);
    }
  });

  test('a service that exists but no launch recorded (first v0.2 deploy over v0.1): the head rule', () => {
    const d = decideLaunch({ record: withHead(), serviceExists: true, headState: 'completed' });
    assert.deepEqual(d.kind === 'ready' && [d.source, d.snapshotId], ['head', HEAD]);
  });

  test('a head in error or gone is waited on, never skipped for the seed', () => {
    for (const headState of ['error', 'missing'] as const) {
      const d = decideLaunch({ record: withHead(), serviceExists: false, seedSnapshotId: SEED, headState });
      assert.deepEqual([d.kind, d.snapshotId], ['wait', HEAD]);
      assert.match(d.reason, new RegExp(headState));
    }
  });

  test('the plan asks for the head state only when the head is the candidate', () => {
    assert.equal(launchPlan({ record: withHead({ launch: LAUNCH }), serviceExists: true }).source, 'launch');
    assert.equal(launchPlan({ record: withHead(), serviceExists: false }).source, 'head');
  });

  test('a record of a newer format is refused with the fix', () => {
    assert.throws(() => decideLaunch({ record: record({ format: RECORD_FORMAT + 1 }), serviceExists: false }), (e: unknown) => {
      assert.ok(e instanceof LaunchRefusal);
      assert.match(e.message, /newer than this version's/);
      return true;
    });
  });
});

describe('launchVolume', () => {
  const stat = { RoleArn: 'arn:aws:iam::123456789012:role/r', Encrypted: 'true', SizeInGiB: '50', Iops: '3000', Throughput: '125', VolumeType: 'gp3', FilesystemType: 'xfs', TagSpecifications: [{ ResourceType: 'volume' }] };

  test('with a snapshot: SnapshotId and the initialization rate are set, strings turned back into numbers and booleans', () => {
    const v = launchVolume(stat, { kind: 'ready', source: 'head', snapshotId: HEAD, reason: '' }, 200);
    assert.deepEqual(v, { ...stat, Encrypted: true, SizeInGiB: 50, Iops: 3000, Throughput: 125, SnapshotId: HEAD, VolumeInitializationRate: 200 });
  });

  test('without a snapshot: neither SnapshotId nor the rate (ECS refuses a rate without a snapshot)', () => {
    const v = launchVolume({ ...stat, SnapshotId: 'snap-stale', VolumeInitializationRate: '100' }, { kind: 'ready', source: 'empty', reason: '' }, 200);
    assert.equal('SnapshotId' in v, false);
    assert.equal('VolumeInitializationRate' in v, false);
  });

  test('a non-numeric size is refused', () => {
    assert.throws(() => launchVolume({ SizeInGiB: 'big' }, { kind: 'ready', source: 'empty', reason: '' }), /SizeInGiB is "big"/);
  });
});
