// Recorded-response tests for ECS shapes moto lacks:
// - DescribeTasks: moto never reports the `AmazonElasticBlockStorage` attachment of a task;
// - DescribeServices: moto accepts `volumeConfigurations` and drops them, so deployments never carry
//   `volumeConfigurations[0].managedEBSVolume.snapshotId`;
// - hence the UpdateService input the adapter builds from them is asserted here.
// The responses follow the ECS API's documented shapes; aws-sdk-client-mock stands in for ECS.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mockClient } from 'aws-sdk-client-mock';
import { DescribeServicesCommand, DescribeTasksCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { EcsAdapter } from '../../src/aws/ecs-adapter.js';
import { AdapterError } from '../../src/aws/errors.js';
import { recordedDescribeServices, recordedDescribeTasks, RECORDED_MANAGED_VOLUME } from './recorded.js';

const TASK = 'arn:aws:ecs:us-east-1:123456789012:task/jenkins-ecs-ci/0123456789abcdef0123456789abcdef';

describe('EcsAdapter.describeVolumeAttachment with recorded DescribeTasks', () => {
  test('an ATTACHED EBS attachment yields its status and volumeId', async () => {
    const client = new ECSClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(DescribeTasksCommand).resolves(recordedDescribeTasks(TASK, 'ATTACHED', 'vol-0abc'));
    assert.deepEqual(await new EcsAdapter(client).describeVolumeAttachment('jenkins-ecs-ci', TASK), {
      status: 'ATTACHED',
      volumeId: 'vol-0abc',
    });
    assert.deepEqual(mock.commandCalls(DescribeTasksCommand)[0]!.args[0].input, { cluster: 'jenkins-ecs-ci', tasks: [TASK] });
  });

  test('an attachment still ATTACHING has no volumeId yet', async () => {
    const client = new ECSClient({ region: 'us-east-1' });
    mockClient(client).on(DescribeTasksCommand).resolves(recordedDescribeTasks(TASK, 'ATTACHING'));
    assert.deepEqual(await new EcsAdapter(client).describeVolumeAttachment('c', TASK), { status: 'ATTACHING', volumeId: undefined });
  });

  test('the ENI attachment is ignored; a task with no EBS attachment yields undefined', async () => {
    const client = new ECSClient({ region: 'us-east-1' });
    const response = recordedDescribeTasks(TASK, 'ATTACHED', 'vol-0abc');
    response.tasks![0]!.attachments = response.tasks![0]!.attachments!.filter((a) => a.type !== 'AmazonElasticBlockStorage');
    mockClient(client).on(DescribeTasksCommand).resolves(response);
    assert.equal(await new EcsAdapter(client).describeVolumeAttachment('c', TASK), undefined);
  });
});

describe('EcsAdapter service calls with recorded DescribeServices', () => {
  test('describeService maps deployments and their snapshotId from volumeConfigurations', async () => {
    const client = new ECSClient({ region: 'us-east-1' });
    mockClient(client).on(DescribeServicesCommand).resolves(recordedDescribeServices({ primary: 'snap-0new', active: 'snap-0old' }));
    const state = await new EcsAdapter(client).describeService('c', 's');
    assert.equal(state?.desiredCount, 1);
    assert.equal(state?.runningCount, 1);
    assert.deepEqual(
      state?.deployments.map((d) => [d.status, d.snapshotId, d.rolloutState]),
      [['PRIMARY', 'snap-0new', 'IN_PROGRESS'], ['ACTIVE', 'snap-0old', 'COMPLETED']],
    );
  });

  test('rollSnapshot keeps size, type, iops, throughput, filesystem, KMS, tags and role and swaps only snapshotId', async () => {
    const client = new ECSClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(DescribeServicesCommand).resolves(recordedDescribeServices({ primary: 'snap-0old' }));
    mock.on(UpdateServiceCommand).resolves({});
    await new EcsAdapter(client, { initializationRateMiBps: 200 }).rollSnapshot('jenkins-ecs-ci', 'jenkins-ecs-ci-controller', 'snap-0head');
    const calls = mock.commandCalls(UpdateServiceCommand);
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0]!.args[0].input, {
      cluster: 'jenkins-ecs-ci',
      service: 'jenkins-ecs-ci-controller',
      forceNewDeployment: true,
      volumeConfigurations: [
        { name: 'jenkins-home', managedEBSVolume: { ...RECORDED_MANAGED_VOLUME, snapshotId: 'snap-0head', volumeInitializationRate: 200 } },
      ],
    });
  });

  test('rollSnapshot from a bootstrap deployment (no snapshotId yet) adds the snapshot and sets desiredCount when asked', async () => {
    const client = new ECSClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(DescribeServicesCommand).resolves(recordedDescribeServices({ primary: undefined }));
    mock.on(UpdateServiceCommand).resolves({});
    await new EcsAdapter(client).rollSnapshot('c', 's', 'snap-0first', { desiredCount: 1 });
    const input = mock.commandCalls(UpdateServiceCommand)[0]!.args[0].input;
    assert.equal(input.desiredCount, 1);
    assert.equal(input.forceNewDeployment, true);
    const { snapshotId, ...rest } = input.volumeConfigurations![0]!.managedEBSVolume!;
    assert.equal(snapshotId, 'snap-0first');
    const { snapshotId: _old, ...recordedRest } = RECORDED_MANAGED_VOLUME;
    assert.deepEqual(rest, recordedRest);
  });

  test('rollSnapshot reads the PRIMARY deployment, not an older ACTIVE one', async () => {
    const client = new ECSClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    const response = recordedDescribeServices({ primary: 'snap-0p', active: 'snap-0a' });
    // make the ACTIVE deployment's volume distinguishable
    response.services![0]!.deployments![1]!.volumeConfigurations![0]!.managedEBSVolume!.sizeInGiB = 999;
    mock.on(DescribeServicesCommand).resolves(response);
    mock.on(UpdateServiceCommand).resolves({});
    await new EcsAdapter(client).rollSnapshot('c', 's', 'snap-0h');
    const input = mock.commandCalls(UpdateServiceCommand)[0]!.args[0].input;
    assert.equal(input.volumeConfigurations![0]!.managedEBSVolume!.sizeInGiB, RECORDED_MANAGED_VOLUME.sizeInGiB);
  });

  test('rollSnapshot on an INACTIVE (deleted) service fails with ServiceNotFound and updates nothing', async () => {
    const client = new ECSClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    const response = recordedDescribeServices({ primary: 'snap-0p' });
    response.services![0]!.status = 'INACTIVE';
    mock.on(DescribeServicesCommand).resolves(response);
    await assert.rejects(
      new EcsAdapter(client).rollSnapshot('c', 's', 'snap-0h'),
      (e: unknown) => e instanceof AdapterError && e.code === 'ServiceNotFound',
    );
    assert.equal(mock.commandCalls(UpdateServiceCommand).length, 0);
  });
});

describe('EcsAdapter.describeService: what the deploy handover reads of the PRIMARY deployment', () => {
  test('the task definition and the volume settings a deploy can change, from a recorded DescribeServices', async () => {
    const ecs = mockClient(ECSClient);
    try {
      const recorded = recordedDescribeServices({ primary: 'snap-0new' });
      const service = recorded.services![0]!;
      const primary = { ...service.deployments![0]!, taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/jenkins-ecs-ci-controller:7' };
      ecs.on(DescribeServicesCommand).resolves({ ...recorded, services: [{ ...service, deployments: [primary, ...service.deployments!.slice(1)] }] });
      const state = await new EcsAdapter(new ECSClient({ region: 'us-east-1' })).describeService('c', 's');
      const d = state!.deployments.find((x) => x.status === 'PRIMARY')!;
      assert.equal(d.taskDefinition, primary.taskDefinition);
      assert.deepEqual(d.volume, { sizeInGiB: 50, volumeType: 'gp3', iops: 3000, throughput: 125, filesystemType: 'xfs' });
    } finally {
      ecs.restore();
    }
  });
});
