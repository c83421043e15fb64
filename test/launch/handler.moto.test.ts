// The LaunchSnapshot handler against DynamoDB, ECS and EC2 in moto_server, one test per life-cycle
// case of issue 10 (first deploy, seed, failed create retried, teardown + redeploy, main stack
// re-created). The table is created with the key schema of the synthesized state stack (the
// template is the oracle, not a literal here). moto completes snapshots at once, so the
// pending-head case answers DescribeSnapshots from a recorded "pending" response instead
// (aws-sdk-client-mock), as the reconciler tests do for shapes moto lacks.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CreateTableCommand, PutItemCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { CreateSnapshotCommand, CreateVolumeCommand, DescribeSnapshotsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateClusterCommand, CreateServiceCommand, DeleteServiceCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { Ec2Adapter } from '../../src/aws/ec2-adapter.js';
import { DynamoRecordAdapter, recordToItem } from '../../src/aws/record-adapter.js';
import { EcsAdapter } from '../../src/aws/ecs-adapter.js';
import { deploymentNames } from '../../src/config/names.js';
import { JenkinsState, RECORD_TABLE_LOGICAL_ID } from '../../src/constructs/jenkins-state.js';
import { systemClock } from '../../src/continuity/clock.js';
import { RECORD_FORMAT, type LineageRecord } from '../../src/continuity/record.js';
import { isCompleteWith, onEventWith, type LaunchDeps, type LaunchEvent } from '../../src/launch/handler.js';
import { LAUNCH_PROPERTIES } from '../../src/launch/properties.js';
import { motoClients, uniqueLineage } from '../aws/moto.js';

const { ec2, ecs, dynamodb: dynamo } = motoClients();
const SEED = 'snap-0123456789abcdef0';
const lines: string[] = [];

function deps(overrides: Partial<LaunchDeps> = {}): LaunchDeps {
  return {
    record: (table) => new DynamoRecordAdapter(dynamo, table),
    ec2: new Ec2Adapter(ec2),
    ecs: new EcsAdapter(ecs),
    clock: systemClock,
    print: (line) => lines.push(line),
    // Answer at once: these cases test the decision, not the wait inside one invocation.
    stepBudgetMs: 0,
    ...overrides,
  };
}

/** The state stack's table, created in moto from the synthesized template's own definition. */
async function createTableLike(lineage: string): Promise<string> {
  const t = Template.fromStack(new JenkinsState(new App(), 'S', { deploymentName: lineage }));
  const p = t.toJSON().Resources[RECORD_TABLE_LOGICAL_ID].Properties as CreateTableCommandInput;
  await dynamo.send(new CreateTableCommand({ TableName: p.TableName, KeySchema: p.KeySchema, AttributeDefinitions: p.AttributeDefinitions, BillingMode: 'PAY_PER_REQUEST' }));
  return p.TableName!;
}

/** A record as the keeper or the reconciler would have written it (the adapter's item layout). */
async function putRecord(table: string, record: LineageRecord): Promise<void> {
  await dynamo.send(new PutItemCommand({ TableName: table, Item: recordToItem(record) }));
}

async function completedSnapshot(): Promise<string> {
  const v = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 1 }));
  return (await ec2.send(new CreateSnapshotCommand({ VolumeId: v.VolumeId! }))).SnapshotId!;
}

/** The cluster exists before the resource runs: it is created in the same stack, and the resource names it by Ref. */
async function createCluster(lineage: string): Promise<void> {
  await ecs.send(new CreateClusterCommand({ clusterName: deploymentNames(lineage).cluster }));
}

async function createService(lineage: string): Promise<void> {
  const names = deploymentNames(lineage);
  await createCluster(lineage);
  const td = await ecs.send(new RegisterTaskDefinitionCommand({ family: names.service, containerDefinitions: [{ name: 'jenkins', image: 'jenkins/jenkins', memory: 512 }] }));
  await ecs.send(new CreateServiceCommand({ cluster: names.cluster, serviceName: names.service, taskDefinition: td.taskDefinition!.taskDefinitionArn!, desiredCount: 0 }));
}

function event(lineage: string, table: string, extra: Record<string, unknown> = {}, type: LaunchEvent['RequestType'] = 'Create'): LaunchEvent {
  const names = deploymentNames(lineage);
  return {
    RequestType: type,
    ResourceProperties: {
      ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:provider',
      [LAUNCH_PROPERTIES.lineage]: lineage,
      [LAUNCH_PROPERTIES.tableName]: table,
      [LAUNCH_PROPERTIES.cluster]: names.cluster,
      [LAUNCH_PROPERTIES.service]: names.service,
      [LAUNCH_PROPERTIES.taskDefinition]: `arn:aws:ecs:us-east-1:123456789012:task-definition/${names.service}:3`,
      [LAUNCH_PROPERTIES.initializationRateMiBps]: '200',
      // As CloudFormation delivers them: numbers and booleans as strings.
      [LAUNCH_PROPERTIES.managedEbsVolume]: { RoleArn: 'arn:aws:iam::123456789012:role/infra', Encrypted: 'true', SizeInGiB: '50', VolumeType: 'gp3', FilesystemType: 'xfs' },
      ...extra,
    },
  };
}

function head(snapshotId: string, extra: Partial<LineageRecord> = {}): (lineage: string) => LineageRecord {
  return (lineage) => ({
    lineage,
    format: RECORD_FORMAT,
    seq: 5,
    head: { snapshotId, seq: 4, kind: 'final' },
    snapshots: [{ snapshotId, seq: 4, kind: 'final' }],
    ...extra,
  });
}

