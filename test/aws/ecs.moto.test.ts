// ECS adapter against moto_server, as far as moto goes. moto has no EBS attachment in DescribeTasks
// and drops `volumeConfigurations` from UpdateService/deployments, so those shapes are covered with
// recorded responses in ecs.recorded.test.ts.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateClusterCommand, CreateServiceCommand, DescribeServicesCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand } from '@aws-sdk/client-ec2';
import { EcsAdapter } from '../../src/aws/ecs-adapter.js';
import { AdapterError } from '../../src/aws/errors.js';
import { motoClients, uniqueLineage } from './moto.js';

const { ecs, ec2 } = motoClients();
const adapter = new EcsAdapter(ecs, { initializationRateMiBps: 200 });
const cluster = uniqueLineage('cluster');
const service = 'controller';
let subnet = '';
let securityGroup = '';

before(async () => {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
  const sn = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId!, CidrBlock: '10.9.1.0/24', AvailabilityZone: 'us-east-1a' }));
  subnet = sn.Subnet!.SubnetId!;
  const sg = await ec2.send(new CreateSecurityGroupCommand({ GroupName: cluster, Description: 'test', VpcId: vpc.Vpc!.VpcId! }));
  securityGroup = sg.GroupId!;
  await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: cluster,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '1024',
      memory: '2048',
      containerDefinitions: [{ name: 'jenkins', image: 'jenkins/jenkins:lts', essential: true, memory: 2048, cpu: 1024 }],
      volumes: [{ name: 'jenkins-home', configuredAtLaunch: true }],
    }),
  );
  await ecs.send(
    new CreateServiceCommand({
      cluster,
      serviceName: service,
      taskDefinition: cluster,
      desiredCount: 1,
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: [subnet], securityGroups: [securityGroup] } },
      volumeConfigurations: [
        { name: 'jenkins-home', managedEBSVolume: { roleArn: 'arn:aws:iam::123456789012:role/ebs', sizeInGiB: 20, filesystemType: 'xfs' } },
      ],
    }),
  );
});

describe('EcsAdapter against moto', () => {
  test('describeService maps counts and the primary deployment', async () => {
    const state = await adapter.describeService(cluster, service);
    assert.ok(state);
    assert.equal(state.desiredCount, 1);
    const primary = state.deployments.find((d) => d.status === 'PRIMARY');
    assert.ok(primary);
    assert.ok(primary.id.length > 0);
    assert.ok(primary.createdAt instanceof Date);
  });

  test('describeService of a service that does not exist is undefined', async () => {
    assert.equal(await adapter.describeService(cluster, 'no-such-service'), undefined);
  });

  test('setDesiredCount changes the desired count', async () => {
    await adapter.setDesiredCount(cluster, service, 0);
    assert.equal((await adapter.describeService(cluster, service))?.desiredCount, 0);
    await adapter.setDesiredCount(cluster, service, 1);
    assert.equal((await adapter.describeService(cluster, service))?.desiredCount, 1);
  });

  test('rollSnapshot refuses to invent a volume configuration when the deployment reports none (moto drops it)', async () => {
    const before = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
    await assert.rejects(
      adapter.rollSnapshot(cluster, service, 'snap-0new'),
      (e: unknown) => e instanceof AdapterError && e.code === 'VolumeConfigurationMissing',
    );
    const after = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
    assert.equal(after.services?.[0]?.deployments?.[0]?.id, before.services?.[0]?.deployments?.[0]?.id);
  });

  test('describeVolumeAttachment of a task ECS does not know is undefined', async () => {
    // moto's Fargate RunTask with awsvpc fails inside moto, so only the MISSING path is checked here.
    const taskArn = `arn:aws:ecs:us-east-1:123456789012:task/${cluster}/0123456789abcdef0123456789abcdef`;
    assert.equal(await adapter.describeVolumeAttachment(cluster, taskArn), undefined);
  });
});
