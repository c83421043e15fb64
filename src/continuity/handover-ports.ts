/**
 * The handover's ports and settings (src/continuity/handover.ts), apart so that the step machine
 * and its helpers (handover-launch.ts) share them without importing each other. Plain types.
 */
import type { CommitResult } from './commit.js';
import type { ServiceState, Snapshot } from './model.js';
import type { Clock, LogEntry, SnapshotTags } from './ports.js';
import type { LineageRecord, RecordPort } from './record.js';
import type { RetryPolicy } from './retry.js';
import type { Outcome } from './transitions.js';

/** The steps the record's `operation.step` moves through, in order. */
export const HANDOVER_STEPS = ['begun', 'pre-copy', 'stopping', 'stopped', 'launching'] as const;
export type HandoverStep = (typeof HANDOVER_STEPS)[number];

/** What the handover needs from EC2 (a subset of {@link Ec2Port}). */
export interface HandoverEc2 {
  describeSnapshot(snapshotId: string): Promise<Snapshot | undefined>;
  createSnapshot(volumeId: string, tags: SnapshotTags, description?: string): Promise<Snapshot>;
}

/** What the handover needs from ECS. `taskStatus` is DescribeTasks by ARN (`MISSING` when ECS forgot the task). */
export interface HandoverEcs {
  describeService(cluster: string, service: string): Promise<ServiceState | undefined>;
  setDesiredCount(cluster: string, service: string, desiredCount: number): Promise<void>;
  rollSnapshot(cluster: string, service: string, snapshotId: string, options?: { desiredCount?: number }): Promise<void>;
  taskStatus(cluster: string, taskArn: string): Promise<string>;
}

export interface HandoverDeps {
  readonly record: RecordPort;
  readonly ec2: HandoverEc2;
  readonly ecs: HandoverEcs;
  readonly clock: Clock;
  readonly log: (entry: LogEntry) => void;
  /** Called when a step is entered (the CLI prints progress and the time each step took). */
  readonly onStep?: (step: HandoverStep, at: Date) => void;
}

export interface HandoverConfig {
  readonly lineage: string;
  readonly cluster: string;
  readonly service: string;
  /** Take a pre-copy snapshot while Jenkins serves. @default true */
  readonly preCopy?: boolean;
  /** How long to wait for the pre-copy to complete before stopping anyway. @default 900000 (15 min) */
  readonly preCopyTimeoutMs?: number;
  /** Pause between two reads while waiting (every second of it can be downtime while the old task stops). @default 2000 */
  readonly pollMs?: number;
  /**
   * Who starts the one new task: `service` (the CLI) issues UpdateService(snapshotId = head,
   * desiredCount 1); `cloudformation` (the LaunchSnapshot custom resource) only returns the id,
   * and the stack's service update starts the task.
   */
  readonly starter: 'service' | 'cloudformation';
  /**
   * Launch the new task from the completed pre-copy in the service update that stops the old one,
   * when the holder's keeper ships a handoff delta (docs/protocol.md, section 7). @default true
   */
  readonly launchBeforeStop?: boolean;
  /** How long the `service` starter waits for the new task's acquire after a launch before the stop. @default 1800000 (30 min) */
  readonly launchTimeoutMs?: number;
  readonly retry?: RetryPolicy;
}

/** What one driver run hands its helpers: its ports and settings, its operation id, and its retrying calls. */
export interface Driver {
  readonly deps: HandoverDeps;
  readonly cfg: HandoverConfig;
  readonly id: string;
  readonly retry: <T>(fn: () => Promise<T>) => Promise<T>;
  readonly write: (decide: (r: LineageRecord) => Outcome) => Promise<CommitResult>;
  readonly log: (level: LogEntry['level'], msg: string, fields?: Record<string, unknown>) => void;
}
