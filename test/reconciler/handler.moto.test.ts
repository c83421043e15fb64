// Reconciler handler end to end: EC2 (snapshots, tags, deletions) and DynamoDB (the lineage
// record) are moto_server; ECS answers with *recorded* DescribeServices responses (aws-sdk-client-mock),
// because moto drops `volumeConfigurations` from deployments, and the UpdateService input is
// captured from the same mock. See test/aws/recorded.ts.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { mockClient } from 'aws-sdk-client-mock';
import { AttachVolumeCommand, CreateSnapshotCommand, CreateVolumeCommand, DescribeImagesCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, DescribeTasksCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { DynamoRecordAdapter } from '../../src/aws/record-adapter.js';
import { type LineageRecord } from '../../src/continuity/record.js';
import { createRecord } from '../../src/continuity/transitions.js';
import { TAGS } from '../../src/continuity/model.js';
import { METRICS, RECONCILER_ENV } from '../../src/continuity/settings.js';
import { Ec2Adapter } from '../../src/aws/ec2-adapter.js';
import { createHandler } from '../../src/reconciler/handler.js';
import { createRecordTable, motoClients, uniqueLineage } from '../aws/moto.js';
import { recordedDescribeServices } from '../aws/recorded.js';

const { ec2, dynamodb } = motoClients();
const adapter = new Ec2Adapter(ec2);
const table = uniqueLineage('jenkins-ecs-handler-lineage');
const records = new DynamoRecordAdapter(dynamodb, table);

before(async () => {
  await createRecordTable(dynamodb, table);
});

/** The record as the keepers would have left it: `ids` registered in order (the last is the head). */
async function seedRecord(lineage: string, ids: [string, 'periodic' | 'final' | 'manual'][], extra: Partial<LineageRecord> = {}): Promise<void> {
  const snapshots = ids.map(([snapshotId, kind], i) => ({ snapshotId, seq: i + 2, kind }));
  assert.ok(await records.write({ ...createRecord(lineage), ...extra, seq: 1, snapshots, head: snapshots.at(-1)! }, undefined));
}

function envFor(lineage: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    [RECONCILER_ENV.lineage]: lineage,
    [RECONCILER_ENV.cluster]: `jenkins-ecs-${lineage}`,
    [RECONCILER_ENV.service]: `jenkins-ecs-${lineage}-controller`,
    [RECONCILER_ENV.recordTable]: table,
    [RECONCILER_ENV.keepLast]: '1',
    [RECONCILER_ENV.keepDailyDays]: '0',
    [RECONCILER_ENV.initializationRateMiBps]: '200',
    ...extra,
  };
}

async function snap(lineage: string, kind: string): Promise<string> {
  const v = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 1 }));
  const s = await ec2.send(
    new CreateSnapshotCommand({
      VolumeId: v.VolumeId!,
      TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: TAGS.lineage, Value: lineage }, { Key: TAGS.kind, Value: kind }] }],
    }),
  );
  return s.SnapshotId!;
}

function snapshotEvent(snapshotId: string, result = 'succeeded') {
  return {
    version: '0',
    id: '01234567-0123-0123-0123-012345678901',
    'detail-type': 'EBS Snapshot Notification',
    source: 'aws.ec2',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [`arn:aws:ec2:us-east-1::snapshot/${snapshotId}`],
    detail: {
      event: 'createSnapshot',
      result,
      cause: '',
      request_id: '',
      snapshot_id: `arn:aws:ec2:us-east-1::snapshot/${snapshotId}`,
      source: 'arn:aws:ec2:us-east-1::volume/vol-0123',
      startTime: new Date().toISOString(),
    },
  };
}

const scheduledEvent = { 'detail-type': 'Scheduled Event', source: 'aws.events', resources: [], detail: {} };

interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [k: string]: unknown;
}

function emfLines(lines: string[]): Emf[] {
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((o): o is Emf => '_aws' in o);
}

