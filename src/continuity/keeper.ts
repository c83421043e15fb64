/**
 * The keeper's procedures (docs/protocol.md: "Keeper at start", "Keeper while
 * authoritative", "Keeper on SIGTERM"). Everything outside the process goes through ports, so the
 * same code runs in the keeper container (src/keeper/main.ts) and in the simulator (test/sim).
 *
 * The keeper holds the lineage through the record (a lease with a fencing token): it acquires it
 * at start, registers every snapshot it takes with its token, and releases it with the final
 * snapshot. A refused registration means the lease was taken over: the keeper stops (fenced).
 */
import { commit, RECORD_RETRYABLE, type CommitOptions } from './commit.js';
import type { Snapshot, SnapshotKind, Volume } from './model.js';
import type { Clock, DeltaPort, DeltaRef, Ec2Port, EcsPort, KeeperHost, LogEntry } from './ports.js';
import { ensureRecord } from './ensure-record.js';
import type { RecordPort } from './record.js';
import { awsErrorCode, DEFAULT_RETRY_POLICY, RETRYABLE_AWS_ERRORS, withRetries, type RetryPolicy } from './retry.js';
import { METRICS } from './settings.js';
import { awaitsHandoff, DELTA_APPLY_TIMEOUT_MS, DELTA_CUTOFF_MARGIN_MS, FLUSH_INTERVAL_MS, heldPreCopy } from './handoff.js';
import { KeeperHandoff } from './keeper-handoff.js';
import { acquire, register } from './transitions.js';

/** ECS lastStatus values (DescribeTasks by ARN) after which a holder's task can no longer write. */
export function isGone(status: string): boolean {
  return status === 'STOPPED' || status === 'DELETED' || status === 'MISSING';
}

/** The final snapshot keeps retrying these until the stop deadline (throttling, the per-volume rate limit). */
const FINAL_RETRY_POLICY: RetryPolicy = { maxAttempts: 1_000, baseDelayMs: 500, maxDelayMs: 5_000 };

export interface KeeperDeps {
  readonly ec2: Ec2Port;
  readonly ecs: EcsPort;
  readonly record: RecordPort;
  readonly clock: Clock;
  readonly host: KeeperHost;
  readonly log: (entry: LogEntry) => void;
  /** The handoff's delta (docs/design/handoff.md). Absent: no handoff is shipped or applied (the final snapshot path). */
  readonly delta?: DeltaPort;
}

export interface KeeperConfig {
  readonly lineage: string;
  readonly cluster: string;
  /** The task's own ARN (from the task metadata endpoint). */
  readonly taskArn: string;
  /** Mount path of the home volume inside the keeper container (what `sync -f` flushes). */
  readonly homePath: string;
  readonly intervalMinutes: number;
  /** How long to wait for the EBS attachment to be ATTACHED. @default 300000 */
  readonly attachmentTimeoutMs?: number;
  /** Pause between two gate rounds while STALE. @default 15000 */
  readonly staleRecheckMs?: number;
  /** Pause between two gate rounds while another task holds the lineage (or an operation runs). @default 10000 */
  readonly holderPollMs?: number;
  /**
   * Pause between two gate rounds while the holder hands the lineage over to this task (a handover
   * launched it from the pre-copy before the holder stopped): every second of it is downtime once
   * the holder has stopped. One consistent read per round. @default 2000
   */
  readonly handoffPollMs?: number;
  /** Bootstrap of a v0.1 lineage: pause between the two listings it compares. @default 60000 */
  readonly bootstrapSettleMs?: number;
  /** From SIGTERM to giving up on the final snapshot; below the container's 120 s stopTimeout. @default 100000 */
  readonly stopBudgetMs?: number;
  /** Part of the stop budget kept for sync + CreateSnapshot when Jenkins is slow to stop. @default 30000 */
  readonly finalReserveMs?: number;
  /** @default 1000 */
  readonly jenkinsStopPollMs?: number;
  /** @default DEFAULT_RETRY_POLICY */
  readonly retry?: RetryPolicy;
  /** How far before the base's StartTime the handoff delta reaches back. @default DELTA_CUTOFF_MARGIN_MS */
  readonly deltaCutoffMarginMs?: number;
  /** How long the delta's download and apply may take at start. @default DELTA_APPLY_TIMEOUT_MS */
  readonly deltaApplyTimeoutMs?: number;
  /** `sync -f` of the home between periodic snapshots, this often. @default FLUSH_INTERVAL_MS */
  readonly flushIntervalMs?: number;
}

