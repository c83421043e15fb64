/**
 * An in-memory AWS for CLI tests: the ports of src/continuity plus the task listing, over plain
 * maps. It behaves like the real system where the CLI depends on it: scaling the service to 0
 * stops the task on the next clock tick, and that task's keeper registers a final snapshot and
 * releases the lineage record. Snapshots added with a protocol kind are record members (in
 * StartTime order, the newest is the head) unless added as `foreign`. `failNext` makes one named
 * call throw, to simulate an interruption.
 */
import type { CliAws, ServiceTask } from '../../../src/cli/aws-context.js';
import type { Deployment, ServiceState, Snapshot, SnapshotKind, Volume } from '../../../src/continuity/model.js';
import type { Clock, Ec2Port, EcsPort, SnapshotTags } from '../../../src/continuity/ports.js';
import type { Holder, LineageRecord } from '../../../src/continuity/record.js';
import { createRecord, PROTOCOL_KINDS, register } from '../../../src/continuity/transitions.js';
import { MemoryRecordStore } from '../../continuity/memory-record.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface FakeOptions {
  readonly lineage: string;
  readonly now?: Date;
}

export class FakeAws implements CliAws {
  readonly lineage: string;
  now: Date;
  readonly snapshots = new Map<string, Mutable<Snapshot>>();
  readonly volumes = new Map<string, Mutable<Volume>>();
  service: (Omit<Mutable<ServiceState>, 'deployments'> & { deployments: Mutable<Deployment>[] }) | undefined;
  taskList: Mutable<ServiceTask>[] = [];
  /** The lineage record (atomic conditional writes, like DynamoDB). */
  readonly record = new MemoryRecordStore();
  /** Ids added as foreign (taken by something else, tags copied): never record members. */
  readonly foreign = new Set<string>();
  /** Every port call, in order, e.g. `ecs.setDesiredCount(0)`. */
  readonly calls: string[] = [];
  /** Snapshot states returned by successive describeSnapshot calls (progress of --wait). */
  readonly describeScript = new Map<string, Partial<Snapshot>[]>();
  private readonly failures = new Map<string, Error>();
  private seq = 0;

  constructor(opts: FakeOptions) {
    this.lineage = opts.lineage;
    this.now = opts.now ?? new Date('2026-03-01T12:00:00.000Z');
  }

  /** The next call of `method` (e.g. 'ecs.rollSnapshot') throws `error`. */
  failNext(method: string, error: Error = new Error(`injected failure in ${method}`)): void {
    this.failures.set(method, error);
  }

  private call(method: string, detail = ''): void {
    this.calls.push(`${method}(${detail})`);
    const e = this.failures.get(method);
    if (e) {
      this.failures.delete(method);
      throw e;
    }
  }

  nextId(prefix: string): string {
    this.seq += 1;
    return `${prefix}-${String(this.seq).padStart(8, '0')}`;
  }

  /** The stored record (or an empty one). */
  get rec(): LineageRecord {
    return this.record.peek(this.lineage) ?? createRecord(this.lineage);
  }

  /** Replaces the stored record with `changes` applied (seq advanced). */
  setRecord(changes: Partial<LineageRecord>): void {
    const r = this.record.peek(this.lineage);
    const next = { ...(r ?? createRecord(this.lineage)), ...changes, seq: (r?.seq ?? 0) + 1 } as LineageRecord;
    for (const k of Object.keys(changes) as (keyof LineageRecord)[]) if (changes[k] === undefined) delete (next as Partial<LineageRecord>)[k];
    this.record.writeNow(next, r?.seq);
  }

  /** Members = protocol-kind snapshots of the lineage, oldest first by StartTime; the newest is the head. */
  private syncMembers(): void {
    const members = [...this.snapshots.values()]
      .filter((s) => s.lineage === this.lineage && !this.foreign.has(s.id) && s.kind !== undefined && PROTOCOL_KINDS.includes(s.kind))
      .sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
    const snapshots = members.map((s, i) => ({ snapshotId: s.id, seq: i + 1, kind: s.kind! }));
    this.setRecord({ snapshots, head: snapshots.at(-1) });
  }

  addSnapshot(s: Partial<Snapshot> & { id?: string; minutesAgo?: number; kind?: SnapshotKind; foreign?: boolean }): Snapshot {
    const { minutesAgo = 0, foreign = false, ...rest } = s;
    const snap: Mutable<Snapshot> = {
      id: rest.id ?? this.nextId('snap'),
      state: 'completed',
      startTime: new Date(this.now.getTime() - minutesAgo * 60_000),
      lineage: this.lineage,
      volumeSizeGiB: 50,
      progress: '100%',
      ...rest,
    };
    this.snapshots.set(snap.id, snap);
    if (foreign) this.foreign.add(snap.id);
    else this.syncMembers();
    return snap;
  }

  addVolume(v: Partial<Volume> & { id?: string }): Volume {
    const vol: Mutable<Volume> = { id: v.id ?? this.nextId('vol'), state: 'in-use', createTime: this.now, ...v };
    this.volumes.set(vol.id, vol);
    return vol;
  }

