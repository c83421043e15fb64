/**
 * A deterministic, seeded model of the ECS service scheduler, EBS and SSM, implementing the
 * continuity ports in memory. It drives the real Keeper, reconcile() and restore() through those
 * ports under virtual time, models Jenkins as a writer of numbered records, and checks the
 * protocol's invariants I1–I6 (docs/protocol.md) as it goes.
 */
import { Keeper, KeeperError, type KeeperConfig } from '../../src/continuity/keeper.js';
import { deploymentSnapshotIds } from '../../src/continuity/decisions.js';
import { validHandoff } from '../../src/continuity/transitions.js';
import type { LineageRecord, RecordPort } from '../../src/continuity/record.js';
import { MemoryRecordStore } from '../continuity/memory-record.js';
import type { Deployment, ServiceState, Snapshot, SnapshotKind, Volume, VolumeState } from '../../src/continuity/model.js';
import type { Clock, DeltaPort, Ec2Port, EcsPort, KeeperHost, LogEntry, SnapshotTags } from '../../src/continuity/ports.js';
import { reconcile, type ReconcileReport } from '../../src/continuity/reconciler.js';
import { restore } from '../../src/continuity/restore.js';
import type { HandoverDeps } from '../../src/continuity/handover.js';
import { VirtualClock } from './clock.js';
import { Rng } from './rng.js';

export const LINEAGE = 'ci';
const CLUSTER = 'sim-cluster';
const SERVICE = 'sim-controller';
const START = Date.parse('2026-06-01T00:00:00Z');

export interface SimOptions {
  readonly seed: number;
  /** ECS deployment maximumPercent: 100 stops the old task first, 200 starts the new one first. */
  readonly maximumPercent?: 100 | 200;
  readonly desiredCount?: number;
  readonly intervalMinutes?: number;
  /** Probability that an AWS call is throttled (at most 2 times in a row per caller, so retries get through). */
  readonly throttleRate?: number;
  /** Probability that a snapshot ends in `error` instead of `completed`. */
  readonly snapshotFailRate?: number;
  /** Pending duration of a snapshot, uniform in [min, max] ms. */
  readonly pendingMs?: readonly [number, number];
  /** Start the lineage from a seed snapshot (tagged kind=seed) instead of an empty volume. */
  readonly seedSnapshot?: boolean;
  /** Task provisioning (volume creation + attach) in [min, max] ms. */
  readonly provisionMs?: readonly [number, number];
  /** Time Jenkins takes to stop after SIGTERM, in [min, max] ms. */
  readonly jenkinsStopMs?: readonly [number, number];
  /** Probability that the keeper gets SIGTERM together with Jenkins rather than after it. */
  readonly earlySigtermRate?: number;
  /** Forces the outcome of snapshots (scenario tests). */
  readonly snapshotOutcome?: (s: { kind?: SnapshotKind; n: number }) => { durationMs?: number; fail?: boolean } | undefined;
  readonly keepLast?: number;
  readonly keepDailyDays?: number;
  /** Keep every log line (scenario tests print them on failure). */
  readonly verbose?: boolean;
  /** Virtual time every AWS call takes (0: answers at once). */
  readonly callLatencyMs?: number;
  /**
   * EC2 listings (DescribeSnapshots by tag filter) show a new snapshot only after a lag, uniform in
   * [0, listLagMs] (or exactly listLagMs with listLagExact). Describe-by-id is always consistent.
   */
  readonly listLagMs?: number;
  readonly listLagExact?: boolean;
  /** Clock offset of the operator's machine (the CLI): its `now()` is off by this much. */
  readonly cliSkewMs?: number;
  /** Each task's and each reconciler invocation's clock is off by a random amount in [-taskSkewMs, taskSkewMs]. */
  readonly taskSkewMs?: number;
  /** The first snapshot of a volume (a full copy) is pending up to this long, with probability 1/2. */
  readonly firstSnapshotPendingMs?: number;
  /** Probability that ECS starts a replacement while the old task is still DEACTIVATING/STOPPING. */
  readonly replaceWhileStoppingRate?: number;
  /** `cdk deploy`: the launch value is resolved at change-set creation and applied this much later. */
  readonly deployApplyMs?: readonly [number, number];
  /** EventBridge delivers each reconciler trigger twice with this probability (at least once, any order). */
  readonly duplicateEventRate?: number;
  /** Probability that a record write lands but its answer is lost (the caller sees InternalServerError). */
  readonly lostAnswerRate?: number;
  /** Scenario hook: extra time an answer, computed already, takes to reach the caller (a slow network or SDK retry). */
  readonly answerDelay?: (caller: string, op: string, arg: string) => number;
  /**
   * The handoff (docs/design/handoff.md): keepers get a delta store, so a planned stop ships the
   * records written since the pre-copy's StartTime (minus the keeper's margin, by the task's own
   * clock, as ctime is) and the next task starts from the pre-copy. @default true
   */
  readonly handoff?: boolean;
  /** Probability that a delta upload, or a download/apply, fails (an apply that fails leaves part of it applied). */
  readonly deltaFailRate?: number;
  /** Scenario hook: told about every snapshot created (protocol or foreign). */
  readonly onSnapshotCreated?: (s: { id: string; kind?: SnapshotKind; volumeId: string; foreign: boolean }) => void;
}

interface SimSnapshot {
  id: string;
  /** When a tag-filtered listing starts showing it (describe by id shows it at once). */
  listedAt: number;
  /** Taken by something other than the protocol (AWS Backup, DLM, a person), tags copied. */
  foreign?: boolean;
  n: number;
  volumeId: string;
  state: Snapshot['state'];
  startTime: number;
  lineage: string;
  kind?: SnapshotKind;
  task?: string;
  source?: string;
  promotedAt?: number;
  content: ReadonlySet<number>;
}

interface SimVolume {
  id: string;
  state: VolumeState;
  createTime: number;
  snapshotId?: string;
  holder?: string;
  /** Records on disk (what a snapshot captures). */
  disk: Set<number>;
  /** Written but not yet flushed (page cache); lost on a crash, flushed by sync or writeback. */
  dirty: Map<number, number>;
  /** Key of the handoff delta a keeper applied onto it. */
  appliedDelta?: string;
}

interface SimDeployment {
  id: string;
  status: Deployment['status'];
  rolloutState: NonNullable<Deployment['rolloutState']>;
  snapshotId?: string;
  /** Task definition revision (`jenkins:N`); a deploy that replaces the task moves it. */
  taskDefinition: string;
  createdAt: number;
  /** Started by a planned handover (restart or deploy): its first task must never be stale. */
  planned?: { at: number; firstTask?: number };
}

type JenkinsState = 'gated' | 'running' | 'stopping' | 'stopped';

export interface Caller {
  readonly name: string;
  alive: boolean;
  /** This actor's clock offset (client clocks are never exact). */
  skewMs?: number;
  /** Throttled calls in a row, per operation: AWS answers every operation within 3 tries. */
  throttledInARow: Map<string, number>;
}

interface SimTask {
  arn: string;
  n: number;
  deploymentId: string;
  phase: 'provisioning' | 'running' | 'stopping' | 'stopped';
  attach: 'ATTACHING' | 'ATTACHED' | 'DETACHED';
  volumeId: string;
  keeper?: Keeper;
  caller: Caller;
  jenkins: JenkinsState;
  run?: JenkinsRun;
  keeperExit?: number;
  /** The keeper exited while Jenkins was still stopping: the task stops once Jenkins has. */
  deprovisionWhenJenkinsStops?: boolean;
}

interface JenkinsRun {
  task: string;
  volumeId: string;
  startAt: number;
  startHome: ReadonlySet<number>;
  source?: string;
  stopAt?: number;
  stopKind?: 'graceful' | 'crash' | 'keeper-crash';
  homeAtStop?: ReadonlySet<number>;
  finalSnapshotId?: string;
  snapshotIds: string[];
  /** A periodic snapshot round of this run's keeper failed or was skipped for an error. */
  snapshotRoundFailed: boolean;
  /** Restore requested while this run was the latest one. */
  restoredAfter?: string;
}

