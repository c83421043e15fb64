/**
 * Plain data of the home-continuity protocol (docs/protocol.md).
 * No SDK, no CDK: the keeper, the reconciler, the CLI and the simulator all share these shapes.
 */

export const TAGS = {
  lineage: 'jenkins-ecs:lineage',
  kind: 'jenkins-ecs:kind',
  task: 'jenkins-ecs:task',
  source: 'jenkins-ecs:source',
  /** v0.1 only (nothing writes these any more): read by the one-time bootstrap of a v0.1 lineage. */
  promotedAt: 'jenkins-ecs:promoted-at',
  holder: 'jenkins-ecs:holder',
  /** On volumes created by the service: which deployment (stack) they belong to. */
  service: 'jenkins-ecs:service',
} as const;

export type SnapshotKind = 'periodic' | 'final' | 'manual' | 'seed' | 'restore';
export const SNAPSHOT_KINDS: readonly SnapshotKind[] = ['periodic', 'final', 'manual', 'seed', 'restore'];
export type SnapshotState = 'pending' | 'completed' | 'error';

export interface Snapshot {
  readonly id: string;
  readonly state: SnapshotState;
  /** EBS StartTime: the point in time the snapshot captures. */
  readonly startTime: Date;
  /** `jenkins-ecs:lineage` tag. */
  readonly lineage: string;
  /** `jenkins-ecs:kind` tag; undefined when the tag is missing or unknown. */
  readonly kind?: SnapshotKind;
  /** `jenkins-ecs:task`: ARN of the task that took it. */
  readonly task?: string;
  /** `jenkins-ecs:source`: the snapshot the snapshotted volume was created from. */
  readonly source?: string;
  /** `jenkins-ecs:promoted-at`, set by a v0.1 restore; read only to order a v0.1 lineage at its bootstrap. */
  readonly promotedAt?: Date;
  readonly volumeId?: string;
  readonly volumeSizeGiB?: number;
  /** EBS Progress, e.g. "42%". */
  readonly progress?: string;
}

export type VolumeState = 'creating' | 'available' | 'in-use' | 'deleting' | 'deleted' | 'error';

export interface Volume {
  readonly id: string;
  readonly state: VolumeState;
  readonly createTime: Date;
  /** The snapshot this volume was created from; undefined for an empty volume. */
  readonly snapshotId?: string;
  /** Value of v0.1's `jenkins-ecs:holder` tag (a lineage id), if any. */
  readonly holder?: string;
}

export type DeploymentStatus = 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
export type RolloutState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

export interface Deployment {
  readonly id: string;
  readonly status: DeploymentStatus;
  readonly rolloutState?: RolloutState;
  /** `volumeConfigurations[0].managedEBSVolume.snapshotId` of this deployment. */
  readonly snapshotId?: string;
  /** The deployment's task definition ARN (`family:revision`). */
  readonly taskDefinition?: string;
  /** The static settings of `volumeConfigurations[0].managedEBSVolume` that a deploy can change. */
  readonly volume?: DeploymentVolume;
  readonly createdAt: Date;
  readonly runningCount?: number;
  readonly desiredCount?: number;
}

/** Volume settings of a deployment (DescribeServices), as far as a deploy can change them. */
export interface DeploymentVolume {
  readonly sizeInGiB?: number;
  readonly volumeType?: string;
  readonly iops?: number;
  readonly throughput?: number;
  readonly filesystemType?: string;
  readonly volumeInitializationRate?: number;
}

export interface ServiceState {
  readonly desiredCount: number;
  readonly runningCount: number;
  readonly pendingCount?: number;
  readonly deployments: readonly Deployment[];
  /**
   * The service's deploymentConfiguration.maximumPercent. At 100 (desired count 1) ECS must stop
   * the old task before the new one counts: the only setting under which a handover may launch
   * before the stop (above it ECS keeps the old task until the new one is healthy, and the new one
   * waits for the old one's handoff).
   */
  readonly maximumPercent?: number;
}

/** The `AmazonElasticBlockStorage` attachment of a task, as DescribeTasks reports it. */
export interface VolumeAttachment {
  /** ATTACHING | ATTACHED | DETACHING | DETACHED | FAILED ... */
  readonly status: string;
  readonly volumeId?: string;
}

/** v0.1's effective time: promoted-at if set, otherwise StartTime (the bootstrap's order of a v0.1 lineage). */
export function effectiveTime(s: Snapshot): Date {
  return s.promotedAt ?? s.startTime;
}
