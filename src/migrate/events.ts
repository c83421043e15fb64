/**
 * The lines the migration task prints (one JSON object per line, into its CloudWatch log stream)
 * and the CLI reads back to draw its progress bar and learn the seed snapshot. Plain data: the
 * task (src/migrate/main.ts) writes them, `jenkins-ecs migrate` parses them.
 */
import { KEEPER_ENV } from '../continuity/settings.js';

/** Environment of the migration task's container (set by the construct and by RunTask overrides). */
export const MIGRATE_ENV = {
  lineage: KEEPER_ENV.lineage,
  /** Where the task definition mounts the EFS file system (read-only). */
  sourceMount: 'JENKINS_ECS_MIGRATE_SOURCE',
  /** Directory inside the file system to copy (`--path`), relative to the mount. */
  sourcePath: 'JENKINS_ECS_MIGRATE_PATH',
  /** Where the fresh home volume is mounted. */
  target: 'JENKINS_ECS_MIGRATE_TARGET',
  /** `cluster` of the task, when task metadata does not give it. */
  cluster: KEEPER_ENV.cluster,
  /** Files to checksum on both sides after the copy. */
  sampleFiles: 'JENKINS_ECS_MIGRATE_SAMPLE_FILES',
  /** Minutes to wait for the seed snapshot to complete before the task gives up. */
  snapshotTimeoutMinutes: 'JENKINS_ECS_MIGRATE_SNAPSHOT_TIMEOUT_MINUTES',
} as const;

/** Mount points inside the migration task. */
export const MIGRATE_MOUNTS = { source: '/mnt/source', target: '/mnt/home' } as const;

/** Container and EFS volume names in the migration task definition. */
export const MIGRATE_CONTAINER = 'migrate';
export const MIGRATE_SOURCE_VOLUME = 'source';

/** Docker labels of the migration container: what RunTask needs that the task definition does not hold. */
export const MIGRATE_LABELS = {
  /** ECS infrastructure role for the task's managed EBS volume. */
  infrastructureRole: 'jenkins-ecs.infrastructure-role',
  /** Security group to launch the task with (the one the EFS side must admit). */
  securityGroup: 'jenkins-ecs.security-group',
} as const;

/** NFS, the port EFS mount targets listen on. */
export const NFS_PORT = 2049;

/** Copy progress, from rsync's `--info=progress2` totals. */
export interface ProgressEvent {
  readonly msg: 'progress';
  /** Bytes of file data transferred so far. */
  readonly bytes: number;
  /** rsync's own completion estimate, 0..100. */
  readonly percent: number;
  /** Entries of the file list checked so far, and the list's size (known up front: --no-inc-recursive). */
  readonly files: number;
  readonly totalFiles: number;
  /** rsync's transfer rate, bytes per second. */
  readonly bytesPerSecond: number;
}

export interface PhaseEvent {
  readonly msg: 'phase';
  readonly phase: 'copy' | 'verify' | 'sync' | 'snapshot';
}

export interface TreeCounts {
  readonly files: number;
  readonly dirs: number;
  readonly symlinks: number;
  readonly others: number;
  /** Sum of the sizes of regular files, each inode counted once. */
  readonly bytes: number;
  /** Entries that are a second (third, ...) name of an inode already seen. */
  readonly extraLinks: number;
}

export interface VerifiedEvent {
  readonly msg: 'verified';
  readonly counts: TreeCounts;
  readonly sampledFiles: number;
  readonly sampledBytes: number;
}

export interface SeedEvent {
  readonly msg: 'seed';
  readonly snapshotId: string;
  readonly volumeId: string;
}

export interface FailedEvent {
  readonly msg: 'failed';
  readonly reason: string;
}

export type MigrationEvent = ProgressEvent | PhaseEvent | VerifiedEvent | SeedEvent | FailedEvent;

const MSGS = new Set(['progress', 'phase', 'verified', 'seed', 'failed']);

/** One log line back into an event; anything else (rsync noise, other JSON) is undefined. */
export function parseEvent(line: string): MigrationEvent | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const msg = (value as { msg?: unknown }).msg;
  return typeof msg === 'string' && MSGS.has(msg) ? (value as MigrationEvent) : undefined;
}