export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

function throttleError(): Error {
  const e = new Error('Request limit exceeded.');
  e.name = 'RequestLimitExceeded';
  return e;
}

function awsError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

type Hooks = 'snapshotOutcome' | 'answerDelay' | 'onSnapshotCreated';

export class Sim {
  readonly clock = new VirtualClock(START);
  readonly rng: Rng;
  readonly opts: Required<Omit<SimOptions, Hooks>> & Pick<SimOptions, Hooks>;
  readonly log: string[] = [];
  readonly violations: string[] = [];

  private readonly snapshots = new Map<string, SimSnapshot>();
  private readonly volumes = new Map<string, SimVolume>();
  private readonly deployments: SimDeployment[] = [];
  readonly tasks: SimTask[] = [];
  readonly runs: JenkinsRun[] = [];
  private readonly recordTime = new Map<number, number>();
  /** Uploaded handoff deltas by key (S3 is strongly consistent: readable once written). */
  private readonly deltas = new Map<string, ReadonlySet<number>>();
  /** Snapshots that ended in error (the reconciler deletes them, the checks still need to know). */
  private readonly failedSnapshots = new Set<string>();
  /** Every snapshot some record write made a member (I3 promises only a registered final). */
  private readonly registeredSnapshots = new Set<string>();
  private desiredCount: number;
  private seq = { snap: 0, vol: 0, task: 0, dep: 0, record: 0 };
  private lastSnapshotOfVolume = new Map<string, number>();
  private schedulerQueued = false;
  /** The lineage record store: strongly consistent reads, atomic conditional writes (DynamoDB). */
  readonly store = new MemoryRecordStore();
  /** Launch values of change sets created and not applied yet (I5: they must still exist when applied). */
  private readonly pendingDeploys: string[] = [];
  private invocations = 0;
  /** Reconciler invocations running right now (no reserved concurrency: any number at once). */
  concurrentReconcilers = 0;
  maxConcurrentReconcilers = 0;
  readonly reconcileReports: ReconcileReport[] = [];
  rollsByHead = new Map<string, number>();
  private restoring: { snapshotId: string; done: boolean; error?: string } | undefined;
  private restoredTo: { snapshotId: string; content: ReadonlySet<number> } | undefined;
  /** Liveness: since when no authorized Jenkins runs although one should (undefined while one runs). */
  private downSince: number | undefined;
  maxDowntimeMs = 0;
  /** I4 checks made (a crash lost writes and the bound applied), and the largest loss window seen. */
  crashLossChecks = 0;
  maxCrashLossMs = 0;
  private seedId: string | undefined;
  stepNo = 0;

  constructor(options: SimOptions) {
    this.opts = {
      maximumPercent: 100,
      desiredCount: 1,
      intervalMinutes: 5,
      throttleRate: 0,
      snapshotFailRate: 0,
      pendingMs: [10_000, 240_000],
      seedSnapshot: false,
      provisionMs: [5_000, 40_000],
      jenkinsStopMs: [1_000, 20_000],
      earlySigtermRate: 0.3,
      keepLast: 3,
      keepDailyDays: 2,
      verbose: false,
      callLatencyMs: 0,
      listLagMs: 0,
      listLagExact: false,
      cliSkewMs: 0,
      taskSkewMs: 0,
      firstSnapshotPendingMs: 0,
      replaceWhileStoppingRate: 0,
      deployApplyMs: [0, 0],
      duplicateEventRate: 0,
      lostAnswerRate: 0,
      handoff: true,
      deltaFailRate: 0,
      ...options,
    };
    this.rng = new Rng(options.seed);
    this.desiredCount = this.opts.desiredCount;
    if (this.opts.seedSnapshot) {
      const seed = this.addSnapshot({ volumeId: 'vol-seed', kind: 'seed', content: new Set([-3, -2, -1]), state: 'completed' });
      this.seedId = seed.id;
    }
    this.deployments.push({ id: this.nextDeploymentId(), status: 'PRIMARY', rolloutState: 'IN_PROGRESS', taskDefinition: 'jenkins:1', createdAt: this.clock.ms, ...(this.seedId ? { snapshotId: this.seedId } : {}) });
    // Reconciler: every 5 minutes as the safety net, plus events.
    const schedule = (): void => {
      this.clock.schedule(300_000, () => {
        this.triggerReconcile('schedule', 0);
        schedule();
      });
    };
    schedule();
    const writer = (): void => {
      this.clock.schedule(10_000, () => {
        this.jenkinsWrites();
        writer();
      });
    };
    writer();
    this.kickScheduler();
  }

  // ---------------------------------------------------------------- logging

  private say(what: string): void {
    const t = ((this.clock.ms - START) / 1000).toFixed(0).padStart(5);
    this.log.push(`[${t}s #${this.stepNo}] ${what}`);
  }

  private keeperLog(task: SimTask): (e: LogEntry) => void {
    return (e) => {
      if (e.msg === 'gate decision' && e.decision === 'stale') this.staleGate(task);
      if ((e.msg === 'periodic snapshot not taken' || e.msg === 'previous periodic snapshot failed') && task.run) task.run.snapshotRoundFailed = true;
      if (!this.opts.verbose && e.level === 'debug') return;
      const { msg, level, lineage: _l, task: _t, ...rest } = e;
      this.say(`keeper t${task.n} ${level}: ${msg} ${JSON.stringify(rest)}`);
    };
  }

  private violation(inv: string, detail: string): void {
    const line = `${inv} violated at ${((this.clock.ms - START) / 1000).toFixed(0)}s (step ${this.stepNo}): ${detail}`;
    this.violations.push(line);
    this.say(`!!! ${line}`);
  }

  // ---------------------------------------------------------------- ids and truth

  private nextDeploymentId(): string {
    return `ecs-svc/${String(++this.seq.dep).padStart(4, '0')}`;
  }

  private addSnapshot(s: { volumeId: string; kind?: SnapshotKind; task?: string; source?: string; content: ReadonlySet<number>; state: Snapshot['state'] }): SimSnapshot {
    const n = ++this.seq.snap;
    const lag = this.opts.listLagMs <= 0 ? 0 : this.opts.listLagExact ? this.opts.listLagMs : this.rng.int(0, this.opts.listLagMs);
    const snap: SimSnapshot = { id: `snap-${String(n).padStart(6, '0')}`, n, startTime: this.clock.ms, listedAt: this.clock.ms + lag, lineage: LINEAGE, ...s };
    this.snapshots.set(snap.id, snap);
    return snap;
  }

  private toSnapshot(s: SimSnapshot): Snapshot {
    return {
      id: s.id,
      state: s.state,
      startTime: new Date(s.startTime),
      lineage: s.lineage,
      ...(s.kind ? { kind: s.kind } : {}),
      ...(s.task ? { task: s.task } : {}),
      ...(s.source ? { source: s.source } : {}),
      ...(s.promotedAt !== undefined ? { promotedAt: new Date(s.promotedAt) } : {}),
      volumeId: s.volumeId,
    };
  }

  private toVolume(v: SimVolume): Volume {
    return { id: v.id, state: v.state, createTime: new Date(v.createTime), ...(v.snapshotId ? { snapshotId: v.snapshotId } : {}), ...(v.holder ? { holder: v.holder } : {}) };
  }

  /** The head as the protocol defines it, from the simulator's own truth. */
  trueHead(): Snapshot | undefined {
    const id = this.record?.head?.snapshotId;
    const s = id === undefined ? undefined : this.snapshots.get(id);
    return s ? this.toSnapshot(s) : undefined;
  }

  /** The lineage record as stored right now. */
  get record(): LineageRecord | undefined {
    return this.store.peek(LINEAGE);
  }

