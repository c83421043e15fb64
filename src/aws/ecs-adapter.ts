/** `EcsPort` over the ECS API: the task's EBS attachment and the controller service. */
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  UpdateServiceCommand,
  type Deployment as EcsDeployment,
  type ECSClient,
  type Service,
  type ServiceVolumeConfiguration,
  type Task,
} from '@aws-sdk/client-ecs';
import type { Deployment, DeploymentStatus, DeploymentVolume, RolloutState, ServiceState, VolumeAttachment } from '../continuity/model.js';
import type { EcsPort } from '../continuity/ports.js';
import { AdapterError } from './errors.js';

/** Attachment type of an ECS-managed EBS volume in DescribeTasks; see docs/aws-notes.md. */
export const EBS_ATTACHMENT_TYPE = 'AmazonElasticBlockStorage';

export interface EcsAdapterOptions {
  /**
   * `volumeInitializationRate` (MiB/s, 100..300) set on every roll to a snapshot.
   * @default - keep whatever the primary deployment has
   */
  readonly initializationRateMiBps?: number;
}

function deploymentStatus(s: string | undefined): DeploymentStatus {
  return s === 'PRIMARY' || s === 'ACTIVE' ? s : 'INACTIVE';
}

function rolloutState(s: string | undefined): RolloutState | undefined {
  return s === 'IN_PROGRESS' || s === 'COMPLETED' || s === 'FAILED' ? s : undefined;
}

/** A task's ECS-managed EBS attachment as DescribeTasks reports it; undefined when it has none. */
export interface EbsAttachment {
  readonly status?: string;
  /** Appears in the attachment's details only once ECS has created the volume. */
  readonly volumeId?: string;
}

export function ebsAttachment(task: Task | undefined): EbsAttachment | undefined {
  const attachment = task?.attachments?.find((a) => a.type === EBS_ATTACHMENT_TYPE);
  if (!attachment) return undefined;
  const volumeId = attachment.details?.find((d) => d.name === 'volumeId')?.value;
  return { status: attachment.status, volumeId: volumeId || undefined };
}

/** The settings a deploy can change, without the undefined ones. */
function deploymentVolume(v: NonNullable<NonNullable<EcsDeployment['volumeConfigurations']>[number]['managedEBSVolume']>): DeploymentVolume {
  const out: Record<string, string | number> = {};
  for (const [k, x] of Object.entries({ sizeInGiB: v.sizeInGiB, volumeType: v.volumeType, iops: v.iops, throughput: v.throughput, filesystemType: v.filesystemType, volumeInitializationRate: v.volumeInitializationRate })) {
    if (x !== undefined) out[k] = x;
  }
  return out as DeploymentVolume;
}

export function deploymentFromEcs(d: EcsDeployment): Deployment {
  return {
    id: d.id ?? '',
    status: deploymentStatus(d.status),
    rolloutState: rolloutState(d.rolloutState),
    snapshotId: d.volumeConfigurations?.[0]?.managedEBSVolume?.snapshotId || undefined,
    ...(d.taskDefinition ? { taskDefinition: d.taskDefinition } : {}),
    ...(d.volumeConfigurations?.[0]?.managedEBSVolume ? { volume: deploymentVolume(d.volumeConfigurations[0].managedEBSVolume) } : {}),
    createdAt: d.createdAt ?? new Date(0),
    runningCount: d.runningCount,
    desiredCount: d.desiredCount,
  };
}

/**
 * The volume configurations for a roll: the primary deployment's, with only `snapshotId` swapped
 * (plus the configured initialization rate). Size, type, iops, throughput, filesystem, KMS key, tags
 * and role are kept: a different filesystem type would fail the attach; see docs/aws-notes.md.
 */