export type KeeperErrorCode = 'attachment-timeout' | 'attachment-failed' | 'volume-missing' | 'volume-unusable' | 'aborted' | 'fenced';

export class KeeperError extends Error {
  override readonly name = 'KeeperError';
  constructor(
    readonly code: KeeperErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type PeriodicResult =
  | { readonly status: 'taken'; readonly snapshot: Snapshot }
  | { readonly status: 'skipped'; readonly reason: 'not-authoritative' | 'previous-pending' | 'stopping' | 'handover' }
  | { readonly status: 'fenced' }
  | { readonly status: 'failed'; readonly code: string };

/** Exit codes of {@link Keeper.stop}. */
export const KEEPER_EXIT = { ok: 0, finalSnapshotFailed: 1, fenced: 4 } as const;

function abortableSleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(new KeeperError('aborted', 'keeper is stopping'));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(new KeeperError('aborted', 'keeper is stopping'));
    signal.addEventListener('abort', onAbort, { once: true });
    clock.sleep(ms).then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new KeeperError('aborted', 'keeper is stopping');
}

export class Keeper {
  private readonly cfg: Required<KeeperConfig>;
  private readonly lifecycle = new AbortController();
  private volume: Volume | undefined;
  private source: string | undefined;
  private authorizedAt: Date | undefined;
  private lastSnapshot: Snapshot | undefined;
  private lastPeriodicId: string | undefined;
  private staleReason: string | undefined;
  private staleCounted = false;
  /** The handoff's side of this keeper (docs/design/handoff.md). */
  private readonly handoff: KeeperHandoff;
  private stopping: Promise<number> | undefined;
  /** Fencing token of the lease, once acquired. */
  private token: number | undefined;
  private fencedReason: string | undefined;
  /** The handover pre-copy of this volume that is the head, and its StartTime (read by id once). */
  private preCopySeen: { readonly id: string; readonly startedAt: number } | undefined;
  private resolveFenced!: (reason: string) => void;
  /**
   * Resolves (with the reason) when the lease was taken over. The process must then exit non-zero
   * ({@link KEEPER_EXIT.fenced}) so that ECS stops the task: the keeper is an essential container.
   */
  readonly fenced: Promise<string> = new Promise((resolve) => (this.resolveFenced = resolve));

  constructor(
    private readonly deps: KeeperDeps,
    config: KeeperConfig,
  ) {
    this.cfg = {
      attachmentTimeoutMs: 300_000,
      staleRecheckMs: 15_000,
      holderPollMs: 10_000,
      handoffPollMs: 2_000,
      bootstrapSettleMs: 60_000,
      stopBudgetMs: 100_000,
      finalReserveMs: 30_000,
      jenkinsStopPollMs: 1_000,
      retry: DEFAULT_RETRY_POLICY,
      deltaCutoffMarginMs: DELTA_CUTOFF_MARGIN_MS,
      deltaApplyTimeoutMs: DELTA_APPLY_TIMEOUT_MS,
      flushIntervalMs: FLUSH_INTERVAL_MS,
      ...config,
    };
    this.handoff = new KeeperHandoff({
      deps,
      lineage: this.cfg.lineage,
      taskArn: this.cfg.taskArn,
      homePath: this.cfg.homePath,
      cutoffMarginMs: this.cfg.deltaCutoffMarginMs,
      applyTimeoutMs: this.cfg.deltaApplyTimeoutMs,
      log: (level, msg, fields) => this.log(level, msg, fields),
      retry: (fn, signal, deadline, retryable) => this.retry(fn, signal, deadline, retryable),
      commitOpts: (signal) => this.commitOpts(signal),
    });
  }