  snapshotList(): Snapshot[] {
    return [...this.snapshots.values()].map((s) => this.toSnapshot(s));
  }

  snapshotContent(id: string): ReadonlySet<number> | undefined {
    return this.snapshots.get(id)?.content;
  }

  /** `record.launch`: what the next deploy hands CloudFormation. */
  get launchValue(): string | undefined {
    return this.record?.launch;
  }

  serviceState(): ServiceState {
    const live = this.tasks.filter((t) => t.phase !== 'stopped');
    return {
      desiredCount: this.desiredCount,
      runningCount: live.filter((t) => t.phase === 'running').length,
      pendingCount: live.filter((t) => t.phase === 'provisioning').length,
      maximumPercent: this.opts.maximumPercent,
      deployments: this.deployments
        .filter((d) => d.status !== 'INACTIVE')
        .map((d) => ({
          id: d.id,
          status: d.status,
          rolloutState: d.rolloutState,
          createdAt: new Date(d.createdAt),
          ...(d.snapshotId ? { snapshotId: d.snapshotId } : {}),
          taskDefinition: d.taskDefinition,
          runningCount: live.filter((t) => t.deploymentId === d.id && t.phase === 'running').length,
          desiredCount: d.status === 'PRIMARY' ? this.desiredCount : 0,
        })),
    };
  }

  /** Tasks whose Jenkins has passed the gate and not yet stopped. */
  runningJenkins(): SimTask[] {
    return this.tasks.filter((t) => t.jenkins === 'running' || t.jenkins === 'stopping');
  }

  // ---------------------------------------------------------------- ports

  private async call(caller: Caller, op: string): Promise<void> {
    if (!caller.alive) return never();
    if (this.opts.callLatencyMs > 0) {
      await this.clock.sleep(this.opts.callLatencyMs);
      if (!caller.alive) return never();
    }
    const inARow = caller.throttledInARow.get(op) ?? 0;
    if (this.opts.throttleRate > 0 && inARow < 2 && this.rng.chance(this.opts.throttleRate)) {
      caller.throttledInARow.set(op, inARow + 1);
      throw throttleError();
    }
    caller.throttledInARow.set(op, 0);
  }

  ec2For(caller: Caller): Ec2Port {
    return {
      listLineage: async (lineage) => {
        await this.call(caller, 'listLineage');
        const now = this.clock.ms;
        return [...this.snapshots.values()].filter((s) => s.lineage === lineage && s.listedAt <= now).map((s) => this.toSnapshot(s));
      },
      describeSnapshot: async (id) => {
        await this.call(caller, 'describeSnapshot');
        const s = this.snapshots.get(id);
        const answer = s ? this.toSnapshot(s) : undefined;
        await this.deliver(caller, 'describeSnapshot', id);
        return answer;
      },
      createSnapshot: async (volumeId: string, tags: SnapshotTags) => {
        await this.call(caller, 'createSnapshot');
        const v = this.volumes.get(volumeId);
        if (v === undefined || v.state === 'deleted') throw awsError('InvalidVolume.NotFound', `volume ${volumeId} does not exist`);
        const last = this.lastSnapshotOfVolume.get(volumeId);
        if (last !== undefined && this.clock.ms - last < 15_000) {
          throw awsError('SnapshotCreationPerVolumeRateExceeded', 'snapshot rate exceeded for this volume');
        }
        this.lastSnapshotOfVolume.set(volumeId, this.clock.ms);
        const snap = this.addSnapshot({
          volumeId,
          kind: tags.kind,
          ...(tags.task ? { task: tags.task } : {}),
          ...(tags.source ? { source: tags.source } : {}),
          content: new Set(v.disk),
          state: 'pending',
        });
        const forced = this.opts.snapshotOutcome?.({ kind: tags.kind, n: snap.n });
        const first = last === undefined && this.opts.firstSnapshotPendingMs > 0 && this.rng.chance(0.5);
        const duration = forced?.durationMs ?? (first ? this.rng.int(this.opts.pendingMs[0], this.opts.firstSnapshotPendingMs) : this.rng.int(this.opts.pendingMs[0], this.opts.pendingMs[1]));
        const fail = forced?.fail ?? this.rng.chance(this.opts.snapshotFailRate);
        const run = this.runs.find((r) => r.task === tags.task && r.stopAt === undefined) ?? this.runs.find((r) => r.task === tags.task);
        run?.snapshotIds.push(snap.id);
        if (tags.kind === 'final' && run) run.finalSnapshotId = snap.id;
        this.say(`CreateSnapshot ${snap.id} kind=${tags.kind} of ${volumeId} (${snap.content.size} records) -> ${fail ? 'error' : 'completed'} in ${duration} ms`);
        this.opts.onSnapshotCreated?.({ id: snap.id, kind: tags.kind, volumeId, foreign: false });
        this.clock.schedule(duration, () => {
          const s = this.snapshots.get(snap.id);
          if (s === undefined) return;
          s.state = fail ? 'error' : 'completed';
          if (fail) this.failedSnapshots.add(s.id);
          this.say(`snapshot ${s.id} ${s.state}`);
          this.triggerReconcile(`snapshot ${s.state}`, this.rng.int(1_000, 10_000));
        });
        return this.toSnapshot(snap);
      },
      deleteSnapshot: async (id) => {
        await this.call(caller, 'deleteSnapshot');
        const s = this.snapshots.get(id);
        if (s === undefined) throw awsError('InvalidSnapshot.NotFound', `snapshot ${id} does not exist`);
        const rec = this.record;
        const referenced = deploymentSnapshotIds(this.serviceState());
        if (rec?.head?.snapshotId === id) this.violation('I5', `the head ${id} was deleted`);
        if (rec?.launch === id) this.violation('I5', `${id}, the launch snapshot, was deleted`);
        if (referenced.has(id)) this.violation('I5', `${id}, referenced by a deployment, was deleted`);
        if (s.foreign) this.violation('I5', `${id}, a snapshot the protocol did not take, was deleted`);
        for (const p of this.pendingDeploys) if (p === id) this.violation('I5', `${id}, named by a change set not applied yet, was deleted`);
        this.snapshots.delete(id);
        this.say(`DeleteSnapshot ${id} (${s.state}, ${s.kind ?? 'untagged'})`);
      },
      describeVolume: async (id) => {
        await this.call(caller, 'describeVolume');
        const v = this.volumes.get(id);
        return v && v.state !== 'deleted' ? this.toVolume(v) : undefined;
      },
      listHolders: async (lineage) => {
        await this.call(caller, 'listHolders');
        return [...this.volumes.values()].filter((v) => v.holder === lineage && v.state !== 'deleted').map((v) => this.toVolume(v));
      },
    };
  }

  ecsFor(caller: Caller): EcsPort {
    return {
      describeVolumeAttachment: async (_cluster, taskArn) => {
        await this.call(caller, 'describeVolumeAttachment');
        const t = this.tasks.find((x) => x.arn === taskArn);
        if (t === undefined) return undefined;
        return { status: t.attach, ...(t.attach === 'ATTACHED' ? { volumeId: t.volumeId } : {}) };
      },
      describeService: async () => {
        await this.call(caller, 'describeService');
        return this.serviceState();
      },
      taskStatus: async (_cluster, taskArn) => {
        await this.call(caller, 'taskStatus');
        const t = this.tasks.find((x) => x.arn === taskArn);
        if (t === undefined) return 'MISSING';
        return t.phase === 'provisioning' ? 'PROVISIONING' : t.phase === 'running' ? 'RUNNING' : t.phase === 'stopping' ? 'DEACTIVATING' : 'STOPPED';
      },
      rollSnapshot: async (_c, _s, snapshotId, options) => {
        await this.call(caller, 'rollSnapshot');
        if (caller.name.startsWith('reconciler')) {
          // A restore can make an old snapshot the head again (with a new seq): that is a new head.
          const key = `${snapshotId}@${this.record?.head?.snapshotId === snapshotId ? this.record.head.seq : '?'}`;
          const n = (this.rollsByHead.get(key) ?? 0) + 1;
          this.rollsByHead.set(key, n);
          if (n > 1) this.violation('roll-once', `the reconciler rolled the service to ${snapshotId} ${n} times`);
        }
        if (options?.desiredCount !== undefined) this.desiredCount = options.desiredCount;
        this.newDeployment(snapshotId, `UpdateService snapshotId=${snapshotId} by ${caller.name}`, caller.name.startsWith('reconciler'), { planned: caller.name.startsWith('handover') });
      },
      setDesiredCount: async (_c, _s, n) => {
        await this.call(caller, 'setDesiredCount');
        this.desiredCount = n;
        this.say(`desiredCount=${n} by ${caller.name}`);
        this.disruption();
        this.kickScheduler();
      },
    };
  }

