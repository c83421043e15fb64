/**
 * The keeper's procedures (docs/protocol.md: "Keeper at start", "Keeper while
 * authoritative", "Keeper on SIGTERM"). Everything outside the process goes through ports, so the
 * same code runs in the keeper container (src/keeper/main.ts) and in the simulator (test/sim).
 */
import { decideGate, liveHolders, resolveHolderRace, type GateDecision } from './decisions.js';
import type { Snapshot, SnapshotKind, Volume } from './model.js';
import type { Clock, Ec2Port, EcsPort, KeeperHost, LogEntry } from './ports.js';
import { awsErrorCode, DEFAULT_RETRY_POLICY, withRetries, type RetryPolicy } from './retry.js';
import { METRICS } from './settings.js';

export interface KeeperDeps {
  readonly ec2: Ec2Port;
  readonly ecs: EcsPort;
  readonly clock: Clock;
  readonly host: KeeperHost;
  readonly log: (entry: LogEntry) => void;
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
  /** Pause between two gate rounds while another volume holds the lineage. @default 10000 */
  readonly holderPollMs?: number;
  /**
   * Pause between tagging the own volume holder and re-listing holders. Must be longer than the
   * time between a keeper's holder listing and its tag becoming visible (see holderTagWindowMs).
   * @default 5000
   */
  readonly holderSettleMs?: number;
  /**
   * A tag that lands later than this after the listing that justified it is withdrawn and the round
   * restarted, which keeps the race argument valid under slow (throttled) tag calls.
   * @default holderSettleMs / 2
   */
  readonly holderTagWindowMs?: number;
  /** From SIGTERM to giving up on the final snapshot; below the container's 120 s stopTimeout. @default 100000 */
  readonly stopBudgetMs?: number;
  /** Part of the stop budget kept for sync + CreateSnapshot when Jenkins is slow to stop. @default 30000 */
  readonly finalReserveMs?: number;
  /** @default 1000 */
  readonly jenkinsStopPollMs?: number;
  /** @default DEFAULT_RETRY_POLICY */
  readonly retry?: RetryPolicy;
}

export type KeeperErrorCode = 'attachment-timeout' | 'attachment-failed' | 'volume-missing' | 'aborted';

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
  | { readonly status: 'skipped'; readonly reason: 'not-authoritative' | 'previous-pending' | 'stopping' }
  | { readonly status: 'failed'; readonly code: string };