  /** True between the gate opening and the final snapshot being requested. */
  get authoritative(): boolean {
    return this.authorizedAt !== undefined;
  }

  /** The volume id of the home, once known. */
  get volumeId(): string | undefined {
    return this.volume?.id;
  }

  private log(level: LogEntry['level'], msg: string, fields: Record<string, unknown> = {}): void {
    this.deps.log({ level, msg, lineage: this.cfg.lineage, task: this.cfg.taskArn, ...(this.volume ? { volume: this.volume.id } : {}), ...fields });
  }

  private retry<T>(fn: () => Promise<T>, signal?: AbortSignal, deadline?: Date, retryable: readonly string[] = RETRYABLE_AWS_ERRORS, policy = this.cfg.retry): Promise<T> {
    return withRetries(fn, {
      clock: this.deps.clock,
      policy,
      retryable,
      ...(signal ? { signal } : {}),
      ...(deadline ? { deadline } : {}),
      onRetry: ({ attempt, code, delayMs }) => this.log('warn', 'aws call throttled or failed, retrying', { attempt, code, delayMs }),
    });
  }

  /**
   * "Keeper at start": resolves once the lease is acquired and the gate is open (`authorized`
   * marker written). Waits while STALE (re-checking every staleRecheckMs), while another task holds
   * the lineage and ECS does not report it STOPPED, or while an operation is in progress. Rejects with KeeperError('aborted') if {@link stop} is called or `signal` aborts, and
   * with another KeeperError code when the volume cannot be found.
   */
  async start(signal?: AbortSignal): Promise<'authorized'> {
    const sig = signal ? AbortSignal.any([signal, this.lifecycle.signal]) : this.lifecycle.signal;
    const volume = await this.waitForVolume(sig);
    this.volume = volume;
    this.source = volume.snapshotId;
    for (;;) {
      checkAborted(sig);
      let pause: number | 'authorized';
      try {
        pause = await this.gateRound(volume, sig);
      } catch (err) {
        if (err instanceof KeeperError) throw err;
        this.log('error', 'gate round failed; the gate stays closed', { code: awsErrorCode(err) ?? 'unknown', error: String(err) });
        pause = this.cfg.staleRecheckMs;
      }
      if (pause === 'authorized') return 'authorized';
      await abortableSleep(this.deps.clock, pause, sig);
    }
  }

  private async waitForVolume(sig: AbortSignal): Promise<Volume> {
    const { clock } = this.deps;
    const deadline = clock.now().getTime() + this.cfg.attachmentTimeoutMs;
    let delay = 1_000;
    let lastStatus = 'none';
    for (;;) {
      checkAborted(sig);
      const att = await this.retry(() => this.deps.ecs.describeVolumeAttachment(this.cfg.cluster, this.cfg.taskArn), sig);
      lastStatus = att?.status ?? 'none';
      if (att?.status === 'FAILED') {
        this.log('error', 'EBS attachment failed', { status: att.status });
        throw new KeeperError('attachment-failed', `the EBS attachment of ${this.cfg.taskArn} failed`);
      }
      if (att?.status === 'ATTACHED' && att.volumeId) {
        const volume = await this.retry(() => this.deps.ec2.describeVolume(att.volumeId!), sig);
        if (volume === undefined) throw new KeeperError('volume-missing', `volume ${att.volumeId} of ${this.cfg.taskArn} does not exist`);
        return volume;
      }
      if (clock.now().getTime() + delay > deadline) {
        this.log('error', 'EBS attachment not ATTACHED in time', { status: lastStatus, timeoutMs: this.cfg.attachmentTimeoutMs });
        throw new KeeperError('attachment-timeout', `the EBS attachment of ${this.cfg.taskArn} was still ${lastStatus} after ${this.cfg.attachmentTimeoutMs} ms`);
      }
      await abortableSleep(clock, delay, sig);
      delay = Math.min(delay * 2, 10_000);
    }
  }

