/** A minimal in-memory implementation of the ports for unit tests of keeper, reconcile and restore. */
import type { ServiceState, Snapshot, Volume, VolumeAttachment } from '../../src/continuity/model.js';
import type { Ec2Port, EcsPort, KeeperHost, LogEntry, MarkerKind, SnapshotTags } from '../../src/continuity/ports.js';
import { VirtualClock } from '../sim/clock.js';
import { MemoryRecordStore } from './memory-record.js';

export function awsError(name: string): Error {
  const e = new Error(`${name} (fake)`);
  e.name = name;
  return e;
}

export class FakeAws {
  readonly clock = new VirtualClock(Date.parse('2026-05-01T00:00:00Z'));
  snapshots = new Map<string, Snapshot>();
  volumes = new Map<string, Volume>();
  attachment: VolumeAttachment | undefined = { status: 'ATTACHED', volumeId: 'vol-1' };
  service: ServiceState | undefined = { desiredCount: 1, runningCount: 1, deployments: [] };
  /** The lineage record store (atomic conditional writes). */
  readonly record = new MemoryRecordStore();
  /** ECS lastStatus per task ARN (DescribeTasks); unknown tasks are MISSING. */
  taskStatuses = new Map<string, string>();
  /** Errors to throw, per operation name, one per call, in order. */
  failures = new Map<string, Error[]>();
  calls: string[] = [];
  rolls: { snapshotId: string; desiredCount?: number }[] = [];
  logs: LogEntry[] = [];
  markers = new Map<MarkerKind, string>();
  synced = 0;
  jenkinsStopped = true;
  private n = 0;

  private async op(name: string): Promise<void> {
    this.calls.push(name);
    const queue = this.failures.get(name);
    const err = queue?.shift();
    if (err) throw err;
  }

  readonly ec2: Ec2Port = {
    listLineage: async (lineage) => {
      await this.op('listLineage');
      return [...this.snapshots.values()].filter((s) => s.lineage === lineage);
    },
    describeSnapshot: async (id) => {
      await this.op('describeSnapshot');
      return this.snapshots.get(id);
    },
    createSnapshot: async (volumeId: string, tags: SnapshotTags) => {
      await this.op('createSnapshot');
      const s: Snapshot = { id: `snap-new${++this.n}`, state: 'pending', startTime: this.clock.now(), volumeId, ...tags };
      this.snapshots.set(s.id, s);
      return s;
    },
    deleteSnapshot: async (id) => {
      await this.op('deleteSnapshot');
      if (!this.snapshots.delete(id)) throw awsError('InvalidSnapshot.NotFound');
    },
    describeVolume: async (id) => {
      await this.op('describeVolume');
      return this.volumes.get(id);
    },
    listHolders: async (lineage) => {
      await this.op('listHolders');
      return [...this.volumes.values()].filter((v) => v.holder === lineage);
    },
  };

  readonly ecs: EcsPort = {
    describeVolumeAttachment: async () => {
      await this.op('describeVolumeAttachment');
      return this.attachment;
    },
    describeService: async () => {
      await this.op('describeService');
      return this.service;
    },
    taskStatus: async (_c, taskArn) => {
      await this.op('taskStatus');
      return this.taskStatuses.get(taskArn) ?? 'MISSING';
    },
    rollSnapshot: async (_c, _s, snapshotId, options) => {
      await this.op('rollSnapshot');
      this.rolls.push({ snapshotId, ...(options?.desiredCount !== undefined ? { desiredCount: options.desiredCount } : {}) });
      const svc = this.service!;
      this.service = {
        ...svc,
        desiredCount: options?.desiredCount ?? svc.desiredCount,
        deployments: [
          { id: `d${this.rolls.length + 100}`, status: 'PRIMARY', rolloutState: 'IN_PROGRESS', snapshotId, createdAt: this.clock.now() },
          ...svc.deployments.map((d) => (d.status === 'PRIMARY' ? { ...d, status: 'ACTIVE' as const } : d)),
        ],
      };
    },
    setDesiredCount: async (_c, _s, desiredCount) => {
      await this.op('setDesiredCount');
      this.service = { ...this.service!, desiredCount };
    },
  };

  readonly host: KeeperHost = {
    sync: async () => {
      this.synced++;
    },
    writeMarker: async (kind, body) => {
      this.markers.set(kind, body);
    },
    clearMarker: async (kind) => {
      this.markers.delete(kind);
    },
    jenkinsStopped: async () => this.jenkinsStopped,
  };

  readonly log = (e: LogEntry): void => {
    this.logs.push(e);
  };

  /** Runs virtual time forward until `p` settles (or `maxMs` passes); returns its outcome. */
  async settle<T>(p: Promise<T>, maxMs = 3_600_000): Promise<{ value?: T; error?: unknown; done: boolean }> {
    const out: { value?: T; error?: unknown; done: boolean } = { done: false };
    p.then(
      (v) => {
        out.value = v;
        out.done = true;
      },
      (e: unknown) => {
        out.error = e;
        out.done = true;
      },
    );
    const end = this.clock.ms + maxMs;
    while (!out.done && this.clock.ms < end) await this.clock.runUntil(this.clock.ms + 1_000);
    return out;
  }
}
