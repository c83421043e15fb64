/**
 * Ports: what the keeper, the reconciler and the CLI need from the outside world.
 * `src/aws` implements them with the AWS SDK v3; the simulator (test/sim) implements them in memory.
 * Adapters depend on these interfaces, never the other way round.
 */
import type { Deployment, ServiceState, Snapshot, SnapshotKind, Volume, VolumeAttachment } from './model.js';

export interface SnapshotTags {
  readonly lineage: string;
  readonly kind: SnapshotKind;
  readonly task?: string;
  readonly source?: string;
}

/** EC2: snapshots, volumes and their tags. */
export interface Ec2Port {
  /** All snapshots owned by this account with tag lineage=L (every state). */
  listLineage(lineage: string): Promise<Snapshot[]>;
  describeSnapshot(snapshotId: string): Promise<Snapshot | undefined>;
  /** CreateSnapshot with TagSpecifications on the call itself. */
  createSnapshot(volumeId: string, tags: SnapshotTags, description?: string): Promise<Snapshot>;
  deleteSnapshot(snapshotId: string): Promise<void>;
  /** Tag `promoted-at` (restore). */
  promoteSnapshot(snapshotId: string, at: Date): Promise<void>;
  describeVolume(volumeId: string): Promise<Volume | undefined>;
  /** Volumes tagged holder=L, any state. */
  listHolders(lineage: string): Promise<Volume[]>;
  tagHolder(volumeId: string, lineage: string): Promise<void>;
  untagHolder(volumeId: string, lineage: string): Promise<void>;
}

/** ECS: the task's own volume attachment and the controller service. */
export interface EcsPort {
  /** The EBS attachment of a task (DescribeTasks); undefined if the task has none (yet). */
  describeVolumeAttachment(cluster: string, taskArn: string): Promise<VolumeAttachment | undefined>;
  describeService(cluster: string, service: string): Promise<ServiceState | undefined>;
  /**
   * UpdateService keeping the rest of the primary deployment's volume configuration, with
   * `snapshotId` replaced (and the configured `volumeInitializationRate`) and forceNewDeployment.
   */
  rollSnapshot(cluster: string, service: string, snapshotId: string, options?: { desiredCount?: number }): Promise<void>;
  setDesiredCount(cluster: string, service: string, desiredCount: number): Promise<void>;
}

/** SSM: the pointer parameter. */
export interface PointerPort {
  getPointer(): Promise<string | undefined>;
  putPointer(snapshotId: string): Promise<void>;
}

export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export type { Deployment };
