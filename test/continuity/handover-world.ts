/**
 * A small, deterministic model of one ECS service with an ECS-managed EBS volume, its EBS
 * snapshots, the lineage record and a keeper, under virtual time: enough to drive the real
 * handover step machine (src/continuity/handover.ts) through its ports, interrupt it anywhere, and
 * check what matters for a planned handover:
 * - at most one Jenkins serves at a time, and a second task never holds the lineage beside a first;
 * - the task the handover starts is built from the head (no stale start) and carries every write
 *   the old Jenkins acknowledged before it stopped (nothing lost on a planned handover);
 * - the handover starts exactly one task.
 *
 * Modelled AWS behaviour (docs/aws-facts.md): a service task's volume is created from the
 * service's `snapshotId` and deleted when the task stops; a volume cannot be created from a
 * `pending` snapshot (the task fails to start); with maximumPercent 100 the replacement starts only
 * after the old task stopped; Jenkins stops first on SIGTERM, then the keeper takes its final
 * snapshot, registers it and releases in one write. The keeper here is a model written on the
 * record transitions (acquire / register), not the Keeper class, which the record work is
 * rewriting; durations come from {@link WorldTiming}.
 */
import type { ServiceState, Snapshot } from '../../src/continuity/model.js';
import type { DeltaRef, LogEntry, SnapshotTags } from '../../src/continuity/ports.js';
import type { LineageRecord, RecordPort } from '../../src/continuity/record.js';
import type { HandoverDeps, HandoverEc2, HandoverEcs } from '../../src/continuity/handover.js';
import { awaitsHandoff, DELTA_CUTOFF_MARGIN_MS, deltaKey, handoffBaseFor } from '../../src/continuity/handoff.js';
import { acquire, createRecord, register, validHandoff } from '../../src/continuity/transitions.js';
import { VirtualClock } from '../sim/clock.js';

export const LINEAGE = 'ci';
export const CLUSTER = 'world-cluster';
export const SERVICE = 'world-controller';
const GIB = 1024 ** 3;

/** Durations in ms, sampled once per call (a distribution, or a constant in tests). */
export interface WorldTiming {
  /** Jenkins from SIGTERM to exited. */
  jenkinsStop(): number;
  /** ECS task from scheduled to containers started, volume excluded (Fargate capacity, ENI, image pull). */
  taskStart(): number;
  /** ECS-managed volume created from a snapshot and attached. */
  volumeFromSnapshot(): number;
  /** A stopping task from its last container exited to STOPPED (DEPROVISIONING). */
  taskStop(): number;
  /** Jenkins from container start to serving (on a volume restored from a snapshot). */
  jenkinsBoot(): number;
  /** A snapshot from CreateSnapshot to `completed`, given the bytes changed since the volume's previous snapshot. */
  snapshotCompletion(changedBytes: number): number;
  /** Keeper gate round while refused (operation in progress, or held). */
  readonly gatePollMs: number;
  /**
   * From ECS deciding to stop a task to its SIGTERM: the load balancer drains the target (its
   * deregistration delay) while the task is DEACTIVATING; no request reaches Jenkins meanwhile.
   * Absent: 0.
   */
  drain?(): number;
  /** The stopping keeper packs and uploads a handoff delta of this many bytes (docs/design/handoff.md). Absent: no handoff. */
  deltaShip?(bytes: number): number;
  /** The starting keeper downloads and applies a delta of this many bytes. */
  deltaApply?(bytes: number): number;
}

export const FIXED_TIMING: WorldTiming = {
  jenkinsStop: () => 10_000,
  taskStop: () => 3_000,
  taskStart: () => 40_000,
  volumeFromSnapshot: () => 20_000,
  jenkinsBoot: () => 60_000,
  snapshotCompletion: (bytes) => 30_000 + Math.round(bytes / (50 * 1024 ** 2)) * 1000,
  gatePollMs: 10_000,
};

/** {@link FIXED_TIMING} with the handoff: 5 s to ship, 5 s to apply. */
export const HANDOFF_TIMING: WorldTiming = { ...FIXED_TIMING, deltaShip: () => 5_000, deltaApply: () => 5_000 };