describe('reconciler handler against moto with recorded ECS deployments', () => {
  const lineage = uniqueLineage('rec');
  let p1 = '';
  let p2 = '';
  let m1 = '';
  let p3 = '';
  let head = '';

  before(async () => {
    // moto's StartTime has one-second precision: three groups, one second apart, so the order is real.
    p1 = await snap(lineage, 'periodic');
    p2 = await snap(lineage, 'periodic');
    m1 = await snap(lineage, 'manual');
    await sleep(1_050);
    p3 = await snap(lineage, 'periodic');
    await sleep(1_050);
    head = await snap(lineage, 'final');
    await seedRecord(lineage, [[p1, 'periodic'], [p2, 'periodic'], [m1, 'manual'], [p3, 'periodic'], [head, 'final']], { launch: p1 });
  });

  test('a snapshot event for the new head rolls the service, records launch = head, prunes and emits EMF metrics', async () => {
    const ecsClient = new ECSClient({ region: 'us-east-1' });
    const ecs = mockClient(ecsClient);
    ecs.on(DescribeServicesCommand).resolves(recordedDescribeServices({ primary: p1 }));
    ecs.on(UpdateServiceCommand).resolves({});
    const lines: string[] = [];
    const handler = createHandler({ env: envFor(lineage), clients: { ec2, dynamodb, ecs: ecsClient }, print: (l) => lines.push(l) });

    const result = await handler(snapshotEvent(head));
    assert.equal(result.skipped, undefined);
    assert.equal(result.report?.rolled, true);

    const updates = ecs.commandCalls(UpdateServiceCommand);
    assert.equal(updates.length, 1);
    const input = updates[0]!.args[0].input;
    assert.equal(input.cluster, `jenkins-ecs-${lineage}`);
    assert.equal(input.service, `jenkins-ecs-${lineage}-controller`);
    assert.equal(input.forceNewDeployment, true);
    assert.equal(input.volumeConfigurations?.[0]?.managedEBSVolume?.snapshotId, head);
    assert.equal(input.volumeConfigurations?.[0]?.managedEBSVolume?.volumeInitializationRate, 200);

    assert.equal((await records.read(lineage))?.launch, head, 'the roll is in the record');

    // keepLast 1, no dailies: p3 is the newest prunable; p1 is the earlier launch (and PRIMARY);
    // m1 is manual; the head stays. Only p2 goes, taken out of the record first.
    const remaining = (await adapter.listLineage(lineage)).map((s) => s.id).sort();
    assert.deepEqual(remaining, [p1, m1, p3, head].sort());
    assert.deepEqual(result.report?.pruned, [p2]);
    const rec = await records.read(lineage);
    assert.equal(rec?.launch, head);
    assert.deepEqual(rec?.snapshots.map((e) => e.snapshotId), [p1, m1, p3, head]);

    const [emf, ...more] = emfLines(lines);
    assert.equal(more.length, 0);
    assert.ok(emf);
    const block = emf._aws.CloudWatchMetrics[0]!;
    assert.equal(block.Namespace, METRICS.namespace);
    assert.deepEqual(block.Dimensions, [[METRICS.dimension]]);
    assert.equal(emf[METRICS.dimension], lineage);
    assert.equal(emf[METRICS.rolls], 1);
    assert.equal(emf[METRICS.snapshotsPruned], 1);
    assert.equal(emf[METRICS.snapshotFailures], 0);
    assert.equal(typeof emf[METRICS.headAgeSeconds], 'number');
    for (const m of block.Metrics) assert.equal(typeof emf[m.Name], 'number', `${m.Name} has a value`);
    // every other line is a JSON log line with a msg
    for (const l of lines) assert.equal(typeof (JSON.parse(l) as { msg?: unknown }).msg, 'string');
  });

  test('the scheduled run after the roll finds the service on the head and issues no update', async () => {
    const ecsClient = new ECSClient({ region: 'us-east-1' });
    const ecs = mockClient(ecsClient);
    ecs.on(DescribeServicesCommand).resolves(recordedDescribeServices({ primary: head, active: p1 }));
    const lines: string[] = [];
    const handler = createHandler({ env: envFor(lineage), clients: { ec2, dynamodb, ecs: ecsClient }, print: (l) => lines.push(l) });
    const result = await handler(scheduledEvent);
    assert.equal(result.trigger.kind, 'schedule');
    assert.equal(result.report?.rolled, false);
    assert.equal(ecs.commandCalls(UpdateServiceCommand).length, 0);
    assert.equal(emfLines(lines)[0]?.[METRICS.rolls], 0);
  });

  test('a snapshot event for a snapshot of another lineage is skipped without touching ECS', async () => {
    const other = await snap(uniqueLineage('other'), 'periodic');
    const ecsClient = new ECSClient({ region: 'us-east-1' });
    const ecs = mockClient(ecsClient);
    const lines: string[] = [];
    const handler = createHandler({ env: envFor(lineage), clients: { ec2, dynamodb, ecs: ecsClient }, print: (l) => lines.push(l) });
    const result = await handler(snapshotEvent(other));
    assert.match(result.skipped ?? '', /not in lineage/);
    assert.equal(ecs.calls().length, 0);
    assert.deepEqual(emfLines(lines), []);
  });

  test('an ECS task state change of another service is skipped', async () => {
    const ecsClient = new ECSClient({ region: 'us-east-1' });
    const ecs = mockClient(ecsClient);
    const handler = createHandler({ env: envFor(lineage), clients: { ec2, dynamodb, ecs: ecsClient }, print: () => undefined });
    const result = await handler({ 'detail-type': 'ECS Task State Change', source: 'aws.ecs', detail: { group: 'service:someone-else', lastStatus: 'STOPPED' } });
    assert.equal(result.trigger.kind, 'task');
    assert.match(result.skipped ?? '', /someone-else/);
    assert.equal(ecs.calls().length, 0);
  });

  test('a failed-snapshot event is logged and still reconciles', async () => {
    const ecsClient = new ECSClient({ region: 'us-east-1' });
    const ecs = mockClient(ecsClient);
    ecs.on(DescribeServicesCommand).resolves(recordedDescribeServices({ primary: head }));
    const lines: string[] = [];
    const handler = createHandler({ env: envFor(lineage), clients: { ec2, dynamodb, ecs: ecsClient }, print: (l) => lines.push(l) });
    const result = await handler(snapshotEvent('snap-0failed0000000000', 'failed'));
    assert.ok(result.report);
    assert.ok(lines.some((l) => l.includes('"snapshot creation failed"') && l.includes('snap-0failed0000000000')));
  });

  test('a missing environment fails the invocation naming every missing variable', async () => {
    const lines: string[] = [];
    const handler = createHandler({ env: {}, clients: { ec2, dynamodb, ecs: new ECSClient({ region: 'us-east-1' }) }, print: (l) => lines.push(l) });
    await assert.rejects(handler(scheduledEvent), /JENKINS_ECS_LINEAGE.*JENKINS_ECS_CLUSTER.*JENKINS_ECS_SERVICE.*JENKINS_ECS_RECORD_TABLE/);
    assert.ok(lines.some((l) => l.includes('reconciler environment is invalid')));
  });
});