/** Exit codes of {@link Keeper.stop}. */
export const KEEPER_EXIT = { ok: 0, finalSnapshotFailed: 1 } as const;

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
  private stopping: Promise<number> | undefined;

  constructor(
    private readonly deps: KeeperDeps,
    config: KeeperConfig,
  ) {
    const settle = config.holderSettleMs ?? 5_000;
    this.cfg = {
      attachmentTimeoutMs: 300_000,
      staleRecheckMs: 15_000,
      holderPollMs: 10_000,
      holderSettleMs: settle,
      holderTagWindowMs: Math.floor(settle / 2),
      stopBudgetMs: 100_000,
      finalReserveMs: 30_000,
      jenkinsStopPollMs: 1_000,
      retry: DEFAULT_RETRY_POLICY,
      ...config,
    };
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

  private retry<T>(fn: () => Promise<T>, signal?: AbortSignal, deadline?: Date): Promise<T> {
    return withRetries(fn, {
      clock: this.deps.clock,
      policy: this.cfg.retry,
      ...(signal ? { signal } : {}),
      ...(deadline ? { deadline } : {}),
      onRetry: ({ attempt, code, delayMs }) => this.log('warn', 'aws call throttled or failed, retrying', { attempt, code, delayMs }),
    });
  }

  /**
   * Steps 1–8 of "Keeper at start": resolves once the gate is open (`authorized` marker written).
   * Waits while STALE (re-checking every staleRecheckMs) or while another volume holds the
   * lineage. Rejects with KeeperError('aborted') if {@link stop} is called or `signal` aborts, and
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

  /** Steps 4–6 from fresh reads. `withHolders: false` re-checks the head only (the race is settled). */
  private async observe(volume: Volume, sig: AbortSignal, withHolders = true): Promise<GateDecision> {
    const { ec2 } = this.deps;
    const snapshots = await this.retry(() => ec2.listLineage(this.cfg.lineage), sig);
    const holders = withHolders ? await this.retry(() => ec2.listHolders(this.cfg.lineage), sig) : [];
    return decideGate({ lineage: this.cfg.lineage, ownVolume: volume, ...(this.source ? { source: this.source } : {}), snapshots, holders });
  }

  /** One pass over steps 4–8: 'authorized', or how long to wait before the next pass. */
  private async gateRound(volume: Volume, sig: AbortSignal): Promise<number | 'authorized'> {
    const { ec2, clock, host } = this.deps;
    const observedAt = clock.now().getTime();
    const decision = await this.observe(volume, sig);
    checkAborted(sig);
    if (decision.decision === 'stale') {
      await this.markStale(decision.reason, decision.head);
      return this.cfg.staleRecheckMs;
    }
    if (decision.decision === 'wait-for-holder') {
      this.log('info', 'another volume holds the lineage; waiting for it to go away', { holder: decision.holder.id });
      return this.cfg.holderPollMs;
    }
    // Single writer: tag, let concurrent racers tag too, re-list, and let the earliest volume win.
    await this.retry(() => ec2.tagHolder(volume.id, this.cfg.lineage), sig);
    try {
      if (clock.now().getTime() - observedAt > this.cfg.holderTagWindowMs) {
        this.log('warn', 'holder tag landed too late after the listing; starting the round again');
        await this.untagQuietly(volume.id);
        return this.cfg.holderPollMs;
      }
      await abortableSleep(clock, this.cfg.holderSettleMs, sig);
      const holders = await this.retry(() => ec2.listHolders(this.cfg.lineage), sig);
      const candidates = liveHolders(this.cfg.lineage, holders).filter((v) => v.id !== volume.id);
      candidates.push({ ...volume, state: 'in-use', holder: this.cfg.lineage });
      const winner = resolveHolderRace(candidates);
      if (winner.id !== volume.id) {
        this.log('info', 'lost the holder race; giving way', { winner: winner.id });
        await this.untagQuietly(volume.id);
        return this.cfg.holderPollMs;
      }
      // Racers that lost may not have removed their tags yet: only the head is checked again.
      const again = await this.observe(volume, sig, false);
      if (again.decision !== 'authoritative') {
        this.log('info', 'the lineage moved while taking the holder tag; starting the round again', { decision: again.decision });
        await this.untagQuietly(volume.id);
        return again.decision === 'stale' ? this.cfg.staleRecheckMs : this.cfg.holderPollMs;
      }
      checkAborted(sig);
      const at = clock.now();
      const head = again.head?.id;
      if (this.staleReason !== undefined) await host.clearMarker('stale');
      await host.writeMarker(
        'authorized',
        JSON.stringify({ lineage: this.cfg.lineage, volume: volume.id, source: this.source ?? null, head: head ?? null, at: at.toISOString() }),
      );
      // Authoritative only once the gate can open: if the marker cannot be written, the catch
      // below withdraws the holder tag and stop() takes no final snapshot of a Jenkins-less home.
      this.authorizedAt = at;
      this.log('info', 'gate decision', { decision: 'authoritative', reason: again.reason, source: this.source ?? null, head: head ?? null });
      return 'authorized';
    } catch (err) {
      if (this.authorizedAt === undefined) await this.untagQuietly(volume.id);
      throw err;
    }
  }

  private async markStale(reason: string, head: Snapshot): Promise<void> {
    if (reason === this.staleReason) return;
    // Remembered only once written, so a failed write is tried again on the next re-check.
    await this.deps.host.writeMarker('stale', reason);
    this.staleReason = reason;
    this.log('warn', 'gate decision', {
      decision: 'stale',
      reason,
      source: this.source ?? null,
      head: head.id,
      snapshot: head.id,
      ...(this.staleCounted ? {} : { metric: { name: METRICS.staleGateDecisions, value: 1, unit: 'Count' as const } }),
    });
    this.staleCounted = true;
  }

  /** Removes the own holder tag with a few retries; a failure is logged, never thrown. */
  private async untagQuietly(volumeId: string, opts: { readonly deadline?: Date; readonly maxAttempts?: number } = {}): Promise<void> {
    try {
      await withRetries(() => this.deps.ec2.untagHolder(volumeId, this.cfg.lineage), {
        clock: this.deps.clock,
        policy: { ...this.cfg.retry, maxAttempts: opts.maxAttempts ?? 3 },
        ...(opts.deadline ? { deadline: opts.deadline } : {}),
      });
    } catch (err) {
      this.log('warn', 'could not remove the holder tag', { code: awsErrorCode(err) ?? 'unknown' });
    }
  }

  private async snapshot(kind: SnapshotKind, deadline: Date | undefined, sig?: AbortSignal): Promise<Snapshot> {
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
    );
  }

  /**
   * One round of "Keeper while authoritative": skip if the previous periodic snapshot is still
   * pending, else `sync -f` and CreateSnapshot(kind=periodic). Never throws for AWS errors.
   */
  async periodicSnapshot(): Promise<PeriodicResult> {
    if (this.stopping !== undefined) return { status: 'skipped', reason: 'stopping' };
    if (!this.authoritative || this.volume === undefined) return { status: 'skipped', reason: 'not-authoritative' };
    const { clock, ec2, host } = this.deps;
    const sig = this.lifecycle.signal;
    // Bounded by one interval, so a slow round never overlaps the next one.
    const deadline = new Date(clock.now().getTime() + this.cfg.intervalMinutes * 30_000);
    try {
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
      this.log('info', 'periodic snapshot requested', { snapshot: snap.id, kind: 'periodic', metric: { name: METRICS.snapshotsTaken, value: 1, unit: 'Count' } });
      return { status: 'taken', snapshot: snap };
    } catch (err) {
      const code = awsErrorCode(err) ?? 'unknown';
      this.log('error', 'periodic snapshot not taken', { code, error: String(err) });
      return { status: 'failed', code };
    }
  }

  /** The periodic loop: every intervalMinutes until {@link stop} (or `signal`). Resolves when it ends. */
  async runPeriodic(signal?: AbortSignal): Promise<void> {
    const sig = signal ? AbortSignal.any([signal, this.lifecycle.signal]) : this.lifecycle.signal;
    for (;;) {
      try {
        await abortableSleep(this.deps.clock, this.cfg.intervalMinutes * 60_000, sig);
      } catch {
        return;
      }
      await this.periodicSnapshot();
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
    if (!this.authoritative || this.volume === undefined) {
      this.log('info', 'stopping; not authoritative, nothing to save');
      return KEEPER_EXIT.ok;
    }
    const volume = this.volume;
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
      final = await this.snapshot('final', deadline);
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
    this.authorizedAt = undefined;
    // Best effort: ECS deletes the volume when the task stops, and with it the tag.
    await this.untagQuietly(volume.id, { deadline, maxAttempts: this.cfg.retry.maxAttempts });
    this.log('info', 'final snapshot requested', {
      snapshot: final.id,
      kind: 'final',
      elapsedMs: clock.now().getTime() - started,
      metric: { name: METRICS.snapshotsTaken, value: 1, unit: 'Count' },
    });
    return KEEPER_EXIT.ok;
  }
}