  /** A service with one PRIMARY deployment launching from `snapshotId`, and its running task. */
  runService(opts: { snapshotId?: string; volume?: Volume; holder?: boolean }): void {
    this.service = {
      desiredCount: 1,
      runningCount: opts.volume ? 1 : 0,
      pendingCount: 0,
      deployments: [
        { id: 'ecs-svc/1', status: 'PRIMARY', rolloutState: 'COMPLETED', snapshotId: opts.snapshotId, createdAt: this.now, desiredCount: 1, runningCount: 1 },
      ],
    };
    this.taskList = opts.volume
      ? [{ arn: `arn:aws:ecs:us-east-1:123456789012:task/c/${this.nextId('task')}`, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', startedAt: this.now, volumeId: opts.volume.id }]
      : [];
    if (opts.volume && opts.holder) {
      this.volumes.get(opts.volume.id)!.holder = this.lineage;
      const holder: Holder = { taskArn: this.taskList[0]!.arn, volumeId: opts.volume.id, token: this.rec.seq + 1 };
      this.setRecord({ holder });
    }
    if (opts.snapshotId && this.rec.snapshots.some((e) => e.snapshotId === opts.snapshotId)) this.setRecord({ launch: opts.snapshotId });
  }

  /** What a stopping task does: the keeper takes a final snapshot of a holder, the volume goes away. */
  private stopTasks(): void {
    for (const t of this.taskList) {
      const vol = t.volumeId ? this.volumes.get(t.volumeId) : undefined;
      if (vol !== undefined && this.rec.holder?.volumeId === vol.id) {
        // The keeper registers its final snapshot and releases the lineage in one write.
        const fin = this.addSnapshot({ kind: 'final', task: t.arn, source: vol.snapshotId, volumeId: vol.id, foreign: true });
        const out = register(this.rec, { token: this.rec.holder.token, snapshotId: fin.id, kind: 'final', task: t.arn, release: true });
        if (out.ok) this.record.writeNow(out.record, this.rec.seq);
      }
      if (vol) this.volumes.delete(vol.id);
    }
    this.taskList = [];
    if (this.service) this.service.runningCount = 0;
  }

  readonly clock: Clock = {
    now: () => this.now,
    sleep: async (ms: number) => {
      this.now = new Date(this.now.getTime() + ms);
      if (this.service && this.service.desiredCount === 0 && this.taskList.length > 0) this.stopTasks();
    },
  };

  readonly ec2: Ec2Port = {
    listLineage: async (lineage) => {
      this.call('ec2.listLineage', lineage);
      return [...this.snapshots.values()].filter((s) => s.lineage === lineage).map((s) => ({ ...s }));
    },
    describeSnapshot: async (id) => {
      this.call('ec2.describeSnapshot', id);
      const s = this.snapshots.get(id);
      if (!s) return undefined;
      const script = this.describeScript.get(id);
      const step = script?.shift();
      if (step) Object.assign(s, step);
      return { ...s };
    },
    createSnapshot: async (volumeId, tags: SnapshotTags) => {
      this.call('ec2.createSnapshot', `${volumeId},${tags.kind}`);
      // Created outside the record: the caller registers it (register transition).
      return { ...this.addSnapshot({ ...tags, volumeId, state: 'pending', progress: '0%', foreign: true }) };
    },
    deleteSnapshot: async (id) => {
      this.call('ec2.deleteSnapshot', id);
      this.snapshots.delete(id);
    },
    describeVolume: async (id) => {
      this.call('ec2.describeVolume', id);
      const v = this.volumes.get(id);
      return v && { ...v };
    },
    listHolders: async (lineage) => {
      this.call('ec2.listHolders', lineage);
      return [...this.volumes.values()].filter((v) => v.holder === lineage).map((v) => ({ ...v }));
    },
  };

  readonly ecs: EcsPort = {
    describeVolumeAttachment: async (_cluster, taskArn) => {
      this.call('ecs.describeVolumeAttachment', taskArn);
      const t = this.taskList.find((x) => x.arn === taskArn);
      return t?.volumeId ? { status: 'ATTACHED', volumeId: t.volumeId } : undefined;
    },
    describeService: async () => {
      this.call('ecs.describeService');
      return this.service && { ...this.service, deployments: this.service.deployments.map((d) => ({ ...d })) };
    },
    taskStatus: async (_cluster, taskArn) => {
      this.call('ecs.taskStatus', taskArn);
      return this.taskList.find((t) => t.arn === taskArn)?.lastStatus ?? 'MISSING';
    },
    rollSnapshot: async (_cluster, _service, snapshotId, options) => {
      this.call('ecs.rollSnapshot', `${snapshotId}${options?.desiredCount !== undefined ? `,desired=${options.desiredCount}` : ''}`);
      if (!this.service) throw Object.assign(new Error('Service not found.'), { name: 'ServiceNotFoundException' });
      for (const d of this.service.deployments) if (d.status === 'PRIMARY') d.status = 'ACTIVE';
      this.service.deployments.unshift({ id: this.nextId('ecs-svc'), status: 'PRIMARY', rolloutState: 'IN_PROGRESS', snapshotId, createdAt: this.now });
      if (options?.desiredCount !== undefined) this.service.desiredCount = options.desiredCount;
    },
    setDesiredCount: async (_cluster, _service, desiredCount) => {
      this.call('ecs.setDesiredCount', String(desiredCount));
      if (!this.service) throw Object.assign(new Error('Service not found.'), { name: 'ServiceNotFoundException' });
      this.service.desiredCount = desiredCount;
    },
  };

  readonly tasks: CliAws['tasks'] = {
    listServiceTasks: async (): Promise<ServiceTask[]> => {
      this.call('ecs.listServiceTasks');
      return this.taskList.map((t) => ({ ...t }));
    },
  };
}
