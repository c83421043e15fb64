/**
 * What `jenkins-ecs migrate` reads and starts in AWS, on SDK v3 clients: the EFS file system and
 * its mount targets, subnets and security groups, the BurstCreditBalance metric, the controller
 * service's network, the migration task definition, RunTask / DescribeTasks, the task's log
 * stream, and CopySnapshot (for --from-snapshot).
 */
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CopySnapshotCommand, DescribeSecurityGroupsCommand, DescribeSubnetsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, DescribeTasksCommand, RunTaskCommand, type ECSClient, type RunTaskCommandInput } from '@aws-sdk/client-ecs';
import {
  DescribeAccessPointsCommand,
  DescribeFileSystemsCommand,
  DescribeMountTargetSecurityGroupsCommand,
  DescribeMountTargetsCommand,
  type EFSClient,
} from '@aws-sdk/client-efs';
import { TAGS } from '../continuity/model.js';
import type { SnapshotTags } from '../continuity/ports.js';
import { MIGRATE_CONTAINER, MIGRATE_LABELS, MIGRATE_SOURCE_VOLUME } from '../migrate/events.js';
import type { MountTargetFact, SecurityGroupFact, SubnetFact, ThroughputMode } from '../migrate/preflight.js';
import { isAwsError } from './errors.js';

export interface FileSystemFact {
  readonly fileSystemId: string;
  readonly lifeCycleState: string;
  readonly sizeBytes: number;
  readonly throughputMode: ThroughputMode;
  readonly provisionedMiBps?: number;
}

export interface ServiceNetwork {
  readonly desiredCount: number;
  readonly runningCount: number;
  readonly pendingCount: number;
  readonly subnets: readonly string[];
}

export interface MigrationTaskDefinition {
  readonly arn: string;
  readonly fileSystemId?: string;
  readonly accessPointId?: string;
  readonly infrastructureRoleArn?: string;
  readonly securityGroupId?: string;
  readonly logGroup?: string;
  readonly logStreamPrefix?: string;
}

export interface TaskState {
  readonly lastStatus: string;
  readonly stoppedReason?: string;
  readonly exitCode?: number;
}

/** The ports `jenkins-ecs migrate` needs beyond the protocol's. */
export interface MigrationAwsPort {
  fileSystem(fileSystemId: string): Promise<FileSystemFact | undefined>;
  accessPointFileSystem(accessPointId: string): Promise<string | undefined>;
  mountTargets(fileSystemId: string): Promise<MountTargetFact[]>;
  subnets(subnetIds: readonly string[]): Promise<SubnetFact[]>;
  securityGroups(groupIds: readonly string[]): Promise<SecurityGroupFact[]>;
  /** Latest BurstCreditBalance (bytes) of the last hour; undefined when CloudWatch has no datapoint or refuses. */
  burstCreditBytes(fileSystemId: string, now: Date): Promise<number | undefined>;
  service(cluster: string, service: string): Promise<ServiceNetwork | undefined>;
  taskDefinition(family: string): Promise<MigrationTaskDefinition | undefined>;
  runTask(input: RunTaskCommandInput): Promise<string>;
  task(cluster: string, taskArn: string): Promise<TaskState | undefined>;
  /** Log lines after `token` (undefined: from the start); the token to continue from. */
  logLines(group: string, stream: string, token: string | undefined): Promise<{ lines: string[]; token: string | undefined }>;
  copySnapshot(snapshotId: string, tags: SnapshotTags, options: { kmsKeyId?: string; description: string }): Promise<string>;
}

export interface MigrationClients {
  readonly efs: EFSClient;
  readonly ec2: EC2Client;
  readonly ecs: ECSClient;
  readonly logs: CloudWatchLogsClient;
  readonly cloudwatch: CloudWatchClient;
}

const THROUGHPUT_MODES: readonly ThroughputMode[] = ['bursting', 'elastic', 'provisioned'];

export class MigrationAdapter implements MigrationAwsPort {
  constructor(private readonly c: MigrationClients) {}

