import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTrigger, snapshotIdOfArn } from '../../src/reconciler/events.js';
import { readReconcilerSettings } from '../../src/reconciler/settings.js';
import { RECONCILER_ENV } from '../../src/continuity/settings.js';

describe('reconciler event parsing', () => {
  test('an EBS Snapshot Notification yields the snapshot id from resources, the result and the volume', () => {
    assert.deepEqual(
      parseTrigger({
        'detail-type': 'EBS Snapshot Notification',
        source: 'aws.ec2',
        resources: ['arn:aws:ec2:eu-west-1::snapshot/snap-0abc123'],
        detail: { event: 'createSnapshot', result: 'failed', source: 'arn:aws:ec2:eu-west-1::volume/vol-0a' },
      }),
      { kind: 'snapshot', result: 'failed', snapshotId: 'snap-0abc123', volume: 'arn:aws:ec2:eu-west-1::volume/vol-0a' },
    );
  });

  test('an ECS Task State Change yields the task, its group and status', () => {
    assert.deepEqual(
      parseTrigger({ 'detail-type': 'ECS Task State Change', detail: { taskArn: 'arn:t', group: 'service:x', lastStatus: 'STOPPED' } }),
      { kind: 'task', taskArn: 'arn:t', group: 'service:x', lastStatus: 'STOPPED' },
    );
  });

  test('a Scheduled Event is the safety-net schedule; anything else (or nothing) is other', () => {
    assert.deepEqual(parseTrigger({ 'detail-type': 'Scheduled Event' }), { kind: 'schedule' });
    assert.deepEqual(parseTrigger({}), { kind: 'other', detailType: '' });
    assert.deepEqual(parseTrigger(null), { kind: 'other', detailType: '' });
  });

  test('snapshotIdOfArn rejects strings that are not snapshot ARNs', () => {
    assert.equal(snapshotIdOfArn('arn:aws:ec2:us-east-1::volume/vol-1'), undefined);
    assert.equal(snapshotIdOfArn(undefined), undefined);
  });
});

describe('reconciler settings', () => {
  const base = {
    [RECONCILER_ENV.lineage]: 'ci',
    [RECONCILER_ENV.cluster]: 'c',
    [RECONCILER_ENV.service]: 's',
    [RECONCILER_ENV.recordTable]: 't',
  };

  test('retention defaults when unset; no initialization rate unless given', () => {
    assert.deepEqual(readReconcilerSettings(base), {
      lineage: 'ci',
      cluster: 'c',
      service: 's',
      recordTable: 't',
      keepLast: 12,
      keepDailyDays: 14,
    });
  });

  test('bad numbers are all reported at once with the variable and the value', () => {
    assert.throws(
      () => readReconcilerSettings({ ...base, [RECONCILER_ENV.keepLast]: '0', [RECONCILER_ENV.initializationRateMiBps]: '500' }),
      (e: Error) => /JENKINS_ECS_KEEP_LAST must be an integer >= 1, got "0"/.test(e.message) && /INITIALIZATION_RATE must be 100\.\.300, got 500/.test(e.message),
    );
  });
});
