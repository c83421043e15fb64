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

/** EC2: snapshots and volumes, read by id; listings only for display and the one-time v0.1 bootstrap. */
export interface Ec2Port {
  /** All snapshots owned by this account with tag lineage=L (every state). */
  listLineage(lineage: string): Promise<Snapshot[]>;
  describeSnapshot(snapshotId: string): Promise<Snapshot | undefined>;
  /** CreateSnapshot with TagSpecifications on the call itself. */
  createSnapshot(volumeId: string, tags: SnapshotTags, description?: string): Promise<Snapshot>;
  deleteSnapshot(snapshotId: string): Promise<void>;
  describeVolume(volumeId: string): Promise<Volume | undefined>;
  /** Volumes carrying v0.1's holder tag = L, any state (what a bootstrap waits for). */
  listHolders(lineage: string): Promise<Volume[]>;
}

/** ECS: the task's own volume attachment and the controller service. */
export interface EcsPort {
  /** The EBS attachment of a task (DescribeTasks); undefined if the task has none (yet). */
  describeVolumeAttachment(cluster: string, taskArn: string): Promise<VolumeAttachment | undefined>;
  /**
   * The task's `lastStatus` from DescribeTasks by ARN (PROVISIONING … RUNNING … DEACTIVATING,
   * STOPPING, DEPROVISIONING, STOPPED), or `MISSING` when ECS no longer knows the task (it keeps
   * stopped tasks visible for a while only). STOPPED means every container of the task has stopped.
   */
  taskStatus(cluster: string, taskArn: string): Promise<string>;
  describeService(cluster: string, service: string): Promise<ServiceState | undefined>;
  /**
   * UpdateService keeping the rest of the primary deployment's volume configuration, with
   * `snapshotId` replaced (and the configured `volumeInitializationRate`) and forceNewDeployment.
   */
  rollSnapshot(cluster: string, service: string, snapshotId: string, options?: { desiredCount?: number }): Promise<void>;
  setDesiredCount(cluster: string, service: string, desiredCount: number): Promise<void>;
}

export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export type { Deployment };

/** Unit of a metric value (CloudWatch embedded metric format). */
export type MetricUnit = 'Count' | 'Seconds' | 'Milliseconds' | 'None';

/**
 * One structured log line. Keeper and reconciler code produce these; the process that hosts them
 * (keeper main, Lambda handler, simulator) prints one JSON object per line. `metric`, when set,
 * asks the host to also emit it as an embedded-metric-format value.
 */
export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly msg: string;
  readonly lineage?: string;
  readonly task?: string;
  readonly volume?: string;
  readonly snapshot?: string;
  readonly metric?: { readonly name: string; readonly value: number; readonly unit: MetricUnit };
  readonly [key: string]: unknown;
}

export type MarkerKind = 'authorized' | 'stale';

/** What the keeper needs from its own container: the file system, the gate markers, Jenkins' state. */
export interface KeeperHost {
  /** `sync -f <path>`: flush the file system holding the home so a snapshot is a clean image. */
  sync(path: string): Promise<void>;
  /** Write `<runDir>/<kind>` (the gate reads `authorized`; `stale` carries the reason for humans). */
  writeMarker(kind: MarkerKind, body: string): Promise<void>;
  clearMarker(kind: MarkerKind): Promise<void>;
  /** True once the Jenkins container's KnownStatus is STOPPED (task metadata endpoint). */
  jenkinsStopped(): Promise<boolean>;
}

/** An uploaded delta archive (docs/design/handoff.md): what the record's handoff names. */
export interface DeltaRef {
  /** Object key in the deployment's handoff bucket: `<lineage>/<final snapshot id>.delta`. */
  readonly key: string;
  /** SHA-256 of the archive as uploaded, lowercase hex; the applier refuses any other content. */
  readonly sha256: string;
  readonly bytes: number;
  /** Entries packed (files, directories, symlinks). */
  readonly files: number;
}

/**
 * The handoff's delta (docs/design/handoff.md): the files of the home that changed since a
 * pre-copy snapshot, packed by the stopping keeper and applied by the next task's keeper onto a
 * volume built from that snapshot. `src/keeper/delta.ts` implements it on the file system and S3;
 * the simulator in memory.
 */
export interface DeltaPort {
  /**
   * Packs every entry of `home` whose ctime is at or after `cutoff` (content, mode, owner, mtime;
   * changed directories with their full entry lists) and uploads it under `key`. Jenkins must have
   * stopped. Rejects when `deadline` passes first; nothing then refers to the upload.
   */
  ship(home: string, cutoff: Date, key: string, deadline: Date): Promise<DeltaRef>;
  /**
   * Downloads `ref`, checks its size and SHA-256, and applies it onto `home` (a volume built from
   * the handoff's base). Rejects on any mismatch or error: the home is then unusable and Jenkins
   * must not start on it.
   */
  apply(home: string, ref: DeltaRef, deadline: Date): Promise<void>;
}