  async fileSystem(fileSystemId: string): Promise<FileSystemFact | undefined> {
    try {
      const res = await this.c.efs.send(new DescribeFileSystemsCommand({ FileSystemId: fileSystemId }));
      const fs = res.FileSystems?.[0];
      if (!fs) return undefined;
      const mode = THROUGHPUT_MODES.find((m) => m === fs.ThroughputMode) ?? 'bursting';
      return {
        fileSystemId,
        lifeCycleState: fs.LifeCycleState ?? 'unknown',
        sizeBytes: fs.SizeInBytes?.Value ?? 0,
        throughputMode: mode,
        ...(fs.ProvisionedThroughputInMibps !== undefined ? { provisionedMiBps: fs.ProvisionedThroughputInMibps } : {}),
      };
    } catch (e) {
      if (isAwsError(e, 'FileSystemNotFound')) return undefined;
      throw e;
    }
  }

  async accessPointFileSystem(accessPointId: string): Promise<string | undefined> {
    try {
      const res = await this.c.efs.send(new DescribeAccessPointsCommand({ AccessPointId: accessPointId }));
      return res.AccessPoints?.[0]?.FileSystemId;
    } catch (e) {
      if (isAwsError(e, 'AccessPointNotFound')) return undefined;
      throw e;
    }
  }