  private commitOpts(sig?: AbortSignal, deadline?: Date): CommitOptions {
    return {
      clock: this.deps.clock,
      retry: this.cfg.retry,
      ...(sig ? { signal: sig } : {}),
      ...(deadline ? { deadline } : {}),
      onRetry: ({ attempt, code, delayMs }) => this.log('warn', 'record store throttled or failed, retrying', { attempt, code, delayMs }),
    };
  }

  /** One gate round: read the record, and acquire it if the volume is current and nobody live holds it. */
  private async gateRound(volume: Volume, sig: AbortSignal): Promise<number | 'authorized'> {
    const { ecs, host, clock } = this.deps;
    const rec = await this.retry(() => this.deps.record.read(this.cfg.lineage), sig, undefined, RECORD_RETRYABLE);
    if (rec === undefined) {
      const created = await ensureRecord(
        { ec2: this.deps.ec2, record: this.deps.record, log: (level, msg, fields) => this.log(level, msg, fields) },
        { ...this.commitOpts(sig), lineage: this.cfg.lineage, settleMs: this.cfg.bootstrapSettleMs },
      );
      return created === undefined ? this.cfg.holderPollMs : 0;
    }
    const gate = await this.handoff.gate(rec, volume, this.source, sig);
    if (gate !== undefined) {
      // This volume can never hold the lineage (a delta applied in part, or one that no longer
      // stands): exit, so ECS replaces the task with a fresh volume. Waiting here instead would
      // strand Jenkins whenever the service already launches from the snapshot the lineage now
      // continues from (the handoff's base, once its final failed too): the reconciler sees the
      // service on the head and never rolls.
      await this.markStale(gate, rec.head?.snapshotId ?? 'none');
      throw new KeeperError('volume-unusable', gate);
    }
    // Whether the current holder's task is gone: DescribeTasks by ARN (never a listing).
    let stopped: { token: number; status: string } | undefined;
    const other = rec.holder !== undefined && rec.holder.taskArn !== this.cfg.taskArn ? rec.holder : undefined;
    if (other !== undefined && (rec.head === undefined || rec.head.snapshotId === this.source)) {
      const status = await this.retry(() => ecs.taskStatus(this.cfg.cluster, other.taskArn), sig);
      stopped = { token: other.token, status };
    }
    const input = {
      taskArn: this.cfg.taskArn,
      volumeId: volume.id,
      ...(this.source ? { source: this.source } : {}),
      ...(this.handoff.applied ? { appliedDelta: this.handoff.applied } : {}),
      ...(this.deps.delta ? { shipsDelta: true } : {}),
    };
    const { outcome } = await commit(
      this.deps.record,
      this.cfg.lineage,
      (r) => (r === undefined ? { ok: false, code: 'nothing-to-do', reason: 'no record' } : acquire(r, { ...input, holderStopped: stopped !== undefined && r.holder?.token === stopped.token && isGone(stopped.status) })),
      this.commitOpts(sig),
    );
    checkAborted(sig);
    if (!outcome.ok) {
      if (outcome.code === 'stale') {
        await this.markStale(outcome.reason, rec.head?.snapshotId ?? 'none');
        return this.cfg.staleRecheckMs;
      }
      // The handoff landed between this round's read and its write: the next round applies the delta.
      if (outcome.code === 'needs-delta') return 0;
      this.log('info', 'waiting to hold the lineage', { code: outcome.code, reason: outcome.reason, ...(stopped ? { holderStatus: stopped.status } : {}) });
      return awaitsHandoff(rec, this.source) ? this.cfg.handoffPollMs : this.cfg.holderPollMs;
    }
    const holder = outcome.record.holder!;
    this.token = holder.token;
    const at = clock.now();
    const head = outcome.record.head?.snapshotId;
    if (this.staleReason !== undefined) await host.clearMarker('stale');
    await host.writeMarker('authorized', JSON.stringify({ lineage: this.cfg.lineage, volume: volume.id, source: this.source ?? null, head: head ?? null, token: holder.token, at: at.toISOString() }));
    // Authoritative only once the gate can open: if the marker cannot be written, stop() takes no
    // final snapshot of a Jenkins-less home (the lease stays until ECS reports the task STOPPED).
    this.authorizedAt = at;
    this.log('info', 'gate decision', { decision: 'authoritative', reason: head === undefined ? 'bootstrap' : this.handoff.applied ? 'handoff' : 'head', source: this.source ?? null, head: head ?? null, token: holder.token });
    return 'authorized';
  }

