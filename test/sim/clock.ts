/**
 * Virtual time for the simulator. `sleep` and `schedule` only queue a timer; `runUntil` fires the
 * timers in (time, insertion) order and lets every promise chain settle between two timers, so
 * the keeper's and the reconciler's async code runs deterministically under simulated time.
 */
import type { Clock } from '../../src/continuity/ports.js';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** Lets all queued promise reactions run (they are microtasks; setImmediate comes after them). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class VirtualClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers: Timer[] = [];
  /** Timers fired so far (the bench reports throughput from it). */
  fired = 0;

  constructor(startMs: number) {
    this.t = startMs;
  }

  now(): Date {
    return new Date(this.t);
  }

  get ms(): number {
    return this.t;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.schedule(ms, resolve));
  }

  /** Runs `fn` at now + delayMs (virtual). Returns a cancel function. */
  schedule(delayMs: number, fn: () => void): () => void {
    const timer: Timer = { at: this.t + Math.max(0, Math.floor(delayMs)), seq: this.seq++, fn, cancelled: false };
    // Binary insertion keeps the queue ordered by (at, seq).
    let lo = 0;
    let hi = this.timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.timers[mid]!;
      if (m.at < timer.at || (m.at === timer.at && m.seq < timer.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.timers.splice(lo, 0, timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Fires every timer due up to `targetMs`, in order, settling promises after each one. */
  async runUntil(targetMs: number, afterEach?: () => void): Promise<void> {
    await settle();
    for (;;) {
      const next = this.timers[0];
      if (next === undefined || next.at > targetMs) break;
      this.timers.shift();
      if (next.cancelled) continue;
      this.t = next.at;
      this.fired++;
      next.fn();
      await settle();
      afterEach?.();
    }
    this.t = Math.max(this.t, targetMs);
  }
}