interface WSnapshot {
  id: string;
  volumeId: string;
  state: Snapshot['state'];
  startTime: number;
  /** Jenkins writes it contains (the write counter of its volume at the CreateSnapshot call). */
  writes: number;
  fail: boolean;
}

interface WVolume {
  id: string;
  source?: string;
  writes: number;
  /** Bytes changed since the volume's last snapshot. */
  dirty: number;
  deleted: boolean;
}

type TaskPhase = 'provisioning' | 'gate' | 'applying' | 'booting' | 'serving' | 'stopping' | 'stopped';

export interface WTask {
  readonly arn: string;
  readonly snapshotId: string;
  phase: TaskPhase;
  volumeId?: string;
  token?: number;
  staleAtGate: boolean;
  /** Started by the service after the handover's launch. */
  readonly fromLaunch: boolean;
  readonly startedAt: number;
  servingAt?: number;
  /** Key of the handoff delta its keeper applied. */
  appliedDelta?: string;
}

/** A RecordPort over one in-memory item with DynamoDB's semantics (consistent read, atomic conditional write). */
export class WorldRecord implements RecordPort {
  private item: string | undefined;
  writes = 0;
  /** Every record written, in order. */
  readonly history: LineageRecord[] = [];
  peek(): LineageRecord | undefined {
    return this.item === undefined ? undefined : (JSON.parse(this.item) as LineageRecord);
  }
  async read(_lineage?: string): Promise<LineageRecord | undefined> {
    return this.peek();
  }
  async write(next: LineageRecord, expectedSeq: number | undefined): Promise<boolean> {
    return this.put(next, expectedSeq);
  }
  put(next: LineageRecord, expectedSeq: number | undefined): boolean {
    if ((this.peek()?.seq ?? undefined) !== expectedSeq) return false;
    this.item = JSON.stringify(next);
    this.history.push(JSON.parse(this.item) as LineageRecord);
    this.writes++;
    return true;
  }
}

export interface WorldOptions {
  readonly timing?: WorldTiming;
  /** GiB changed since the last periodic snapshot when the handover begins. @default 1 */
  readonly changedGiB?: number;
  /** Bytes Jenkins writes per second while serving. @default 256 KiB */
  readonly writeBytesPerSecond?: number;
  /**
   * ECS counts only RUNNING and PENDING tasks against maximumPercent (and in runningCount), as the
   * API reference defines both: a replacement is placed while the old task is still DEACTIVATING or
   * STOPPING. False: ECS places it only once the old task is STOPPED (the conservative reading).
   * @default false
   */
  readonly placeWhileStopping?: boolean;
  /** The stopping keeper's delta upload fails (it registers its final snapshot without a handoff). */
  readonly shipFails?: boolean;
}

export class HandoverWorld {
  readonly clock = new VirtualClock(Date.parse('2026-06-01T00:00:00Z'));
  readonly record = new WorldRecord();
  readonly timing: WorldTiming;
  readonly logs: LogEntry[] = [];
  readonly tasks: WTask[] = [];
  readonly violations: string[] = [];
  private readonly snaps = new Map<string, WSnapshot>();
  /** Uploaded deltas: the write count of the home they bring a base-built volume to, and their size. */
  private readonly deltas = new Map<string, { writes: number; bytes: number }>();
  private readonly volumes = new Map<string, WVolume>();
  private n = 0;
  desiredCount = 1;
  /** The PRIMARY deployment's task definition (CloudFormation's update changes it). */
  taskDefinition = 'jenkins:7';
  /** The service's PRIMARY deployment snapshot id. */
  serviceSnapshot: string;
  /** The PRIMARY deployment's number and creation time (a new one with every UpdateService of the volume). */
  private deployment = { n: 1, at: 0 };
  /** Jenkins writes acknowledged by a Jenkins that then stopped cleanly (must survive a planned handover). */
  ackedAtCleanStop = 0;
  /** Writes acknowledged so far by any Jenkins. */
  acked = 0;
  /** Time the last serving Jenkins stopped serving; time the next one served. */
  downFrom?: number;
  downTo?: number;
  private readonly writeRate: number;
  private readonly placeWhileStopping: boolean;
  private readonly shipFails: boolean;