describe('LaunchSnapshot handler (moto)', () => {
  before(() => {
    lines.length = 0;
  });

  test('first deploy with an empty lineage: no record, no seed → no SnapshotId and no initialization rate', async () => {
    const lineage = uniqueLineage('launch-empty');
    const table = await createTableLike(lineage);
    await createCluster(lineage);
    const e = event(lineage, table);
    assert.deepEqual(await onEventWith(e, deps()), { PhysicalResourceId: `jenkins-ecs-launch-${lineage}` });
    const r = await isCompleteWith(e, deps());
    assert.equal(r.IsComplete, true);
    assert.deepEqual(r.Data, {
      ManagedEBSVolume: { RoleArn: 'arn:aws:iam::123456789012:role/infra', Encrypted: true, SizeInGiB: 50, VolumeType: 'gp3', FilesystemType: 'xfs' },
      SnapshotId: '',
      Source: 'empty',
    });
  });

  test('deploy from a seed snapshot: no record yet (and no cluster either: ClusterNotFoundException means no service) → the seed, with the rate', async () => {
    const lineage = uniqueLineage('launch-seed');
    const table = await createTableLike(lineage);
    const r = await isCompleteWith(event(lineage, table, { [LAUNCH_PROPERTIES.seedSnapshotId]: SEED }), deps());
    assert.deepEqual([r.IsComplete, r.Data?.Source, r.Data?.ManagedEBSVolume.SnapshotId, r.Data?.ManagedEBSVolume.VolumeInitializationRate], [true, 'seed', SEED, 200]);
  });

  test('a failed first create retried: the rollback left a pending final snapshot as the head → wait, then launch from it', async () => {
    const lineage = uniqueLineage('launch-retry');
    const table = await createTableLike(lineage);
    await createCluster(lineage);
    const final = await completedSnapshot();
    await putRecord(table, head(final)(lineage));
    // Recorded DescribeSnapshots answer while the final snapshot is still being copied.
    const recorded = mockClient(EC2Client);
    recorded.on(DescribeSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: final, State: 'pending', StartTime: new Date(), Progress: '40%', Tags: [] }] });
    try {
      const waiting = await isCompleteWith(event(lineage, table, { [LAUNCH_PROPERTIES.seedSnapshotId]: SEED }), deps({ ec2: new Ec2Adapter(new EC2Client({ region: 'us-east-1' })) }));
      assert.deepEqual(waiting, { IsComplete: false });
    } finally {
      recorded.restore();
    }
    assert.ok(lines.some((l) => l.includes('launch snapshot: waiting') && l.includes(final)));
    // moto: the same snapshot, now completed.
    const r = await isCompleteWith(event(lineage, table, { [LAUNCH_PROPERTIES.seedSnapshotId]: SEED }), deps());
    assert.deepEqual([r.IsComplete, r.Data?.Source, r.Data?.SnapshotId], [true, 'head', final]);
  });

  test('teardown then redeploy under the same name: the record survived with head and launch, no service → the head', async () => {
    const lineage = uniqueLineage('launch-redeploy');
    const table = await createTableLike(lineage);
    await createCluster(lineage);
    const [older, final] = [await completedSnapshot(), await completedSnapshot()];
    await putRecord(table, head(final, { launch: older })(lineage));
    const r = await isCompleteWith(event(lineage, table), deps());
    assert.deepEqual([r.IsComplete, r.Data?.Source, r.Data?.SnapshotId], [true, 'head', final]);
  });

  test('main stack re-created while the state survives: the old service is INACTIVE (deleted) → treated as absent → the head', async () => {
    const lineage = uniqueLineage('launch-recreate');
    const table = await createTableLike(lineage);
    const [older, final] = [await completedSnapshot(), await completedSnapshot()];
    await putRecord(table, head(final, { launch: older })(lineage));
    await createService(lineage);
    const names = deploymentNames(lineage);
    await ecs.send(new DeleteServiceCommand({ cluster: names.cluster, service: names.service, force: true }));
    const r = await isCompleteWith(event(lineage, table), deps());
    assert.deepEqual([r.Data?.Source, r.Data?.SnapshotId], ['head', final]);
  });

  test('a deploy that replaces the task of a running service keeps the recorded launch', async () => {
    const lineage = uniqueLineage('launch-update');
    const table = await createTableLike(lineage);
    const [launch, newer] = [await completedSnapshot(), await completedSnapshot()];
    await putRecord(table, head(newer, { launch })(lineage));
    await createService(lineage);
    const r = await isCompleteWith(event(lineage, table, {}, 'Update'), deps());
    assert.deepEqual([r.Data?.Source, r.Data?.SnapshotId], ['launch', launch]);
  });

  test('delete with no record table (the state stack went first) completes at once', async () => {
    const e = { ...event('gone', 'no-such-table', {}, 'Delete'), PhysicalResourceId: 'jenkins-ecs-launch-gone' };
    assert.deepEqual(await onEventWith(e, deps()), { PhysicalResourceId: 'jenkins-ecs-launch-gone' });
    assert.deepEqual(await isCompleteWith(e, deps()), { IsComplete: true });
  });

  test('bad properties are refused, every problem at once', async () => {
    await assert.rejects(
      isCompleteWith({ RequestType: 'Create', ResourceProperties: { Lineage: '', ManagedEBSVolume: 'x' } }, deps()),
      /Lineage is ""; .*RecordTable is undefined.*ManagedEBSVolume is "x"/,
    );
  });
});