  private async markStale(reason: string, head: string): Promise<void> {
    if (reason === this.staleReason) return;
    // Remembered only once written, so a failed write is tried again on the next re-check.
    await this.deps.host.writeMarker('stale', reason);
    this.staleReason = reason;
    this.log('warn', 'gate decision', {
      decision: 'stale',
      reason,
      source: this.source ?? null,
      head,
      snapshot: head,
      ...(this.staleCounted ? {} : { metric: { name: METRICS.staleGateDecisions, value: 1, unit: 'Count' as const } }),
    });
    this.staleCounted = true;
  }

  /** The lease was taken over: never write again, and end the process (the task stops with it). */
  private fence(reason: string): void {
    if (this.fencedReason !== undefined) return;
    this.fencedReason = reason;
    this.authorizedAt = undefined;
    this.log('error', 'this task no longer holds the lineage (fenced); stopping', { reason, token: this.token ?? null });
    this.lifecycle.abort();
    this.resolveFenced(reason);
  }

  /** Register a snapshot this keeper took (optionally releasing the lineage, and writing the handoff, in the same write). */
  private async registerOwn(snap: Snapshot, kind: SnapshotKind, release: boolean, deadline?: Date, handoff?: { base: string; delta: DeltaRef }): Promise<'registered' | 'fenced'> {
    const token = this.token!;
    const { outcome } = await commit(
      this.deps.record,
      this.cfg.lineage,
      (r) =>
        r === undefined
          ? { ok: false, code: 'fenced', reason: 'the record is gone' }
          : register(r, { token, snapshotId: snap.id, kind, task: this.cfg.taskArn, ...(this.source ? { source: this.source } : {}), release, ...(handoff ? { handoff } : {}) }),
      this.commitOpts(undefined, deadline),
    );
    if (outcome.ok) return 'registered';
    this.fence(outcome.reason);
    return 'fenced';
  }

  private async snapshot(kind: SnapshotKind, deadline: Date | undefined, sig?: AbortSignal, policy?: RetryPolicy): Promise<Snapshot> {
    const volume = this.volume!;
    return this.retry(
      () =>
        this.deps.ec2.createSnapshot(
          volume.id,
          { lineage: this.cfg.lineage, kind, task: this.cfg.taskArn, ...(this.source ? { source: this.source } : {}) },
          `jenkins-ecs ${this.cfg.lineage} ${kind}`,
        ),
      sig,
      deadline,
      RETRYABLE_AWS_ERRORS,
      policy,
    );
  }