  async mountTargets(fileSystemId: string): Promise<MountTargetFact[]> {
    const res = await this.c.efs.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId }));
    const out: MountTargetFact[] = [];
    for (const m of res.MountTargets ?? []) {
      if (!m.MountTargetId) continue;
      const groups = await this.c.efs.send(new DescribeMountTargetSecurityGroupsCommand({ MountTargetId: m.MountTargetId }));
      out.push({
        mountTargetId: m.MountTargetId,
        availabilityZone: m.AvailabilityZoneName ?? '',
        state: m.LifeCycleState ?? 'unknown',
        securityGroups: groups.SecurityGroups ?? [],
      });
    }
    return out;
  }

  async subnets(subnetIds: readonly string[]): Promise<SubnetFact[]> {
    if (subnetIds.length === 0) return [];
    const res = await this.c.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [...subnetIds] }));
    return (res.Subnets ?? []).map((s) => ({ subnetId: s.SubnetId ?? '', availabilityZone: s.AvailabilityZone ?? '', ...(s.CidrBlock ? { cidr: s.CidrBlock } : {}) }));
  }

  async securityGroups(groupIds: readonly string[]): Promise<SecurityGroupFact[]> {
    if (groupIds.length === 0) return [];
    const res = await this.c.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [...groupIds] }));
    return (res.SecurityGroups ?? []).map((g) => ({
      groupId: g.GroupId ?? '',
      ingress: (g.IpPermissions ?? []).map((p) => ({
        protocol: p.IpProtocol ?? '-1',
        ...(p.FromPort !== undefined ? { fromPort: p.FromPort } : {}),
        ...(p.ToPort !== undefined ? { toPort: p.ToPort } : {}),
        sourceGroups: (p.UserIdGroupPairs ?? []).map((u) => u.GroupId ?? ''),
        cidrs: (p.IpRanges ?? []).map((r) => r.CidrIp ?? ''),
      })),
    }));
  }

  async burstCreditBytes(fileSystemId: string, now: Date): Promise<number | undefined> {
    try {
      const res = await this.c.cloudwatch.send(
        new GetMetricStatisticsCommand({
          Namespace: 'AWS/EFS',
          MetricName: 'BurstCreditBalance',
          Dimensions: [{ Name: 'FileSystemId', Value: fileSystemId }],
          StartTime: new Date(now.getTime() - 3_600_000),
          // A few minutes past the local clock: it may lag CloudWatch's, and the newest datapoint counts.
          EndTime: new Date(now.getTime() + 300_000),
          Period: 300,
          Statistics: ['Minimum'],
        }),
      );
      const latest = [...(res.Datapoints ?? [])].sort((a, b) => (b.Timestamp?.getTime() ?? 0) - (a.Timestamp?.getTime() ?? 0))[0];
      return latest?.Minimum;
    } catch {
      // Only an estimate rests on it: without the metric the estimate says it assumed a full bucket.
      return undefined;
    }
  }

  async service(cluster: string, service: string): Promise<ServiceNetwork | undefined> {
    const res = await this.c.ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
    const s = res.services?.[0];
    if (!s || s.status === 'INACTIVE') return undefined;
    return {
      desiredCount: s.desiredCount ?? 0,
      runningCount: s.runningCount ?? 0,
      pendingCount: s.pendingCount ?? 0,
      subnets: s.networkConfiguration?.awsvpcConfiguration?.subnets ?? [],
    };
  }

  async taskDefinition(family: string): Promise<MigrationTaskDefinition | undefined> {
    try {
      const res = await this.c.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family }));
      const td = res.taskDefinition;
      if (!td?.taskDefinitionArn) return undefined;
      const efs = td.volumes?.find((v) => v.name === MIGRATE_SOURCE_VOLUME)?.efsVolumeConfiguration;
      const container = td.containerDefinitions?.find((c) => c.name === MIGRATE_CONTAINER);
      const log = container?.logConfiguration?.options ?? {};
      const labels = container?.dockerLabels ?? {};
      return {
        arn: td.taskDefinitionArn,
        fileSystemId: efs?.fileSystemId,
        accessPointId: efs?.authorizationConfig?.accessPointId,
        infrastructureRoleArn: labels[MIGRATE_LABELS.infrastructureRole],
        securityGroupId: labels[MIGRATE_LABELS.securityGroup],
        logGroup: log['awslogs-group'],
        logStreamPrefix: log['awslogs-stream-prefix'],
      };
    } catch (e) {
      // ECS answers a family it does not know with ClientException.
      if (isAwsError(e, 'ClientException')) return undefined;
      throw e;
    }
  }

  async runTask(input: RunTaskCommandInput): Promise<string> {
    const res = await this.c.ecs.send(new RunTaskCommand(input));
    const arn = res.tasks?.[0]?.taskArn;
    if (!arn) {
      const f = res.failures?.[0];
      throw new Error(`RunTask started no task${f ? `: ${f.reason ?? ''} ${f.detail ?? ''}`.trimEnd() : ''}`);
    }
    return arn;
  }

  async task(cluster: string, taskArn: string): Promise<TaskState | undefined> {
    const res = await this.c.ecs.send(new DescribeTasksCommand({ cluster, tasks: [taskArn] }));
    const t = res.tasks?.[0];
    if (!t) return undefined;
    const exitCode = t.containers?.find((c) => c.name === MIGRATE_CONTAINER)?.exitCode;
    return { lastStatus: t.lastStatus ?? 'UNKNOWN', ...(t.stoppedReason ? { stoppedReason: t.stoppedReason } : {}), ...(exitCode !== undefined ? { exitCode } : {}) };
  }

  async logLines(group: string, stream: string, token: string | undefined): Promise<{ lines: string[]; token: string | undefined }> {
    try {
      const res = await this.c.logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true, ...(token ? { nextToken: token } : {}) }));
      return { lines: (res.events ?? []).map((e) => e.message ?? ''), token: res.nextForwardToken ?? token };
    } catch (e) {
      // The stream appears once the container has started.
      if (isAwsError(e, 'ResourceNotFoundException')) return { lines: [], token };
      throw e;
    }
  }

  async copySnapshot(snapshotId: string, tags: SnapshotTags, options: { kmsKeyId?: string; description: string }): Promise<string> {
    const tagList = [
      { Key: TAGS.lineage, Value: tags.lineage },
      { Key: TAGS.kind, Value: tags.kind },
      ...(tags.source ? [{ Key: TAGS.source, Value: tags.source }] : []),
    ];
    const res = await this.c.ec2.send(
      new CopySnapshotCommand({
        SourceSnapshotId: snapshotId,
        SourceRegion: await this.c.ec2.config.region(),
        Description: options.description,
        Encrypted: true,
        ...(options.kmsKeyId ? { KmsKeyId: options.kmsKeyId } : {}),
        TagSpecifications: [{ ResourceType: 'snapshot', Tags: tagList }],
      }),
    );
    if (!res.SnapshotId) throw new Error(`CopySnapshot of ${snapshotId} returned no snapshot id`);
    return res.SnapshotId;
  }
}