describe('reconciler handler with a live holder', () => {
  test('a holder whose task ECS reports RUNNING keeps the service where it is although the head moved', async () => {
    const lineage = uniqueLineage('live');
    const old = await snap(lineage, 'final');
    await sleep(1_050);
    const newer = await snap(lineage, 'periodic'); // the running task's newer periodic snapshot is the head
    // moto reports a volume `in-use` only when attached to an instance
    const images = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    const run = await ec2.send(
      new RunInstancesCommand({ ImageId: images.Images![0]!.ImageId!, MinCount: 1, MaxCount: 1, Placement: { AvailabilityZone: 'us-east-1a' } }),
    );
    const volume = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 1, SnapshotId: old }));
    await ec2.send(new AttachVolumeCommand({ VolumeId: volume.VolumeId!, InstanceId: run.Instances![0]!.InstanceId!, Device: '/dev/sdf' }));
    const taskArn = `arn:aws:ecs:us-east-1:123456789012:task/jenkins-ecs-${lineage}/live`;
    await seedRecord(lineage, [[old, 'final'], [newer, 'periodic']], { holder: { taskArn, volumeId: volume.VolumeId!, token: 1 } });

    const ecsClient = new ECSClient({ region: 'us-east-1' });
    const ecs = mockClient(ecsClient);
    ecs.on(DescribeServicesCommand).resolves(recordedDescribeServices({ primary: old }));
    ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn, lastStatus: 'RUNNING' }] });
    const lines: string[] = [];
    const handler = createHandler({ env: envFor(lineage), clients: { ec2, dynamodb, ecs: ecsClient }, print: (l) => lines.push(l) });
    const result = await handler(scheduledEvent);

    assert.equal(result.report?.rolled, false);
    assert.equal(ecs.commandCalls(UpdateServiceCommand).length, 0);
    assert.equal((await records.read(lineage))?.launch, undefined, 'no roll was recorded');
    assert.equal(emfLines(lines)[0]?.[METRICS.rolls], 0);
    assert.equal((await records.read(lineage))?.holder?.taskArn, taskArn, 'a RUNNING holder is never fenced');
  });
});