  constructor(opts: WorldOptions = {}) {
    this.timing = opts.timing ?? FIXED_TIMING;
    this.placeWhileStopping = opts.placeWhileStopping ?? false;
    this.shipFails = opts.shipFails ?? false;
    this.writeRate = opts.writeBytesPerSecond ?? 256 * 1024;
    // A lineage with one completed periodic snapshot and a serving holder whose volume changed since.
    const seed: WSnapshot = { id: this.id('snap'), volumeId: 'vol-origin', state: 'completed', startTime: this.clock.ms, writes: 0, fail: false };
    this.snaps.set(seed.id, seed);
    this.serviceSnapshot = seed.id;
    const base = createRecord(LINEAGE);
    const entry = { snapshotId: seed.id, seq: 2, kind: 'periodic' as const };
    this.record.put({ ...base, seq: 2, head: entry, launch: seed.id, snapshots: [entry] }, undefined);
    this.changed = (opts.changedGiB ?? 1) * GIB;
  }

  private readonly changed: number;

  /** Starts the first task and runs until it serves, with `changedGiB` written since the periodic snapshot. */
  async ready(): Promise<void> {
    this.startTask(this.serviceSnapshot, false, 0);
    for (let i = 0; i < 100 && this.tasks[0]?.phase !== 'serving'; i++) await this.clock.runUntil(this.clock.ms + 10_000);
    const first = this.tasks[0];
    if (first?.phase !== 'serving') throw new Error('world: the first task never served');
    this.volumes.get(first.volumeId!)!.dirty = this.changed;
    this.downFrom = undefined;
    this.downTo = undefined;
    this.startedSinceReady = 0;
  }

  /** Tasks started since {@link ready}. */
  startedSinceReady = 0;

  private id(prefix: string): string {
    return `${prefix}-${String(++this.n).padStart(4, '0')}`;
  }

  private log(msg: string, fields: Record<string, unknown> = {}): void {
    this.logs.push({ level: 'debug', msg: `world: ${msg}`, ...fields });
  }

  // --- Jenkins writes -----------------------------------------------------------------------------

  private tickWrites(task: WTask): void {
    if (task.phase !== 'serving') return;
    const vol = this.volumes.get(task.volumeId!)!;
    vol.writes++;
    vol.dirty += this.writeRate;
    this.acked = Math.max(this.acked, vol.writes);
    this.clock.schedule(1000, () => this.tickWrites(task));
  }

  // --- the service scheduler ------------------------------------------------------------------

  private live(): WTask[] {
    return this.tasks.filter((t) => t.phase !== 'stopped');
  }

  /** ECS service scheduler, maximumPercent 100: stop surplus tasks first, start once none counts against the maximum. */
  private schedule(): void {
    const live = this.live();
    const running = live.filter((t) => t.phase !== 'stopping');
    const outdated = running.filter((t) => t.snapshotId !== this.serviceSnapshot);
    for (const t of outdated) this.stopTask(t);
    const current = running.filter((t) => t.snapshotId === this.serviceSnapshot);
    for (const t of current.slice(this.desiredCount)) this.stopTask(t);
    if (!this.placeWhileStopping && this.live().some((t) => t.phase === 'stopping')) return;
    for (let i = current.length; i < this.desiredCount; i++) this.startTask(this.serviceSnapshot, true, this.timing.taskStart());
  }