  /** The record store as a caller sees it: throttling, and (lostAnswerRate) writes whose answer is lost. */
  recordFor(caller: Caller): RecordPort {
    return {
      read: async (lineage) => {
        await this.call(caller, 'record.read');
        return this.store.peek(lineage);
      },
      write: async (next, expected) => {
        await this.call(caller, 'record.write');
        const ok = this.store.writeNow(next, expected);
        if (ok) for (const m of next.snapshots) this.registeredSnapshots.add(m.snapshotId);
        if (ok) this.say(`record seq ${next.seq} by ${caller.name}: head ${next.head?.snapshotId ?? '-'}, holder ${next.holder ? `${next.holder.taskArn.split('/').pop()}#${next.holder.token}` : '-'}, launch ${next.launch ?? '-'}${next.operation ? `, op ${next.operation.kind}/${next.operation.step}` : ''}`);
        if (ok && this.opts.lostAnswerRate > 0 && this.rng.chance(this.opts.lostAnswerRate)) throw awsError('InternalServerError', 'the write landed but its answer was lost');
        return ok;
      },
    };
  }


  /** The scenario's extra transit time for an answer already computed (answerDelay hook). */
  private async deliver(caller: Caller, op: string, arg: string): Promise<void> {
    const extra = this.opts.answerDelay?.(caller.name, op, arg) ?? 0;
    if (extra > 0) {
      this.say(`(answer of ${op} ${arg} to ${caller.name} delayed ${extra} ms)`);
      await this.clock.sleep(extra);
    }
  }

  /** A clock whose sleeps never end once the caller is dead (its process is gone), off by the caller's skew. */
  private clockFor(caller: Caller): Clock {
    return {
      now: () => new Date(this.clock.ms + (caller.skewMs ?? 0)),
      sleep: (ms) => (caller.alive ? this.clock.sleep(ms).then(() => (caller.alive ? undefined : never<void>())) : never()),
    };
  }

  // ---------------------------------------------------------------- ECS service scheduler

  private newDeployment(snapshotId: string | undefined, why: string, byReconciler = false, change: { taskDefinition?: string; planned?: boolean } = {}): void {
    // Someone else moved the service off a head the reconciler had rolled to: rolling back to it is
    // a new roll, not a repeated one (roll-once counts repeats of the reconciler's own decision).
    const primary = this.deployments.find((d) => d.status === 'PRIMARY');
    if (!byReconciler && primary?.snapshotId !== snapshotId) this.rollsByHead.clear();
    for (const d of this.deployments) if (d.status === 'PRIMARY') d.status = 'ACTIVE';
    this.deployments.unshift({
      id: this.nextDeploymentId(),
      status: 'PRIMARY',
      rolloutState: 'IN_PROGRESS',
      taskDefinition: change.taskDefinition ?? primary?.taskDefinition ?? 'jenkins:1',
      createdAt: this.clock.ms,
      ...(snapshotId ? { snapshotId } : {}),
      ...(change.planned ? { planned: { at: this.clock.ms } } : {}),
    });
    this.say(`new deployment ${this.deployments[0]!.id} from ${snapshotId ?? 'empty'} (${why})`);
    this.disruption();
    this.kickScheduler();
  }

  private kickScheduler(): void {
    if (this.schedulerQueued) return;
    this.schedulerQueued = true;
    this.clock.schedule(1_000, () => {
      this.schedulerQueued = false;
      this.schedulerTick();
    });
  }

  private schedulerTick(): void {
    const primary = this.deployments.find((d) => d.status === 'PRIMARY')!;
    const live = (): SimTask[] => this.tasks.filter((t) => t.phase !== 'stopped');
    const primaryActive = (): SimTask[] => live().filter((t) => t.deploymentId === primary.id && t.phase !== 'stopping');
    const old = live().filter((t) => t.deploymentId !== primary.id && t.phase !== 'stopping');
    const cap = this.opts.maximumPercent === 200 ? this.desiredCount * 2 : this.desiredCount;
    if (this.opts.maximumPercent === 100 || this.desiredCount === 0) {
      for (const t of old) this.stopTask(t, 'replaced by a new deployment');
    } else if (primaryActive().filter((t) => t.phase === 'running').length >= this.desiredCount) {
      for (const t of old) this.stopTask(t, 'replaced by a new deployment');
    }
    while (primaryActive().length > this.desiredCount) this.stopTask(primaryActive().at(-1)!, 'desiredCount lowered');
    // ECS may place the replacement while the old task is still DEACTIVATING/STOPPING.
    const early = this.opts.replaceWhileStoppingRate > 0 && this.rng.chance(this.opts.replaceWhileStoppingRate);
    const counted = (): number => (early ? live().filter((t) => t.phase !== 'stopping').length : live().length);
    while (primaryActive().length < this.desiredCount && counted() < Math.max(cap, 1)) this.startTask(primary);
    for (const d of this.deployments) {
      if (d.status === 'ACTIVE' && !live().some((t) => t.deploymentId === d.id)) d.status = 'INACTIVE';
    }
    const steady = primaryActive().filter((t) => t.phase === 'running').length === this.desiredCount && !this.deployments.some((d) => d.status === 'ACTIVE');
    primary.rolloutState = steady ? 'COMPLETED' : 'IN_PROGRESS';
  }

  private startTask(dep: SimDeployment): void {
    const n = ++this.seq.task;
    if (dep.planned && dep.planned.firstTask === undefined) {
      dep.planned.firstTask = n;
      this.plannedStarts++;
    }
    const caller: Caller = { name: `task${n}`, alive: true, throttledInARow: new Map(), skewMs: this.taskSkew() };
    const volN = ++this.seq.vol;
    const volume: SimVolume = { id: `vol-${String(volN).padStart(6, '0')}`, state: 'creating', createTime: this.clock.ms, disk: new Set(), dirty: new Map() };
    if (dep.snapshotId) {
      const s = this.snapshots.get(dep.snapshotId);
      if (s === undefined) this.violation('I5', `deployment ${dep.id} launches from deleted snapshot ${dep.snapshotId}`);
      else if (s.state !== 'completed') this.violation('I2', `deployment ${dep.id} launches from ${s.state} snapshot ${s.id}`);
      volume.snapshotId = dep.snapshotId;
      volume.disk = new Set(s?.content ?? []);
    }
    this.volumes.set(volume.id, volume);
    const task: SimTask = { arn: `arn:aws:ecs:sim:task/${CLUSTER}/${n}`, n, deploymentId: dep.id, phase: 'provisioning', attach: 'ATTACHING', volumeId: volume.id, caller, jenkins: 'gated' };
    this.tasks.push(task);
    this.say(`task t${n} provisioning (deployment ${dep.id}, ${volume.id} from ${dep.snapshotId ?? 'empty'})`);
    const provision = this.rng.int(this.opts.provisionMs[0], this.opts.provisionMs[1]);
    // The containers start before the volume shows as ATTACHED in DescribeTasks.
    this.clock.schedule(Math.floor(provision / 2), () => {
      if (task.phase !== 'provisioning') return;
      task.phase = 'running';
      this.launchKeeper(task);
      this.kickScheduler();
      this.triggerReconcile('task running', this.rng.int(1_000, 10_000));
    });
    this.clock.schedule(provision, () => {
      if (task.phase === 'stopped') return;
      volume.state = 'in-use';
      task.attach = 'ATTACHED';
    });
  }

  private keeperConfig(task: SimTask): KeeperConfig {
    return {
      lineage: LINEAGE,
      cluster: CLUSTER,
      taskArn: task.arn,
      homePath: '/var/jenkins_home',
      intervalMinutes: this.opts.intervalMinutes,
      attachmentTimeoutMs: 300_000,
      staleRecheckMs: 15_000,
      holderPollMs: 10_000,
      bootstrapSettleMs: 20_000,
      stopBudgetMs: 100_000,
    };
  }

  private launchKeeper(task: SimTask): void {
    const host: KeeperHost = {
      sync: async () => {
        if (!task.caller.alive) return never();
        this.flush(this.volumes.get(task.volumeId)!, Number.POSITIVE_INFINITY);
      },
      writeMarker: async (kind, body) => {
        if (!task.caller.alive) return never();
        if (kind === 'authorized') this.onAuthorized(task);
        else this.say(`t${task.n} stale marker: ${body}`);
      },
      clearMarker: async () => {
        if (!task.caller.alive) return never();
      },
      jenkinsStopped: async () => {
        if (!task.caller.alive) return never();
        return task.jenkins === 'stopped' || task.jenkins === 'gated';
      },
    };
    const keeper = new Keeper(
      {
        ec2: this.ec2For(task.caller),
        ecs: this.ecsFor(task.caller),
        record: this.recordFor(task.caller),
        clock: this.clockFor(task.caller),
        host,
        log: this.keeperLog(task),
        ...(this.opts.handoff ? { delta: this.deltaFor(task) } : {}),
      },
      this.keeperConfig(task),
    );
    task.keeper = keeper;
    // A fenced keeper exits non-zero; it is essential, so ECS stops the task.
    void keeper.fenced.then(() => {
      if (!task.caller.alive) return;
      this.say(`t${task.n} keeper fenced; exits non-zero`);
      this.keeperDied(task, 'keeper-crash');
    });
    keeper
      .start()
      .then(() => keeper.runPeriodic())
      .catch((err: unknown) => {
        if (err instanceof KeeperError && err.code === 'aborted') return;
        this.say(`t${task.n} keeper exited: ${String(err)}`);
        this.keeperDied(task, 'keeper-crash');
      });
  }

  /**
   * The delta store as a keeper sees it. `ship` packs what the real one packs: every record whose
   * write time, on the task's own clock (ctime is the kernel's), is at or after the cutoff, from
   * the home as the process sees it (disk and page cache). `apply` adds them to the volume; a
   * failed apply leaves a part of them applied, as a real one that died midway would.
   */
  private deltaFor(task: SimTask): DeltaPort {
    const clock = this.clockFor(task.caller);
    const late = (deadline: Date): boolean => clock.now().getTime() > deadline.getTime();
    return {
      ship: async (_home, cutoff, key, deadline) => {
        await clock.sleep(this.rng.int(500, 8_000));
        if (late(deadline)) throw new Error('sim: delta upload outlived its deadline');
        if (this.rng.chance(this.opts.deltaFailRate)) {
          this.failedShipAt.set(task.volumeId, this.clock.ms);
          throw new Error('sim: delta upload failed');
        }
        const v = this.volumes.get(task.volumeId)!;
        const skew = task.caller.skewMs ?? 0;
        const added = new Set([...v.disk, ...v.dirty.keys()].filter((r) => this.recordTime.get(r)! + skew >= cutoff.getTime()));
        this.deltas.set(key, added);
        this.say(`t${task.n} shipped delta ${key} (${added.size} records since ${cutoff.toISOString()})`);
        return { key, sha256: `sim-${key}`, bytes: added.size * 1024, files: added.size };
      },
      apply: async (_home, ref) => {
        await clock.sleep(this.rng.int(500, 5_000));
        const added = this.deltas.get(ref.key);
        if (added === undefined) throw new Error(`sim: NoSuchKey ${ref.key}`);
        const v = this.volumes.get(task.volumeId)!;
        if (this.rng.chance(this.opts.deltaFailRate)) {
          this.failedDeltaVolumes.add(v.id);
          for (const r of added) if (this.rng.chance(0.5)) v.disk.add(r);
          throw new Error('sim: delta apply failed midway');
        }
        for (const r of added) v.disk.add(r);
        v.appliedDelta = ref.key;
        this.say(`t${task.n} applied delta ${ref.key} onto ${v.id}`);
      },
    };
  }

  private onAuthorized(task: SimTask): void {
    const volume = this.volumes.get(task.volumeId)!;
    const others = this.runningJenkins().filter((t) => t !== task);
    if (others.length > 0) this.violation('I1', `t${task.n} authorized while ${others.map((t) => `t${t.n}`).join(', ')} run Jenkins`);
    const head = this.trueHead();
    const bootstrapOk = head === undefined && (volume.snapshotId === undefined || volume.snapshotId === this.seedId);
    // The handoff's base with its delta applied is the head's home (or, the final failed, the newest one).
    const handoff = this.record ? validHandoff(this.record) : undefined;
    const viaHandoff = handoff !== undefined && volume.appliedDelta === handoff.delta.key && volume.snapshotId === handoff.base;
    if (!bootstrapOk && volume.snapshotId !== head?.id && !viaHandoff) {
      this.violation('I2', `t${task.n} authorized on ${volume.id} built from ${volume.snapshotId ?? 'nothing'}, head is ${head?.id ?? 'none'}`);
    }
    const home = new Set([...volume.disk, ...volume.dirty.keys()]);
    const run: JenkinsRun = { task: task.arn, volumeId: volume.id, startAt: this.clock.ms, startHome: home, snapshotIds: [], snapshotRoundFailed: false, ...(volume.snapshotId ? { source: volume.snapshotId } : {}) };
    this.checkContinuity(run);
    this.runs.push(run);
    task.run = run;
    task.jenkins = 'running';
    this.downSince = undefined;
    this.say(`t${task.n} AUTHORIZED on ${volume.id} (from ${volume.snapshotId ?? 'empty'}, ${home.size} records)`);
  }

  /** I3 / I4 (and restore correctness) when a new Jenkins starts. */
  private checkContinuity(run: JenkinsRun): void {
    const prev = this.runs.at(-1);
    if (this.restoredTo !== undefined) {
      const want = this.restoredTo.content;
      if (run.source === this.restoredTo.snapshotId) {
        if (want.size !== run.startHome.size || [...want].some((r) => !run.startHome.has(r))) this.violation('restore', `home after restore differs from ${this.restoredTo.snapshotId}`);
        this.restoredTo = undefined;
        return;
      }
    }
    if (prev === undefined) {
      const seed = this.seedId ? this.snapshots.get(this.seedId)?.content : undefined;
      const expected = seed ?? new Set<number>();
      if (run.startHome.size !== expected.size) this.violation('I2', `bootstrap home has ${run.startHome.size} records, expected ${expected.size}`);
      return;
    }
    if (prev.restoredAfter !== undefined || prev.homeAtStop === undefined || prev.stopAt === undefined) return;
    const lost = [...prev.homeAtStop].filter((r) => !run.startHome.has(r));
    const foreign = [...run.startHome].filter((r) => !prev.homeAtStop!.has(r));
    if (foreign.length > 0) this.violation('I2', `home of the new Jenkins holds ${foreign.length} record(s) the previous one never had`);
    if (lost.length === 0) return;
    // I3's promise is a final snapshot registered as the head before release. A keeper that dies
    // (its task crashes) between CreateSnapshot and that write leaves the final outside the record:
    // the fence keeps the last registered head, which is I4's case (bounded loss), not I3's.
    const finalOk = prev.finalSnapshotId !== undefined && !this.failedSnapshots.has(prev.finalSnapshotId) && this.registeredSnapshots.has(prev.finalSnapshotId);
    if (prev.stopKind === 'graceful' && finalOk) {
      this.violation('I3', `${lost.length} record(s) written before a graceful stop are missing (first ${lost[0]})`);
      return;
    }
    // I4 is promised when snapshots succeed: skip runs whose snapshot rounds failed.
    const errored = prev.snapshotIds.some((id) => this.failedSnapshots.has(id));
    if (errored || prev.snapshotRoundFailed) return;
    // Slack: backoff of throttled calls and the time each periodic round itself takes.
    const boundMs = this.opts.intervalMinutes * 60_000 + this.maxPendingMs + 15_000;
    const oldest = Math.min(...lost.map((r) => this.recordTime.get(r)!));
    this.crashLossChecks++;
    this.maxCrashLossMs = Math.max(this.maxCrashLossMs, prev.stopAt - oldest);
    if (prev.stopAt - oldest > boundMs) {
      this.violation('I4', `lost writes from ${(prev.stopAt - oldest) / 1000}s before the stop (bound ${boundMs / 1000}s, stop ${prev.stopKind})`);
    }
  }

  private flush(v: SimVolume, olderThan: number): void {
    for (const [r, t] of v.dirty) {
      if (t <= olderThan) {
        v.disk.add(r);
        v.dirty.delete(r);
      }
    }
  }

  private jenkinsWrites(): void {
    const writeback = this.clock.ms - 30_000;
    for (const t of this.tasks) {
      if (t.jenkins !== 'running' && t.jenkins !== 'stopping') continue;
      const v = this.volumes.get(t.volumeId)!;
      const r = ++this.seq.record;
      this.recordTime.set(r, this.clock.ms);
      v.dirty.set(r, this.clock.ms);
      this.flush(v, writeback);
    }
  }

  private jenkinsStopped(task: SimTask, kind: NonNullable<JenkinsRun['stopKind']>): void {
    if (task.jenkins === 'stopped') return;
    const wasRunning = task.jenkins !== 'gated';
    task.jenkins = 'stopped';
    if (wasRunning && task.run) {
      const v = this.volumes.get(task.volumeId)!;
      task.run.stopAt = this.clock.ms;
      task.run.stopKind = kind;
      task.run.homeAtStop = new Set([...v.disk, ...v.dirty.keys()]);
      this.say(`t${task.n} Jenkins stopped (${kind})`);
    }
  }

  /** Graceful stop: SIGTERM to Jenkins, then to the keeper (or both at once), SIGKILL after 120 s. */
  private stopTask(task: SimTask, why: string): void {
    if (task.phase === 'stopping' || task.phase === 'stopped') return;
    const wasRunning = task.jenkins === 'running';
    task.phase = 'stopping';
    this.say(`t${task.n} stopping: ${why}`);
    const jenkinsStop = wasRunning ? this.rng.int(this.opts.jenkinsStopMs[0], this.opts.jenkinsStopMs[1]) : 0;
    if (wasRunning) task.jenkins = 'stopping';
    const early = wasRunning && this.rng.chance(this.opts.earlySigtermRate);
    const sigtermKeeper = (): void => {
      if (!task.caller.alive || task.keeper === undefined) return this.deprovision(task);
      let done = false;
      const kill = this.clock.schedule(120_000, () => {
        if (done) return;
        this.say(`t${task.n} keeper SIGKILLed after 120 s`);
        task.caller.alive = false;
        this.jenkinsStopped(task, 'graceful');
        this.deprovision(task);
      });
      task.keeper.stop().then((code) => {
        done = true;
        kill();
        task.keeperExit = code;
        this.say(`t${task.n} keeper exited ${code}`);
        task.caller.alive = false;
        // The essential keeper exiting makes ECS stop the task, but Jenkins (already sent SIGTERM)
        // runs on, and writes, until it stops by itself or its stopTimeout SIGKILLs it.
        if (task.jenkins === 'stopping') {
          this.say(`t${task.n} keeper gone; Jenkins still shutting down`);
          task.deprovisionWhenJenkinsStops = true;
          return;
        }
        this.deprovision(task);
      }, () => undefined);
    };
    this.clock.schedule(jenkinsStop, () => {
      this.jenkinsStopped(task, 'graceful');
      if (task.deprovisionWhenJenkinsStops) this.deprovision(task);
      else if (!early) sigtermKeeper();
    });
    if (early) sigtermKeeper();
  }

  private keeperDied(task: SimTask, kind: 'keeper-crash'): void {
    if (task.phase === 'stopped') return;
    task.caller.alive = false;
    this.say(`t${task.n} keeper died; ECS stops the task (essential container)`);
    task.phase = 'stopping';
    const wasRunning = task.jenkins === 'running';
    if (wasRunning) task.jenkins = 'stopping';
    this.clock.schedule(wasRunning ? this.rng.int(this.opts.jenkinsStopMs[0], this.opts.jenkinsStopMs[1]) : 0, () => {
      this.jenkinsStopped(task, kind);
      this.deprovision(task);
    });
  }

  /** ECS deletes the task's volume when the task stops. */
  private deprovision(task: SimTask): void {
    if (task.phase === 'stopped') return;
    task.phase = 'stopped';
    task.attach = 'DETACHED';
    const v = this.volumes.get(task.volumeId)!;
    v.state = 'available';
    v.dirty.clear();
    this.clock.schedule(2_000, () => {
      v.state = 'deleted';
      this.volumes.delete(v.id);
    });
    if (task.run !== undefined && task.run.stopAt === undefined) this.jenkinsStopped(task, 'crash');
    this.say(`t${task.n} STOPPED`);
    if (this.desiredCount > 0 && this.runningJenkins().length === 0 && this.downSince === undefined) this.downSince = this.clock.ms;
    this.triggerReconcile('task stopped', this.rng.int(1_000, 10_000));
    this.kickScheduler();
  }

  private disruption(): void {
    if (this.downSince !== undefined) this.downSince = this.clock.ms;
  }

  // ---------------------------------------------------------------- reconciler and restore

  /**
   * An event for the reconciler. EventBridge delivers at least once and in any order, and nothing
   * serializes the invocations (no reserved concurrency): each delivery is its own invocation,
   * with its own clock skew, running concurrently with any other.
   */
  triggerReconcile(why: string, delayMs: number): void {
    this.clock.schedule(delayMs, () => this.invokeReconciler(why));
    if (this.opts.duplicateEventRate > 0 && this.rng.chance(this.opts.duplicateEventRate)) {
      this.clock.schedule(delayMs + this.rng.int(0, 30_000), () => this.invokeReconciler(`${why} (duplicate delivery)`));
    }
  }

  private invokeReconciler(why: string): void {
    const c: Caller = { name: `reconciler#${++this.invocations}`, alive: true, throttledInARow: new Map(), skewMs: this.taskSkew() };
    this.concurrentReconcilers++;
    this.maxConcurrentReconcilers = Math.max(this.maxConcurrentReconcilers, this.concurrentReconcilers);
    const done = (): void => {
      this.concurrentReconcilers--;
    };
    reconcile(
      {
        ec2: this.ec2For(c),
        ecs: this.ecsFor(c),
        record: this.recordFor(c),
        clock: this.clockFor(c),
        log: (e) => (e.level !== 'info' || e.msg.startsWith('rolled') || e.msg.startsWith('holder fenced') ? this.say(`${c.name} ${e.level}: ${e.msg} ${e.snapshot ?? ''}`) : undefined),
        metric: () => undefined,
      },
      { lineage: LINEAGE, cluster: CLUSTER, service: SERVICE, keepLast: this.opts.keepLast, keepDailyDays: this.opts.keepDailyDays, bootstrapSettleMs: 20_000 },
    ).then(
      (report) => {
        this.reconcileReports.push(report);
        done();
      },
      (err: unknown) => {
        this.say(`${c.name} failed (${why}): ${String(err)}`);
        done();
      },
    );
  }

  // ---------------------------------------------------------------- planned handovers (issue 12)

  /** Task starts of planned deployments (a handover's one start), and how many of them were stale. */
  plannedStarts = 0;
  plannedStaleStarts = 0;
  /** Planned handovers driven so far, and how many finished. */
  handoversBegun = 0;
  handoversFinished = 0;
  /** Handover drivers (CLI runs, custom-resource invocations) and CloudFormation updates in flight. */
  handoverDrivers = 0;
  /** Numbers the drivers' callers and ids (per run, so a seed replays exactly). */
  driverSeq = 0;
  private lastRestoreAt = Number.NEGATIVE_INFINITY;
  private readonly staleCounted = new Set<number>();
  /** Volumes on which an injected delta failure happened (their task's stale gate is the designed fallback). */
  private readonly failedDeltaVolumes = new Set<string>();
  /**
   * Volumes whose keeper's delta upload the fault injection made fail, and when: a task a planned
   * deployment launched from a pre-copy of that volume taken before that moment (a launch before
   * the stop, whose holder's stop was that upload) falls back by design.
   */
  private readonly failedShipAt = new Map<string, number>();
  /** Planned starts that fell back to the final snapshot because the injected delta failure hit them. */
  deltaFallbacks = 0;
  private handoverSince: number | undefined;
  private taskDefinitionRevision = 1;

  /**
   * A keeper refused a stale volume. The first task of a planned deployment must never be stale:
   * the handover launches it from the head after the last holder released, and nothing can move
   * the head before that task acquires, except a restore requested meanwhile.
   */
  private staleGate(task: SimTask): void {
    const dep = this.deployments.find((d) => d.id === task.deploymentId);
    // With desiredCount 2 (the holder-race runs) a deployment starts two tasks and one of them
    // waits behind the other's lease: there is no "one task" to check.
    if (this.opts.desiredCount !== 1 || dep?.planned?.firstTask !== task.n || this.lastRestoreAt >= dep.planned.at) return;
    // A delta the fault injection made fail on this volume: the task is stale by design (the
    // fallback to the final snapshot costs the second start); counted, not a violation.
    // Likewise a task launched from a pre-copy before the stop, whose old keeper's upload failed.
    const volume = this.volumes.get(task.volumeId);
    const from = volume?.snapshotId === undefined ? undefined : this.snapshots.get(volume.snapshotId);
    const shipFailedAt = from === undefined ? undefined : this.failedShipAt.get(from.volumeId);
    if (this.failedDeltaVolumes.has(task.volumeId) || (from !== undefined && shipFailedAt !== undefined && shipFailedAt >= from.startTime)) {
      if (!this.staleCounted.has(task.n)) this.deltaFallbacks++;
      this.staleCounted.add(task.n);
      return;
    }
    if (this.staleCounted.has(task.n)) return;
    this.staleCounted.add(task.n);
    this.plannedStaleStarts++;
    this.violation('StaleStart', `t${task.n}, the one task of planned deployment ${dep.id}, is stale at the gate`);
  }

  /** A new actor (a CLI run, a Lambda invocation) with its own clock offset. */
  newCaller(name: string, skewMs = this.taskSkew()): Caller {
    return { name, alive: true, throttledInARow: new Map(), skewMs };
  }

  /** The handover's ports as `caller` sees them (throttling, lost answers, its clock). */
  handoverDeps(caller: Caller): HandoverDeps {
    return {
      record: this.recordFor(caller),
      ec2: this.ec2For(caller),
      ecs: this.ecsFor(caller),
      clock: this.clockFor(caller),
      log: (e) => (e.level !== 'debug' ? this.say(`${caller.name} ${e.level}: ${e.msg} ${e.snapshot ?? e.operation ?? ''}`) : undefined),
      onStep: (step) => this.say(`${caller.name}: handover step ${step}`),
    };
  }

  /** The PRIMARY deployment's task definition. */
  get taskDefinition(): string {
    return this.deployments.find((d) => d.status === 'PRIMARY')?.taskDefinition ?? 'jenkins:1';
  }

  /** A new task definition revision (a deploy that replaces the controller task registers one). */
  nextTaskDefinition(): string {
    return `jenkins:${++this.taskDefinitionRevision}`;
  }

  /**
   * CloudFormation's update of the service resource after the LaunchSnapshot resource answered:
   * the new task definition, the volume configuration with the answered snapshot, and the
   * template's DesiredCount 1, which CloudFormation sends whenever the service resource updates.
   */
  cloudFormationServiceUpdate(snapshotId: string | undefined, taskDefinition: string, planned: boolean): void {
    this.desiredCount = this.opts.desiredCount;
    this.newDeployment(snapshotId, `cloudformation service update (${taskDefinition}${planned ? ', after a handover' : ', no handover'})`, false, { taskDefinition, planned });
  }

  /** Log a line of a driver outside this file. */
  note(what: string): void {
    this.say(what);
  }

  /** Whether a handover is in progress: the record names one, or a driver or CloudFormation update runs. */
  get handoverInProgress(): boolean {
    return this.record?.operation?.kind === 'handover' || this.handoverDrivers > 0;
  }

  /**
   * Liveness of a handover: whatever interrupts it (a killed CLI that the operator re-runs, a
   * timed-out provider whose rollback resumes it, a Delete, a crash), it ends within this bound:
   * the pre-copy bound, two snapshot completions, the framework's waits and a re-run's delay.
   */
  handoverBoundMs(): number {
    return 15 * 60_000 + 2 * this.maxPendingMs + 60 * 60_000;
  }

  // ---------------------------------------------------------------- faults and operator actions

  /** The task that runs Jenkins (authorized), if any. */
  holderTask(): SimTask | undefined {
    return this.runningJenkins()[0];
  }

  private pickTask(): SimTask | undefined {
    return this.holderTask() ?? this.tasks.find((t) => t.phase === 'running' || t.phase === 'provisioning');
  }

  /** Controller crash: the task dies at once, no final snapshot, unflushed writes lost. */
  crash(task = this.pickTask()): void {
    if (task === undefined || task.phase === 'stopped') return;
    this.say(`CRASH t${task.n}`);
    task.caller.alive = false;
    this.jenkinsStopped(task, 'crash');
    this.disruption();
    this.deprovision(task);
  }

  keeperCrash(task = this.pickTask()): void {
    if (task === undefined || task.phase !== 'running') return;
    this.say(`KEEPER CRASH t${task.n}`);
    this.disruption();
    this.keeperDied(task, 'keeper-crash');
  }

  /** Graceful restart (StopTask): ECS replaces the task. */
  restartTask(task = this.pickTask()): void {
    if (task === undefined) return;
    this.disruption();
    this.stopTask(task, 'StopTask (graceful restart)');
  }

  /**
   * A CloudFormation deploy: the launch value is resolved when the change set is created (now) and
   * applied later (deployApplyMs).
   */
  deploy(): void {
    const value = this.deployValue();
    const delay = this.rng.int(this.opts.deployApplyMs[0], this.opts.deployApplyMs[1]);
    this.say(`cdk deploy: change set resolves ${value ?? 'empty'}, applied in ${delay} ms`);
    if (value) this.pendingDeploys.push(value);
    this.clock.schedule(delay, () => {
      if (value) this.pendingDeploys.splice(this.pendingDeploys.indexOf(value), 1);
      this.newDeployment(value, 'cloudformation deploy');
    });
  }

  /** `aws ecs update-service --desired-count n` by an operator. */
  scaleTo(n: number): void {
    this.desiredCount = n;
    this.say(`desiredCount=${n} (operator)`);
    this.disruption();
    this.kickScheduler();
  }

  /** `aws ecs update-service --force-new-deployment`: a new deployment with the same volume configuration. */
  forceNewDeployment(): void {
    const primary = this.deployments.find((d) => d.status === 'PRIMARY');
    this.newDeployment(primary?.snapshotId, 'update-service --force-new-deployment');
  }

  /**
   * A snapshot the protocol did not take (AWS Backup, DLM, a person) of any existing volume, with
   * the volume's tags copied (the lineage tag) and, with copyKind, a kind tag copied from a
   * lineage snapshot (CopySnapshot copies tags too).
   */
  foreignSnapshot(volumeId?: string, opts: { copyKind?: SnapshotKind; durationMs?: number } = {}): string | undefined {
    const vols = [...this.volumes.values()].filter((v) => v.state !== 'deleted');
    const v = volumeId ? this.volumes.get(volumeId) : vols.length > 0 ? this.rng.pick(vols) : undefined;
    if (v === undefined) return undefined;
    const snap = this.addSnapshot({ volumeId: v.id, ...(opts.copyKind ? { kind: opts.copyKind } : {}), content: new Set(v.disk), state: 'pending' });
    snap.foreign = true;
    const duration = opts.durationMs ?? this.rng.int(this.opts.pendingMs[0], this.opts.pendingMs[1]);
    this.say(`FOREIGN snapshot ${snap.id} of ${v.id} (${snap.content.size} records, kind ${opts.copyKind ?? 'none'}) completes in ${duration} ms`);
    this.opts.onSnapshotCreated?.({ id: snap.id, ...(opts.copyKind ? { kind: opts.copyKind } : {}), volumeId: v.id, foreign: true });
    this.clock.schedule(duration, () => {
      const s = this.snapshots.get(snap.id);
      if (s === undefined) return;
      s.state = 'completed';
      this.triggerReconcile('snapshot completed', this.rng.int(1_000, 10_000));
    });
    return snap.id;
  }

  /**
   * What the `LaunchSnapshot` custom resource hands CloudFormation when it creates a change set:
   * `record.launch` while the service exists (always, here), else the head once completed, else the seed.
   */
  deployValue(): string | undefined {
    const rec = this.record;
    if (rec?.launch) return rec.launch;
    const head = this.trueHead();
    if (head?.state === 'completed') return head.id;
    return this.seedId;
  }

  private taskSkew(): number {
    return this.opts.taskSkewMs > 0 ? this.rng.int(-this.opts.taskSkewMs, this.opts.taskSkewMs) : 0;
  }

  restoreTo(snapshotId: string): void {
    if (this.restoring && !this.restoring.done) return;
    const caller: Caller = { name: 'cli', alive: true, throttledInARow: new Map(), skewMs: this.opts.cliSkewMs };
    const state: { snapshotId: string; done: boolean; error?: string } = { snapshotId, done: false };
    this.restoring = state;
    this.say(`RESTORE to ${snapshotId} requested`);
    this.lastRestoreAt = this.clock.ms;
    const latest = this.runs.at(-1);
    // The lineage rolls back when the restore's promote write lands (the head becomes the target),
    // not when restore() returns: a task already waiting at the gate on a volume built from the
    // target may acquire in between, and its home must then be the target's.
    const rolledBack = (): void => {
      const content = this.snapshots.get(snapshotId)?.content;
      if (content) this.restoredTo = { snapshotId, content };
      const last = this.runs.at(-1);
      if (last) last.restoredAfter = snapshotId;
      else if (latest) latest.restoredAfter = snapshotId;
    };
    let promoted = false;
    const onProgress = (step: string, detail: string): void => {
      this.say(`restore ${step}: ${detail}`);
      if (step === 'promote' && !promoted) {
        promoted = true;
        rolledBack();
      }
    };
    restore(
      { ec2: this.ec2For(caller), ecs: this.ecsFor(caller), record: this.recordFor(caller), clock: this.clockFor(caller) },
      { lineage: LINEAGE, cluster: CLUSTER, service: SERVICE, snapshotId, pollMs: 5_000, operationId: `restore-${this.stepNo}-${this.clock.ms}`, onProgress },
    ).then(
      (result) => {
        state.done = true;
        if (result.alreadyRestored || promoted) return;
        rolledBack();
      },
      (err: unknown) => {
        state.done = true;
        state.error = String(err);
        this.say(`restore failed: ${String(err)}`);
      },
    );
  }

  get restoreInProgress(): boolean {
    return this.restoring !== undefined && !this.restoring.done;
  }

  get restoreError(): string | undefined {
    return this.restoring?.error;
  }

  // ---------------------------------------------------------------- running and checking

  /** The bound of I6: snapshot completion + reconciler delay + one task start, plus the stop of the stale task. */
  livenessBoundMs(): number {
    return 120_000 + this.maxPendingMs + 10_000 + 300_000 + 2 * this.opts.provisionMs[1] + 15_000 + 5_000 + 10_000 + 60_000;
  }

  /** The longest a snapshot can stay pending in this configuration. */
  get maxPendingMs(): number {
    return Math.max(this.opts.pendingMs[1], this.opts.firstSnapshotPendingMs);
  }

  /** Invariants checked after every step. */
  checkStep(): void {
    const running = this.runningJenkins();
    if (running.length > 1) this.violation('I1', `${running.length} Jenkins run at once: ${running.map((t) => `t${t.n}`).join(', ')}`);
    const handover = this.handoverInProgress;
    if (handover) {
      this.handoverSince ??= this.clock.ms;
      if (this.clock.ms - this.handoverSince > this.handoverBoundMs()) {
        this.violation('I6', `a handover has been in progress for ${(this.clock.ms - this.handoverSince) / 1000}s (bound ${this.handoverBoundMs() / 1000}s)`);
        this.handoverSince = this.clock.ms;
      }
    } else this.handoverSince = undefined;
    if (this.desiredCount > 0 && running.length === 0 && this.downSince === undefined && !this.restoreInProgress && !handover) this.downSince = this.clock.ms;
    if (this.downSince !== undefined) {
      const down = this.clock.ms - this.downSince;
      if (this.desiredCount === 0 || this.restoreInProgress || handover) {
        this.downSince = this.clock.ms;
      } else {
        this.maxDowntimeMs = Math.max(this.maxDowntimeMs, down);
        // With desiredCount 2 (holder races) liveness still means: some Jenkins runs.
        const liveness = this.opts.maximumPercent === 100;
        if (liveness && down > this.livenessBoundMs()) {
          this.violation('I6', `no authoritative Jenkins for ${down / 1000}s (bound ${this.livenessBoundMs() / 1000}s)`);
          this.downSince = this.clock.ms;
        }
      }
    }
  }

  /** Advance virtual time by `ms`, checking the step invariants at the end. */
  async advance(ms: number): Promise<void> {
    await this.clock.runUntil(this.clock.ms + ms);
    this.checkStep();
  }

  /** Advance in 5 s slices until `done()` holds (checking invariants every slice); false on timeout. */
  async advanceUntil(done: () => boolean, maxMs: number): Promise<boolean> {
    const end = this.clock.ms + maxMs;
    while (!done()) {
      if (this.clock.ms >= end) return false;
      await this.advance(5_000);
    }
    return true;
  }

  /** Task starts (ECS placements) so far. */
  get taskStarts(): number {
    return this.tasks.length;
  }

  /** Records written so far by any Jenkins. */
  get recordsWritten(): number {
    return this.seq.record;
  }

  /** Keeper log lines mentioning a stale gate decision. */
  get staleDecisions(): number {
    return this.log.filter((l) => l.includes('"decision":"stale"')).length;
  }

  /** Snapshots that ended in error so far (deleted or not). */
  get failedSnapshotIds(): ReadonlySet<string> {
    return this.failedSnapshots;
  }

  report(): string {
    return this.log.join('\n');
  }
}