export function rolledVolumeConfigurations(
  current: readonly ServiceVolumeConfiguration[],
  snapshotId: string,
  initializationRateMiBps?: number,
): ServiceVolumeConfiguration[] {
  const index = current.findIndex((c) => c.managedEBSVolume !== undefined);
  if (index < 0) throw new AdapterError('VolumeConfigurationMissing', 'the primary deployment has no managedEBSVolume to roll');
  return current.map((c, i) => {
    if (i !== index || !c.managedEBSVolume) return c;
    return {
      ...c,
      managedEBSVolume: {
        ...c.managedEBSVolume,
        snapshotId,
        ...(initializationRateMiBps !== undefined ? { volumeInitializationRate: initializationRateMiBps } : {}),
      },
    };
  });
}

export class EcsAdapter implements EcsPort {
  public constructor(
    private readonly client: ECSClient,
    private readonly options: EcsAdapterOptions = {},
  ) {}

  public async describeVolumeAttachment(cluster: string, taskArn: string): Promise<VolumeAttachment | undefined> {
    const res = await this.client.send(new DescribeTasksCommand({ cluster, tasks: [taskArn] }));
    const task = res.tasks?.find((t) => t.taskArn === taskArn) ?? res.tasks?.[0];
    const attachment = ebsAttachment(task);
    if (!attachment) return undefined;
    return { status: attachment.status ?? 'UNKNOWN', volumeId: attachment.volumeId };
  }

  public async taskStatus(cluster: string, taskArn: string): Promise<string> {
    const res = await this.client.send(new DescribeTasksCommand({ cluster, tasks: [taskArn] }));
    const task = res.tasks?.find((t) => t.taskArn === taskArn);
    if (task?.lastStatus) return task.lastStatus;
    const failure = res.failures?.find((f) => f.arn === taskArn) ?? res.failures?.[0];
    if (failure?.reason === 'MISSING') return 'MISSING';
    throw new AdapterError('TaskStatusUnknown', `DescribeTasks gave no status for ${taskArn}${failure?.reason ? ` (${failure.reason})` : ''}`);
  }

  private async service(cluster: string, service: string): Promise<Service | undefined> {
    const res = await this.client.send(new DescribeServicesCommand({ cluster, services: [service] }));
    const s = res.services?.[0];
    return s && s.status !== 'INACTIVE' ? s : undefined;
  }

  public async describeService(cluster: string, service: string): Promise<ServiceState | undefined> {
    const s = await this.service(cluster, service);
    if (!s) return undefined;
    return {
      desiredCount: s.desiredCount ?? 0,
      runningCount: s.runningCount ?? 0,
      pendingCount: s.pendingCount,
      deployments: (s.deployments ?? []).map(deploymentFromEcs),
      ...(s.deploymentConfiguration?.maximumPercent !== undefined ? { maximumPercent: s.deploymentConfiguration.maximumPercent } : {}),
    };
  }

  public async rollSnapshot(cluster: string, service: string, snapshotId: string, options?: { desiredCount?: number }): Promise<void> {
    const s = await this.service(cluster, service);
    if (!s) throw new AdapterError('ServiceNotFound', `service ${service} in cluster ${cluster} not found`);
    const primary = s.deployments?.find((d) => d.status === 'PRIMARY');
    if (!primary?.volumeConfigurations?.length) {
      // Never invent a volume configuration: the role, size and filesystem must come from the service.
      throw new AdapterError(
        'VolumeConfigurationMissing',
        `service ${service}: the primary deployment ${primary?.id ?? '(none)'} reports no volumeConfigurations`,
      );
    }
    await this.client.send(
      new UpdateServiceCommand({
        cluster,
        service,
        volumeConfigurations: rolledVolumeConfigurations(primary.volumeConfigurations, snapshotId, this.options.initializationRateMiBps),
        forceNewDeployment: true,
        ...(options?.desiredCount !== undefined ? { desiredCount: options.desiredCount } : {}),
      }),
    );
  }

  public async setDesiredCount(cluster: string, service: string, desiredCount: number): Promise<void> {
    await this.client.send(new UpdateServiceCommand({ cluster, service, desiredCount }));
  }
}