  private startTask(snapshotId: string, fromLaunch: boolean, delay: number): WTask {
    const task: WTask = { arn: `arn:aws:ecs:eu-west-1:1:task/${CLUSTER}/${this.id('task')}`, snapshotId, phase: 'provisioning', staleAtGate: false, fromLaunch, startedAt: this.clock.ms };
    this.tasks.push(task);
    this.startedSinceReady++;
    this.clock.schedule(delay, () => {
      if (task.phase !== 'provisioning') return;
      const snap = this.snaps.get(snapshotId);
      if (snap?.state !== 'completed') {
        // EC2 refuses a volume from a pending snapshot (IncorrectState); the task fails to start.
        this.log('task failed: volume from a snapshot that is not completed', { snapshot: snapshotId });
        task.phase = 'stopped';
        this.clock.schedule(5_000, () => this.schedule());
        return;
      }
      this.clock.schedule(this.timing.volumeFromSnapshot(), () => {
        if (task.phase !== 'provisioning') return;
        const vol: WVolume = { id: this.id('vol'), source: snapshotId, writes: snap.writes, dirty: 0, deleted: false };
        this.volumes.set(vol.id, vol);
        task.volumeId = vol.id;
        task.phase = 'gate';
        this.gate(task);
      });
    });
    return task;
  }

  /** The keeper at start: acquire through the record, re-trying every gate round while refused. */
  private gate(task: WTask): void {
    if (task.phase !== 'gate') return;
    const r = this.record.peek()!;
    const vol = this.volumes.get(task.volumeId!)!;
    const handoff = validHandoff(r);
    const delta = handoff === undefined ? undefined : this.deltas.get(handoff.delta.key);
    if (handoff !== undefined && delta !== undefined && vol.source === handoff.base && task.appliedDelta === undefined && this.timing.deltaApply) {
      // The keeper applies the delta before it acquires (the volume is its own).
      task.phase = 'applying';
      this.clock.schedule(this.timing.deltaApply(delta.bytes), () => {
        if (task.phase !== 'applying') return;
        vol.writes = Math.max(vol.writes, delta.writes);
        task.appliedDelta = handoff.delta.key;
        task.phase = 'gate';
        this.gate(task);
      });
      return;
    }
    const holderStopped = r.holder !== undefined && this.statusOf(r.holder.taskArn) === 'STOPPED';
    const out = acquire(r, {
      taskArn: task.arn,
      volumeId: task.volumeId!,
      source: vol.source!,
      holderStopped,
      ...(task.appliedDelta ? { appliedDelta: task.appliedDelta } : {}),
      // A keeper with a handoff bucket ships deltas (the real keeper says so when it has a DeltaPort).
      ...(this.timing.deltaShip ? { shipsDelta: true } : {}),
    });
    if (out.ok && (out.unchanged === true || this.record.put(out.record, r.seq))) {
      task.token = out.record.holder!.token;
      if (this.live().some((t) => t !== task && t.token !== undefined && t.phase !== 'stopped' && this.holds(t))) this.violations.push(`two holders: ${task.arn} acquired while another holds`);
      task.phase = 'booting';
      this.clock.schedule(this.timing.jenkinsBoot(), () => {
        if (task.phase !== 'booting') return;
        if (this.tasks.some((t) => t !== task && t.phase === 'serving')) this.violations.push(`two writers: ${task.arn} serves beside another Jenkins`);
        const vol = this.volumes.get(task.volumeId!)!;
        if (vol.writes < this.ackedAtCleanStop) this.violations.push(`lost writes: ${task.arn} serves from ${vol.source} with ${vol.writes} writes, ${this.ackedAtCleanStop} were acknowledged before a clean stop`);
        task.phase = 'serving';
        task.servingAt = this.clock.ms;
        if (this.downFrom !== undefined && this.downTo === undefined) this.downTo = this.clock.ms;
        this.tickWrites(task);
      });
      return;
    }
    if (!out.ok && out.code === 'stale') task.staleAtGate = true;
    // The real keeper polls every 2 s (handoffPollMs) while the holder hands over to it.
    this.clock.schedule(awaitsHandoff(r, vol.source) ? 2_000 : this.timing.gatePollMs, () => this.gate(task));
  }

  private holds(t: WTask): boolean {
    return this.record.peek()?.holder?.taskArn === t.arn;
  }

