/**
 * The keeper's side of the handoff (docs/design/handoff.md), split from keeper.ts: at start, apply
 * the record's delta onto a volume built from the handoff's base before acquiring; at stop, ship
 * the files changed since the handover's pre-copy. State: which delta this volume carries, and
 * whether the volume may never hold the lineage. Plain logic over ports.
 */
import { commit, RECORD_RETRYABLE, type CommitOptions } from './commit.js';
import { DELTA_REGISTER_RESERVE_MS, deltaKey, handoffBaseFor } from './handoff.js';
import type { Snapshot, Volume } from './model.js';
import type { Clock, DeltaPort, DeltaRef, Ec2Port, LogEntry } from './ports.js';
import type { Handoff, LineageRecord, RecordPort } from './record.js';
import { awsErrorCode } from './retry.js';
import { dropHandoff, validHandoff } from './transitions.js';

export interface KeeperHandoffContext {
  readonly deps: { readonly ec2: Ec2Port; readonly record: RecordPort; readonly clock: Clock; readonly delta?: DeltaPort };
  readonly lineage: string;
  readonly taskArn: string;
  readonly homePath: string;
  readonly cutoffMarginMs: number;
  readonly applyTimeoutMs: number;
  log(level: LogEntry['level'], msg: string, fields?: Record<string, unknown>): void;
  retry<T>(fn: () => Promise<T>, signal?: AbortSignal, deadline?: Date, retryable?: readonly string[]): Promise<T>;
  commitOpts(signal?: AbortSignal): CommitOptions;
}

/** How long a stopping keeper waits for a pre-copy the handover already read `completed` to read so here too. */
const PRE_COPY_SETTLE_MS = 15_000;

export class KeeperHandoff {
  /** Key of the delta applied onto this volume: it may then hold the lineage only through that handoff. */
  private deltaApplied: string | undefined;
  /** Why this volume may never hold the lineage (a delta applied in part, or one that no longer stands). */
  private unusable: string | undefined;

  public constructor(private readonly ctx: KeeperHandoffContext) {}

  /** The key of the delta this volume carries, once applied. */
  get applied(): string | undefined {
    return this.deltaApplied;
  }

  /**
   * At start: when the record's valid handoff names `source` as its base, download and apply the
   * delta *before* acquiring (the volume is this task's own; nobody else sees it). Answers a stale
   * reason when the volume can never hold the lineage: a delta that failed midway leaves a home
   * that is neither the base nor the head, and one applied for a handoff that no longer stands is
   * not the head's home either. A failed apply also drops the handoff, so nobody tries it again
   * and the lineage continues from the final snapshot (the reconciler rolls to it).
   */
  async gate(rec: LineageRecord, volume: Volume, source: string | undefined, signal: AbortSignal): Promise<string | undefined> {
    if (this.unusable !== undefined) return this.unusable;
    const handoff = validHandoff(rec);
    if (this.deltaApplied !== undefined) {
      if (handoff?.delta.key === this.deltaApplied) return undefined;
      this.unusable = `volume ${volume.id} carries delta ${this.deltaApplied}, which no longer stands for the head of ${this.ctx.lineage}`;
      return this.unusable;
    }
    if (handoff === undefined || source !== handoff.base) return undefined;
    const failure = await this.apply(handoff, volume, signal);
    if (failure === undefined) return undefined;
    this.unusable = failure;
    await commit(this.ctx.deps.record, this.ctx.lineage, (r) => (r === undefined ? { ok: true, record: rec, unchanged: true } : dropHandoff(r, handoff.delta.key)), this.ctx.commitOpts(signal));
    return failure;
  }

  private async apply(handoff: Handoff, volume: Volume, signal: AbortSignal): Promise<string | undefined> {
    const { delta, clock } = this.ctx.deps;
    const ref = handoff.delta;
    if (delta === undefined) return `the handoff to ${handoff.final} needs delta ${ref.key}, and this keeper has no handoff bucket`;
    const started = clock.now();
    try {
      await delta.apply(this.ctx.homePath, ref, new Date(started.getTime() + this.ctx.applyTimeoutMs));
    } catch (err) {
      // Stopping while applying: the home is in between, and the task is going away anyway.
      if (signal.aborted) throw err;
      this.ctx.log('error', 'handoff delta not applied; this volume will not hold the lineage', { key: ref.key, final: handoff.final, error: String(err) });
      return `delta ${ref.key} could not be applied onto ${volume.id}: ${err instanceof Error ? err.message : String(err)}`;
    }
    this.deltaApplied = ref.key;
    this.ctx.log('info', 'handoff delta applied', { key: ref.key, base: handoff.base, final: handoff.final, bytes: ref.bytes, files: ref.files, elapsedMs: clock.now().getTime() - started.getTime() });
    return undefined;
  }

  /**
   * At stop, with Jenkins stopped and the final snapshot requested: ship the files changed since
   * the handover's pre-copy (a completed snapshot of this volume) so the next task can start from
   * the pre-copy instead of waiting for the final snapshot to complete. Never throws and leaves
   * {@link DELTA_REGISTER_RESERVE_MS} of the stop budget for the final write: any problem answers
   * undefined (the final snapshot alone carries the stop).
   */
  async ship(final: Snapshot, volume: Volume, deadline: Date): Promise<{ base: string; delta: DeltaRef } | undefined> {
    const { delta, clock, record, ec2 } = this.ctx.deps;
    if (delta === undefined) return undefined;
    const shipBy = new Date(deadline.getTime() - DELTA_REGISTER_RESERVE_MS);
    try {
      const rec = await this.ctx.retry(() => record.read(this.ctx.lineage), undefined, shipBy, RECORD_RETRYABLE);
      const base = rec === undefined ? undefined : handoffBaseFor(rec, this.ctx.taskArn);
      if (base === undefined) return undefined;
      let snap = await this.ctx.retry(() => ec2.describeSnapshot(base), undefined, shipBy);
      // A handover at `launching` chose the pre-copy after reading it `completed` by id: `pending`
      // now is EC2's eventual consistency on another reader, which settles in seconds.
      const settleBy = Math.min(clock.now().getTime() + PRE_COPY_SETTLE_MS, shipBy.getTime());
      while (rec?.operation?.step === 'launching' && snap?.state === 'pending' && clock.now().getTime() + 1_000 < settleBy) {
        await clock.sleep(1_000);
        snap = await this.ctx.retry(() => ec2.describeSnapshot(base), undefined, shipBy);
      }
      if (snap?.state !== 'completed' || snap.volumeId !== volume.id) {
        this.ctx.log('info', 'no handoff: the pre-copy is not a completed snapshot of this volume', { snapshot: base, state: snap?.state ?? 'missing' });
        return undefined;
      }
      if (clock.now().getTime() >= shipBy.getTime()) return undefined;
      const started = clock.now().getTime();
      const cutoff = new Date(snap.startTime.getTime() - this.ctx.cutoffMarginMs);
      const ref = await delta.ship(this.ctx.homePath, cutoff, deltaKey(this.ctx.lineage, final.id), shipBy);
      this.ctx.log('info', 'handoff delta shipped', { key: ref.key, base, final: final.id, bytes: ref.bytes, files: ref.files, elapsedMs: clock.now().getTime() - started });
      return { base, delta: ref };
    } catch (err) {
      this.ctx.log('warn', 'handoff delta not shipped; the next task starts from the final snapshot once it completes', { final: final.id, code: awsErrorCode(err) ?? 'unknown', error: String(err) });
      return undefined;
    }
  }
}
