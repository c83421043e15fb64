// Recorded ECS response shapes that moto cannot produce (see the comments in the tests using them).
// Built per call so tests may mutate their copy.
import type { Deployment, DescribeServicesCommandOutput, DescribeTasksCommandOutput, ServiceManagedEBSVolumeConfiguration } from '@aws-sdk/client-ecs';

export const RECORDED_MANAGED_VOLUME: ServiceManagedEBSVolumeConfiguration = {
  encrypted: true,
  kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555',
  volumeType: 'gp3',
  sizeInGiB: 50,
  snapshotId: 'snap-0old',
  iops: 3000,
  throughput: 125,
  tagSpecifications: [
    { resourceType: 'volume', tags: [{ key: 'jenkins-ecs:service', value: 'ci' }], propagateTags: 'SERVICE' },
  ],
  roleArn: 'arn:aws:iam::123456789012:role/jenkins-ecs-ci-volume',
  filesystemType: 'xfs',
};

type Out<T> = Omit<T, '$metadata'> & { $metadata: Record<string, never> };

/** DescribeTasks for a Fargate task with its ENI and its ECS-managed EBS attachment. */
export function recordedDescribeTasks(taskArn: string, status: string, volumeId?: string): Out<DescribeTasksCommandOutput> {
  const details = [
    { name: 'roleArn', value: 'arn:aws:iam::123456789012:role/jenkins-ecs-ci-volume' },
    { name: 'volumeName', value: 'jenkins-home' },
    { name: 'deleteOnTermination', value: 'true' },
    ...(volumeId ? [{ name: 'volumeId', value: volumeId }] : []),
  ];
  return {
    $metadata: {},
    failures: [],
    tasks: [
      {
        taskArn,
        clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/jenkins-ecs-ci',
        lastStatus: 'PROVISIONING',
        desiredStatus: 'RUNNING',
        launchType: 'FARGATE',
        attachments: [
          {
            id: 'aaaaaaaa-0000-0000-0000-000000000001',
            type: 'ElasticNetworkInterface',
            status: 'ATTACHED',
            details: [{ name: 'networkInterfaceId', value: 'eni-0abc' }],
          },
          { id: 'aaaaaaaa-0000-0000-0000-000000000002', type: 'AmazonElasticBlockStorage', status, details },
        ],
      },
    ],
  };
}

/** DescribeServices with a PRIMARY deployment (and optionally an older ACTIVE one). */
export function recordedDescribeServices(snapshots: { primary: string | undefined; active?: string }): Out<DescribeServicesCommandOutput> {
  const volume = (snapshotId: string | undefined) => {
    const { snapshotId: _drop, ...rest } = structuredClone(RECORDED_MANAGED_VOLUME);
    return [{ name: 'jenkins-home', managedEBSVolume: snapshotId ? { ...rest, snapshotId } : rest }];
  };
  const deployments: Deployment[] = [
    {
      id: 'ecs-svc/2222222222222222222',
      status: 'PRIMARY',
      rolloutState: 'IN_PROGRESS',
      desiredCount: 1,
      runningCount: 0,
      createdAt: new Date('2026-05-01T10:05:00Z'),
      volumeConfigurations: volume(snapshots.primary),
    },
  ];
  if (snapshots.active !== undefined) {
    deployments.push({
      id: 'ecs-svc/1111111111111111111',
      status: 'ACTIVE',
      rolloutState: 'COMPLETED',
      desiredCount: 1,
      runningCount: 1,
      createdAt: new Date('2026-05-01T09:00:00Z'),
      volumeConfigurations: volume(snapshots.active),
    });
  }
  return {
    $metadata: {},
    failures: [],
    services: [
      {
        serviceName: 'jenkins-ecs-ci-controller',
        status: 'ACTIVE',
        desiredCount: 1,
        runningCount: 1,
        pendingCount: 0,
        deployments,
      },
    ],
  };
}