  /** SIGTERM: Jenkins stops, then the keeper's final snapshot is registered with the release, then the task stops. */
  private stopTask(task: WTask): void {
    const was = task.phase;
    task.phase = 'stopping';
    if (was === 'serving' && this.downFrom === undefined) this.downFrom = this.clock.ms;
    // A serving task drains first (DEACTIVATING), then gets SIGTERM.
    const jenkinsMs = was === 'serving' || was === 'booting' ? (was === 'serving' ? (this.timing.drain?.() ?? 0) : 0) + this.timing.jenkinsStop() : 0;
    this.clock.schedule(jenkinsMs, () => {
      if (task.token !== undefined && this.holds(task)) {
        const vol = this.volumes.get(task.volumeId!)!;
        this.ackedAtCleanStop = Math.max(this.ackedAtCleanStop, vol.writes);
        const snap = this.createSnapshotNow(vol.id);
        const token = task.token;
        const finish = (handoff?: { base: string; delta: DeltaRef }): void => {
          const r = this.record.peek()!;
          const out = register(r, { token, snapshotId: snap.id, kind: 'final', task: task.arn, ...(vol.source ? { source: vol.source } : {}), release: true, ...(handoff ? { handoff } : {}) });
          if (out.ok && out.unchanged !== true) this.record.put(out.record, r.seq);
          this.clock.schedule(this.timing.taskStop(), () => this.finishStop(task));
        };
        // The handoff: a completed pre-copy of this volume in the handover's record, and a keeper that ships deltas.
        const base = handoffBaseFor(this.record.peek()!, task.arn);
        const pre = base === undefined ? undefined : this.snaps.get(base);
        if (this.timing.deltaShip && pre?.state === 'completed' && pre.volumeId === vol.id) {
          // Everything written since the cutoff (the pre-copy's StartTime minus the margin).
          const bytes = Math.round(this.writeRate * ((this.clock.ms - pre.startTime + DELTA_CUTOFF_MARGIN_MS) / 1000));
          const key = deltaKey(LINEAGE, snap.id);
          this.clock.schedule(this.timing.deltaShip(bytes), () => {
            if (this.shipFails) return finish();
            this.deltas.set(key, { writes: vol.writes, bytes });
            finish({ base: pre.id, delta: { key, sha256: 'world', bytes, files: 1 } });
          });
          return;
        }
        finish();
        return;
      }
      this.clock.schedule(this.timing.taskStop(), () => this.finishStop(task));
    });
  }

  private finishStop(task: WTask): void {
    task.phase = 'stopped';
    if (task.volumeId) this.volumes.get(task.volumeId)!.deleted = true;
    this.schedule();
  }

  /** The task dies at once (OOM, host failure): no final snapshot, no release. ECS replaces it. */
  crash(task: WTask): void {
    if (task.phase === 'stopped') return;
    this.log('task crashed', { task: task.arn });
    task.phase = 'stopped';
    if (task.volumeId) this.volumes.get(task.volumeId)!.deleted = true;
    this.clock.schedule(5_000, () => this.schedule());
  }

  statusOf(arn: string): string {
    const t = this.tasks.find((x) => x.arn === arn);
    if (t === undefined) return 'MISSING';
    return t.phase === 'stopped' ? 'STOPPED' : t.phase === 'stopping' ? 'DEACTIVATING' : t.phase === 'provisioning' ? 'PROVISIONING' : 'RUNNING';
  }

  private createSnapshotNow(volumeId: string): WSnapshot {
    const vol = this.volumes.get(volumeId);
    if (vol === undefined || vol.deleted) throw Object.assign(new Error(`The volume '${volumeId}' does not exist.`), { name: 'InvalidVolume.NotFound' });
    const snap: WSnapshot = { id: this.id('snap'), volumeId, state: 'pending', startTime: this.clock.ms, writes: vol.writes, fail: false };
    this.snaps.set(snap.id, snap);
    const changed = vol.dirty;
    vol.dirty = 0;
    this.clock.schedule(this.timing.snapshotCompletion(changed), () => {
      snap.state = snap.fail ? 'error' : 'completed';
    });
    return snap;
  }

  /** Makes the next snapshot created end in `error`. */
  /** A pending snapshot ends in error; a completed one reads as error from now on (broken behind the protocol's back). */
  failSnapshot(id: string): void {
    const s = this.snaps.get(id);
    if (!s) return;
    s.fail = true;
    if (s.state === 'completed') s.state = 'error';
  }

