// Recorded-response tests for EC2 shapes moto cannot produce: moto completes every snapshot at once
// (no `pending` state, no Progress) and never pages DescribeSnapshots. The responses below follow
// the EC2 API's documented shapes; aws-sdk-client-mock stands in for the service.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CreateSnapshotCommand,
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
  EC2ServiceException,
} from '@aws-sdk/client-ec2';
import { Ec2Adapter } from '../../src/aws/ec2-adapter.js';
import { TAGS } from '../../src/continuity/model.js';

function ec2Error(name: string): EC2ServiceException {
  return new EC2ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message: name });
}

const lineageTags = (lineage: string, kind: string) => [
  { Key: TAGS.lineage, Value: lineage },
  { Key: TAGS.kind, Value: kind },
];

describe('Ec2Adapter with recorded responses', () => {
  test('a pending snapshot keeps its state and Progress', async () => {
    const client = new EC2Client({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(DescribeSnapshotsCommand).resolves({
      Snapshots: [
        {
          SnapshotId: 'snap-0pending',
          State: 'pending',
          Progress: '42%',
          StartTime: new Date('2026-05-01T10:00:00Z'),
          VolumeId: 'vol-0a',
          VolumeSize: 50,
          Tags: lineageTags('ci', 'periodic'),
        },
      ],
    });
    const [s] = await new Ec2Adapter(client).listLineage('ci');
    assert.equal(s?.state, 'pending');
    assert.equal(s?.progress, '42%');
    assert.equal(s?.volumeSizeGiB, 50);
    assert.equal(s?.startTime.toISOString(), '2026-05-01T10:00:00.000Z');
  });

  test('listLineage follows NextToken across pages and asks for owner self with the lineage tag filter', async () => {
    const client = new EC2Client({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock
      .on(DescribeSnapshotsCommand)
      .resolvesOnce({ Snapshots: [{ SnapshotId: 'snap-1', State: 'completed', Tags: lineageTags('ci', 'final') }], NextToken: 't1' })
      .resolvesOnce({ Snapshots: [{ SnapshotId: 'snap-2', State: 'error', Tags: lineageTags('ci', 'periodic') }] });
    const listed = await new Ec2Adapter(client).listLineage('ci');
    assert.deepEqual(listed.map((s) => [s.id, s.state]), [['snap-1', 'completed'], ['snap-2', 'error']]);
    const calls = mock.commandCalls(DescribeSnapshotsCommand);
    assert.equal(calls.length, 2);
    assert.deepEqual(calls[0]!.args[0].input.OwnerIds, ['self']);
    assert.deepEqual(calls[0]!.args[0].input.Filters, [{ Name: `tag:${TAGS.lineage}`, Values: ['ci'] }]);
    assert.equal(calls[1]!.args[0].input.NextToken, 't1');
  });

  test('Recycle Bin states: a recoverable snapshot is left out of the lineage, a recovering one counts as pending (never pruned as failed)', async () => {
    const client = new EC2Client({ region: 'us-east-1' });
    mockClient(client)
      .on(DescribeSnapshotsCommand)
      .resolves({
        Snapshots: [
          { SnapshotId: 'snap-r', State: 'recoverable', Tags: lineageTags('ci', 'periodic') },
          { SnapshotId: 'snap-v', State: 'recovering', Tags: lineageTags('ci', 'periodic') },
        ],
      });
    const listed = await new Ec2Adapter(client).listLineage('ci');
    assert.deepEqual(listed.map((s) => [s.id, s.state]), [['snap-v', 'pending']]);
  });

  test('describeSnapshot treats a snapshot in the Recycle Bin as absent, not as a failure', async () => {
    const client = new EC2Client({ region: 'us-east-1' });
    mockClient(client)
      .on(DescribeSnapshotsCommand)
      .resolves({ Snapshots: [{ SnapshotId: 'snap-r', State: 'recoverable', Tags: lineageTags('ci', 'periodic') }] });
    assert.equal(await new Ec2Adapter(client).describeSnapshot('snap-r'), undefined);
  });

  test('an unknown kind tag maps to no kind', async () => {
    const client = new EC2Client({ region: 'us-east-1' });
    mockClient(client)
      .on(DescribeSnapshotsCommand)
      .resolves({ Snapshots: [{ SnapshotId: 'snap-w', State: 'completed', Tags: lineageTags('ci', 'weird') }] });
    const [s] = await new Ec2Adapter(client).listLineage('ci');
    assert.equal(s?.kind, undefined);
  });

  test('createSnapshot returns the pending snapshot CreateSnapshot answers with', async () => {
    const client = new EC2Client({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(CreateSnapshotCommand).resolves({
      SnapshotId: 'snap-0new',
      State: 'pending',
      StartTime: new Date('2026-05-01T10:00:00Z'),
      VolumeId: 'vol-0a',
      Tags: [...lineageTags('ci', 'final'), { Key: TAGS.task, Value: 'arn:task' }],
    });
    const s = await new Ec2Adapter(client).createSnapshot('vol-0a', { lineage: 'ci', kind: 'final', task: 'arn:task' });
    assert.equal(s.id, 'snap-0new');
    assert.equal(s.state, 'pending');
    assert.equal(s.task, 'arn:task');
    const input = mock.commandCalls(CreateSnapshotCommand)[0]!.args[0].input;
    assert.deepEqual(input.TagSpecifications, [
      { ResourceType: 'snapshot', Tags: [...lineageTags('ci', 'final'), { Key: TAGS.task, Value: 'arn:task' }] },
    ]);
  });

  test('deleteSnapshot tolerates InvalidSnapshot.NotFound only; InvalidSnapshot.InUse propagates', async () => {
    const client = new EC2Client({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(DeleteSnapshotCommand, { SnapshotId: 'snap-gone' }).rejects(ec2Error('InvalidSnapshot.NotFound'));
    mock.on(DeleteSnapshotCommand, { SnapshotId: 'snap-used' }).rejects(ec2Error('InvalidSnapshot.InUse'));
    const adapter = new Ec2Adapter(client);
    await adapter.deleteSnapshot('snap-gone');
    await assert.rejects(adapter.deleteSnapshot('snap-used'), /InvalidSnapshot\.InUse/);
  });

  test('describeVolume lets throttling propagate instead of reporting the volume missing', async () => {
    const client = new EC2Client({ region: 'us-east-1' });
    mockClient(client).on(DescribeVolumesCommand).rejects(ec2Error('RequestLimitExceeded'));
    await assert.rejects(new Ec2Adapter(client).describeVolume('vol-0a'), /RequestLimitExceeded/);
  });
});