  /**
   * One round of "Keeper while authoritative": check the lease is still ours (consistent read),
   * skip if the previous periodic snapshot is still pending (read by id), else `sync -f`,
   * CreateSnapshot(kind=periodic) and register it with the token. Never throws for AWS errors; a
   * lease taken over ends the keeper ({@link fenced}).
   */
  async periodicSnapshot(): Promise<PeriodicResult> {
    if (this.stopping !== undefined) return { status: 'skipped', reason: 'stopping' };
    if (this.fencedReason !== undefined) return { status: 'fenced' };
    if (!this.authoritative || this.volume === undefined) return { status: 'skipped', reason: 'not-authoritative' };
    const { clock, ec2, host } = this.deps;
    const sig = this.lifecycle.signal;
    // Bounded by one interval, so a slow round never overlaps the next one.
    const deadline = new Date(clock.now().getTime() + this.cfg.intervalMinutes * 30_000);
    try {
      const rec = await this.retry(() => this.deps.record.read(this.cfg.lineage), sig, deadline, RECORD_RETRYABLE);
      if (rec?.holder?.token !== this.token) {
        this.fence(`the record names ${rec?.holder ? `${rec.holder.taskArn} (token ${rec.holder.token})` : 'no holder'}`);
        return { status: 'fenced' };
      }
      const preCopy = rec === undefined ? undefined : heldPreCopy(rec, this.cfg.taskArn);
      if (preCopy !== undefined) {
        // Its StartTime, read by id once (EBS's clock against ours: seconds apart).
        if (this.preCopySeen?.id !== preCopy) {
          const snap = await this.retry(() => ec2.describeSnapshot(preCopy), sig, deadline);
          this.preCopySeen = { id: preCopy, startedAt: snap?.startTime.getTime() ?? 0 };
        }
        if (clock.now().getTime() - this.preCopySeen.startedAt < this.cfg.intervalMinutes * 60_000) {
          this.log('info', 'a handover is in progress: its pre-copy stands in for this periodic snapshot', { snapshot: preCopy });
          return { status: 'skipped', reason: 'handover' };
        }
      }
      if (this.lastPeriodicId !== undefined) {
        const id = this.lastPeriodicId;
        const previous = await this.retry(() => ec2.describeSnapshot(id), sig, deadline);
        if (previous?.state === 'pending') {
          this.log('info', 'previous periodic snapshot still pending; skipping this round', { snapshot: id });
          return { status: 'skipped', reason: 'previous-pending' };
        }
        if (previous?.state === 'error') this.log('error', 'previous periodic snapshot failed', { snapshot: id });
      }
      if (this.stopping !== undefined) return { status: 'skipped', reason: 'stopping' };
      await host.sync(this.cfg.homePath);
      const snap = await this.snapshot('periodic', deadline, sig);
      this.lastPeriodicId = snap.id;
      this.lastSnapshot = snap;
      if ((await this.registerOwn(snap, 'periodic', false, deadline)) === 'fenced') return { status: 'fenced' };
      this.log('info', 'periodic snapshot registered', { snapshot: snap.id, kind: 'periodic', metric: { name: METRICS.snapshotsTaken, value: 1, unit: 'Count' } });
      return { status: 'taken', snapshot: snap };
    } catch (err) {
      const code = awsErrorCode(err) ?? 'unknown';
      this.log('error', 'periodic snapshot not taken', { code, error: String(err) });
      return { status: 'failed', code };
    }
  }

  /**
   * The periodic loop until {@link stop} (or `signal`): a snapshot every intervalMinutes and, in
   * between, a `sync -f` of the home every flushIntervalMs. The flush bounds how old a write can be
   * and still be missing from a snapshot that is taken without one (the handover's pre-copy): the
   * handoff's delta reaches back {@link DELTA_CUTOFF_MARGIN_MS}, more than that bound. Resolves when it ends.
   */
  async runPeriodic(signal?: AbortSignal): Promise<void> {
    const sig = signal ? AbortSignal.any([signal, this.lifecycle.signal]) : this.lifecycle.signal;
    const { clock } = this.deps;
    const intervalMs = this.cfg.intervalMinutes * 60_000;
    let next = clock.now().getTime() + intervalMs;
    for (;;) {
      try {
        await abortableSleep(clock, Math.max(0, Math.min(this.cfg.flushIntervalMs, next - clock.now().getTime())), sig);
      } catch {
        return;
      }
      if (clock.now().getTime() >= next) {
        await this.periodicSnapshot();
        next = clock.now().getTime() + intervalMs;
      } else {
        await this.flush();
      }
    }
  }