  snapshot(id: string): Readonly<WSnapshot> | undefined {
    return this.snaps.get(id);
  }

  // --- ports ------------------------------------------------------------------------------------

  readonly ec2: HandoverEc2 = {
    describeSnapshot: async (id) => {
      const s = this.snaps.get(id);
      return s === undefined ? undefined : { id: s.id, state: s.state, startTime: new Date(s.startTime), lineage: LINEAGE, volumeId: s.volumeId };
    },
    createSnapshot: async (volumeId: string, tags: SnapshotTags) => {
      const s = this.createSnapshotNow(volumeId);
      return { id: s.id, state: s.state, startTime: new Date(s.startTime), lineage: tags.lineage, kind: tags.kind, volumeId };
    },
  };

  readonly ecs: HandoverEcs = {
    describeService: async (): Promise<ServiceState> => {
      const live = this.live();
      return {
        desiredCount: this.desiredCount,
        maximumPercent: 100,
        runningCount: live.filter((t) => t.phase !== 'provisioning' && (!this.placeWhileStopping || t.phase !== 'stopping')).length,
        pendingCount: live.filter((t) => t.phase === 'provisioning').length,
        deployments: [{ id: `ecs-svc/${this.deployment.n}`, status: 'PRIMARY', snapshotId: this.serviceSnapshot, taskDefinition: this.taskDefinition, createdAt: new Date(this.deployment.at) }],
      };
    },
    setDesiredCount: async (_c, _s, n) => {
      this.desiredCount = n;
      this.schedule();
    },
    rollSnapshot: async (_c, _s, snapshotId, options) => {
      // A new PRIMARY deployment (forceNewDeployment).
      this.deployment = { n: this.deployment.n + 1, at: this.clock.ms };
      this.serviceSnapshot = snapshotId;
      if (options?.desiredCount !== undefined) this.desiredCount = options.desiredCount;
      // forceNewDeployment: every running task is replaced.
      for (const t of this.live().filter((x) => x.phase !== 'stopping')) this.stopTask(t);
      this.schedule();
    },
    taskStatus: async (_c, arn) => this.statusOf(arn),
  };

  /**
   * CloudFormation's update of the service resource: the template's task definition, the
   * volume configuration with `snapshotId` (the LaunchSnapshot resource's answer) and its
   * DesiredCount 1 (CloudFormation sends the template's DesiredCount whenever the service resource
   * updates: aws/containers-roadmap#493), as one new deployment.
   */
  async cloudFormationUpdate(snapshotId: string, taskDefinition: string): Promise<void> {
    this.taskDefinition = taskDefinition;
    await this.ecs.rollSnapshot(CLUSTER, SERVICE, snapshotId, { desiredCount: 1 });
  }

  deps(overrides: Partial<HandoverDeps> = {}): HandoverDeps {
    return { record: this.record, ec2: this.ec2, ecs: this.ecs, clock: this.clock, log: (e) => this.logs.push(e), ...overrides };
  }

  /** Awaits `p` while virtual time runs (at most `maxMs` of it). */
  async drive<T>(p: Promise<T>, maxMs = 6 * 3600_000): Promise<T> {
    let settled = false;
    const guarded = p.finally(() => {
      settled = true;
    });
    guarded.catch(() => undefined);
    const end = this.clock.ms + maxMs;
    while (!settled && this.clock.ms < end) await this.clock.runUntil(this.clock.ms + 1_000);
    if (!settled) throw new Error('world: the driver did not finish in virtual time');
    return guarded;
  }

  /** Runs the world on until a task serves again (or `maxMs` passes). */
  async untilServing(maxMs = 3600_000): Promise<WTask | undefined> {
    const end = this.clock.ms + maxMs;
    for (;;) {
      const t = this.tasks.find((x) => x.phase === 'serving');
      if (t || this.clock.ms >= end) return t;
      await this.clock.runUntil(this.clock.ms + 1_000);
    }
  }

  serving(): WTask | undefined {
    return this.tasks.find((t) => t.phase === 'serving');
  }
}
