/**
 * `jenkins-ecs snapshot [--wait]`: a manual snapshot of the holder volume.
 * moto gaps, covered with recorded responses (aws-sdk-client-mock):
 * - snapshots complete at once in moto, so `--wait` progress (pending, Progress "40%") and a
 *   snapshot ending in `error` are recorded;
 * - DescribeTasks has no EBS attachment in moto, so the `task` tag (task whose volume is the
 *   holder) is recorded too.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateSnapshotCommand, DescribeSnapshotsCommand, DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { recordToItem } from '../../src/aws/record-adapter.js';
import { createRecord } from '../../src/continuity/transitions.js';
import * as snapshot from '../../src/cli/commands/snapshot.js';
import { EXIT } from '../../src/cli/errors.js';
import { TAGS } from '../../src/continuity/model.js';
import { runCommand, testContext } from './support/context.js';
import { motoClients, motoEnv, seedHolder, seedService, seedSnapshot, seedVolume, uniqueName } from './support/moto.js';

const tagsOf = (tags: { Key?: string; Value?: string }[] | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.Key, t.Value]));

describe('snapshot against moto', () => {
  const clients = motoClients();

  test('a manual snapshot of the live holder carries lineage, kind=manual and source tags', async () => {
    const name = uniqueName('sn');
    const vol = await seedVolume(clients);
    const source = await seedSnapshot(clients, { lineage: name, kind: 'final', volumeId: vol });
    const holder = await seedHolder(clients, name, source);
    await seedService(clients, name, { snapshotId: source, launch: source });

    const ctx = testContext({ env: motoEnv() });
    const res = await runCommand(snapshot, ['--name', name, '--json'], ctx);
    assert.equal(res.code, EXIT.ok, res.error?.message);
    const out = JSON.parse(ctx.io.stdout.join('\n')) as { snapshotId: string; volumeId: string };
    assert.equal(out.volumeId, holder);

    const described = await clients.ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [out.snapshotId] }));
    const s = described.Snapshots?.[0];
    assert.equal(s?.VolumeId, holder);
    const tags = tagsOf(s?.Tags);
    assert.equal(tags[TAGS.lineage], name);
    assert.equal(tags[TAGS.kind], 'manual');
    assert.equal(tags[TAGS.source], source);
  });

  test('--wait on a snapshot that completes at once draws a full bar and reports completion', async () => {
    const name = uniqueName('sn');
    await seedHolder(clients, name);
    await seedService(clients, name);
    const ctx = testContext({ env: motoEnv() });
    const res = await runCommand(snapshot, ['--name', name, '--wait', '--poll-seconds', '0.01'], ctx);
    assert.equal(res.code, EXIT.ok, res.error?.message);
    assert.match(ctx.io.stderr.at(-1) ?? '', /^snap-\w+ \[#{30}\] 100%$/);
    assert.match(ctx.io.stdout.at(-1) ?? '', /^snapshot snap-\w+ completed$/);
  });

  test('without --wait, a snapshot EBS already reports completed says so, with no advice to wait', async () => {
    const name = uniqueName('sn');
    await seedHolder(clients, name);
    await seedService(clients, name);
    const ctx = testContext({ env: motoEnv() });
    const res = await runCommand(snapshot, ['--name', name], ctx);
    assert.equal(res.code, EXIT.ok, res.error?.message);
    // moto answers CreateSnapshot with State completed.
    assert.match(ctx.io.stdout.at(-1) ?? '', /^snapshot snap-\w+ completed$/);
    assert.doesNotMatch(ctx.io.stdout.join('\n'), /--wait/);
  });

  test('no live holder is refused with its own exit code and no snapshot is taken', async () => {
    const name = uniqueName('sn');
    // A v0.1 holder tag counts for nothing: the record names no holder.
    await seedVolume(clients, { tags: { [TAGS.holder]: name } });
    await seedService(clients, name);
    const ctx = testContext({ env: motoEnv() });
    const res = await runCommand(snapshot, ['--name', name], ctx);
    assert.equal(res.code, EXIT.noHolder);
    assert.match(res.error?.message ?? '', new RegExp(`^no holder: the lineage record of ${name} names no holder`));
    const lineage = await clients.ec2.send(
      new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: `tag:${TAGS.lineage}`, Values: [name] }] }),
    );
    assert.deepEqual(lineage.Snapshots, []);
  });
});

describe('snapshot --wait with recorded responses (pending progress, attachment)', () => {
  const name = uniqueName('rec');
  const taskArn = `arn:aws:ecs:us-east-1:123456789012:task/jenkins-ecs-${name}/t1`;
  const start = new Date('2026-03-01T10:00:00Z');

  function record(states: { State: 'pending' | 'completed' | 'error'; Progress: string }[]) {
    const ec2 = mockClient(EC2Client);
    const ecs = mockClient(ECSClient);
    const ddb = mockClient(DynamoDBClient);
    // The record names the holder (task t1 on vol-h, token 2); PutItem stores what GetItem returns next.
    let item = recordToItem({ ...createRecord(name), seq: 2, holder: { taskArn, volumeId: 'vol-h', token: 2 } });
    ddb.on(GetItemCommand).callsFake(() => ({ Item: item }));
    ddb.on(PutItemCommand).callsFake((input: { Item: typeof item }) => {
      item = input.Item;
      return {};
    });
    ec2.on(DescribeVolumesCommand).resolves({
      Volumes: [{ VolumeId: 'vol-h', State: 'in-use', SnapshotId: 'snap-src', CreateTime: start, Tags: [{ Key: TAGS.holder, Value: name }] }],
    });
    ecs.on(ListTasksCommand).resolves({ taskArns: [taskArn] });
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          taskArn,
          lastStatus: 'RUNNING',
          attachments: [{ type: 'AmazonElasticBlockStorage', status: 'ATTACHED', details: [{ name: 'volumeId', value: 'vol-h' }] }],
        },
      ],
    });
    ec2.on(CreateSnapshotCommand).resolves({ SnapshotId: 'snap-new', State: 'pending', Progress: '', StartTime: start, VolumeId: 'vol-h' });
    let call = ec2.on(DescribeSnapshotsCommand);
    for (const s of states) {
      call = call.resolvesOnce({ Snapshots: [{ SnapshotId: 'snap-new', StartTime: start, VolumeId: 'vol-h', ...s }] });
    }
    return { ec2, ecs: { restore: () => (ecs.restore(), ddb.restore()) }, item: () => item };
  }

  test('progress is drawn from EBS Progress until completed, and the snapshot is tagged with the holder task', async (t) => {
    const { ec2, ecs, item } = record([
      { State: 'pending', Progress: '40%' },
      { State: 'pending', Progress: '80%' },
      { State: 'completed', Progress: '100%' },
    ]);
    t.after(() => {
      ec2.restore();
      ecs.restore();
    });
    const ctx = testContext({ env: { AWS_REGION: 'us-east-1' } });
    const res = await runCommand(snapshot, ['--name', name, '--wait', '--poll-seconds', '0.001'], ctx);
    assert.equal(res.code, EXIT.ok, res.error?.message);
    assert.deepEqual(ctx.io.stderr, [
      `snap-new [${'-'.repeat(30)}]   0%`,
      `snap-new [${'#'.repeat(12)}${'-'.repeat(18)}]  40%`,
      `snap-new [${'#'.repeat(24)}${'-'.repeat(6)}]  80%`,
      `snap-new [${'#'.repeat(30)}] 100%`,
    ]);
    assert.deepEqual(ctx.io.stdout, [
      `snapshot snap-new of holder volume vol-h requested and recorded as the head (kind=manual, lineage ${name})`,
      'snapshot snap-new completed',
    ]);
    const created = ec2.commandCalls(CreateSnapshotCommand)[0]?.args[0].input;
    assert.equal(created?.VolumeId, 'vol-h');
    assert.deepEqual(tagsOf(created?.TagSpecifications?.[0]?.Tags), {
      [TAGS.lineage]: name,
      [TAGS.kind]: 'manual',
      [TAGS.task]: taskArn,
      [TAGS.source]: 'snap-src',
    });
    assert.equal(item().head?.S, 'snap-new', 'registered with the holder token: the new head');
  });

  test('a snapshot that ends in error fails with one line and the AWS exit code', async (t) => {
    const { ec2, ecs } = record([
      { State: 'pending', Progress: '10%' },
      { State: 'error', Progress: '10%' },
    ]);
    t.after(() => {
      ec2.restore();
      ecs.restore();
    });
    const ctx = testContext({ env: { AWS_REGION: 'us-east-1' } });
    const res = await runCommand(snapshot, ['--name', name, '--wait', '--poll-seconds', '0.001'], ctx);
    assert.equal(res.code, EXIT.aws);
    assert.equal(res.error?.message, 'snapshot snap-new ended in error; it does not count for the lineage (take another one)');
  });
});