  private async flush(): Promise<void> {
    if (!this.authoritative || this.stopping !== undefined || this.fencedReason !== undefined) return;
    try {
      await this.deps.host.sync(this.cfg.homePath);
    } catch (err) {
      this.log('warn', 'sync of the home failed', { error: String(err) });
    }
  }

  /**
   * "Keeper on SIGTERM". Resolves to the process exit code: 0 when not authoritative or when the
   * final snapshot was requested; {@link KEEPER_EXIT.finalSnapshotFailed} when it could not be,
   * after an error line naming the lost window. Calling it again returns the same promise.
   */
  stop(): Promise<number> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<number> {
    const { clock, host } = this.deps;
    const started = clock.now().getTime();
    const deadline = new Date(started + this.cfg.stopBudgetMs);
    this.lifecycle.abort();
    if (this.fencedReason !== undefined) return KEEPER_EXIT.fenced;
    if (!this.authoritative || this.volume === undefined) {
      this.log('info', 'stopping; not authoritative, nothing to save');
      return KEEPER_EXIT.ok;
    }
    const waitUntil = deadline.getTime() - Math.min(this.cfg.finalReserveMs, this.cfg.stopBudgetMs / 2);
    let stopped = false;
    for (;;) {
      try {
        stopped = await host.jenkinsStopped();
      } catch (err) {
        this.log('warn', 'could not read the Jenkins container status', { error: String(err) });
      }
      if (stopped || clock.now().getTime() + this.cfg.jenkinsStopPollMs > waitUntil) break;
      await clock.sleep(this.cfg.jenkinsStopPollMs);
    }
    if (!stopped) this.log('warn', 'Jenkins has not stopped within the budget; taking the final snapshot anyway');
    try {
      await host.sync(this.cfg.homePath);
    } catch (err) {
      this.log('warn', 'sync failed; the final snapshot may miss unflushed writes', { error: String(err) });
    }
    let final: Snapshot;
    try {
      // Throttling and SnapshotCreationPerVolumeRateExceeded (a periodic snapshot just before) are
      // retried until the stop deadline, not for a fixed number of attempts.
      final = await this.snapshot('final', deadline, undefined, FINAL_RETRY_POLICY);
    } catch (err) {
      const since = this.lastSnapshot?.startTime ?? this.authorizedAt!;
      this.log('error', 'final snapshot could not be requested; writes since the last snapshot are lost', {
        code: awsErrorCode(err) ?? 'unknown',
        error: String(err),
        lostSince: since.toISOString(),
        lostUntil: clock.now().toISOString(),
        lastSnapshot: this.lastSnapshot?.id ?? null,
      });
      return KEEPER_EXIT.finalSnapshotFailed;
    }
    this.lastSnapshot = final;
    // Release only if Jenkins is known to have stopped: otherwise it may still write, and the lease
    // must stay until ECS reports the whole task STOPPED (then the next keeper or the reconciler fences).
    let registered: 'registered' | 'fenced';
    // Only from a Jenkins known to have stopped: a delta of a home that may still change would be wrong.
    const handoff = stopped ? await this.handoff.ship(final, this.volume, deadline) : undefined;
    try {
      registered = await this.registerOwn(final, 'final', stopped, deadline, handoff);
    } catch (err) {
      this.log('error', 'final snapshot taken but not registered; writes since the last registered snapshot are lost', { snapshot: final.id, code: awsErrorCode(err) ?? 'unknown', error: String(err) });
      return KEEPER_EXIT.finalSnapshotFailed;
    }
    if (registered === 'fenced') return KEEPER_EXIT.fenced;
    this.authorizedAt = undefined;
    this.log('info', 'final snapshot registered', {
      snapshot: final.id,
      kind: 'final',
      released: stopped,
      handoff: handoff?.delta.key ?? null,
      elapsedMs: clock.now().getTime() - started,
      metric: { name: METRICS.snapshotsTaken, value: 1, unit: 'Count' },
    });
    return KEEPER_EXIT.ok;
  }
}

