/** Polling with a clock that tests replace, and the "converged" reading of a status report. */
import type { StatusReport } from '../../src/cli/commands/status.js';
import type { Clock } from '../../src/continuity/ports.js';

/** One look at the world: finished or not, and a line saying what was seen. */
export interface Poll<T> {
  readonly done: boolean;
  readonly detail: string;
  readonly value?: T;
}

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly clock: Clock;
  /** Errors in a row tolerated (throttling, a blip) before the last one is rethrown. @default 5 */
  readonly maxConsecutiveErrors?: number;
  /** Called when the detail changes, so progress is printed once per change, not once per poll. */
  readonly onChange?: (detail: string, elapsedMs: number) => void;
}

export class E2eTimeoutError extends Error {
  constructor(
    readonly what: string,
    readonly lastDetail: string,
    readonly elapsedMs: number,
  ) {
    super(`timed out after ${Math.round(elapsedMs / 1000)} s waiting for ${what}; last seen: ${lastDetail}`);
    this.name = 'E2eTimeoutError';
  }
}

/** Polls `check` every `intervalMs` until it reports done (resolves its value) or the time is up. */
export async function waitFor<T>(what: string, check: () => Promise<Poll<T>>, options: WaitOptions): Promise<T> {
  const { clock } = options;
  const start = clock.now().getTime();
  const maxErrors = options.maxConsecutiveErrors ?? 5;
  let errors = 0;
  let last = 'nothing yet';
  for (;;) {
    let poll: Poll<T>;
    try {
      poll = await check();
      errors = 0;
    } catch (e) {
      errors += 1;
      if (errors >= maxErrors) throw e;
      poll = { done: false, detail: `error (${errors}/${maxErrors}): ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
    }
    const elapsed = clock.now().getTime() - start;
    if (poll.detail !== last) {
      last = poll.detail;
      options.onChange?.(last, elapsed);
    }
    if (poll.done) return poll.value as T;
    if (elapsed >= options.timeoutMs) throw new E2eTimeoutError(what, last, elapsed);
    await clock.sleep(Math.max(1, Math.min(options.intervalMs, options.timeoutMs - elapsed)));
  }
}

/**
 * Whether the controller has settled after a start, from `jenkins-ecs status`' report: one
 * RUNNING task (a new one when `previousTaskArn` is given) on the one live holder volume, one
 * deployment (the reconciler's roll, if any, has finished) and no stale start. The holder tag is
 * the keeper's AUTHORITATIVE decision, i.e. the gate has let Jenkins start. Value: the task ARN.
 */
export function convergence(report: StatusReport, previousTaskArn?: string): Poll<string> {
  const { service } = report;
  const running = report.tasks.filter((t) => t.lastStatus === 'RUNNING');
  const live = report.holders.filter((h) => h.live);
  const stale = report.warnings.filter((w) => w.code === 'stale-start' || w.code === 'several-holders');
  const deployments = service.deployments.map((d) => `${d.status}/${d.rolloutState ?? '-'}`).join(',');
  const detail =
    `desired ${service.desiredCount} running ${service.runningCount}, deployments [${deployments}], ` +
    `tasks [${report.tasks.map((t) => t.lastStatus).join(',')}], holders ${live.length}` +
    (stale.length > 0 ? `, ${stale.map((w) => w.code).join(',')}` : '');
  const task = running[0];
  const done =
    service.desiredCount === 1 &&
    report.tasks.length === 1 &&
    task !== undefined &&
    task.arn !== previousTaskArn &&
    service.deployments.length === 1 &&
    live.length === 1 &&
    task.volumeId !== undefined &&
    live[0]!.volumeId === task.volumeId &&
    stale.length === 0;
  return done ? { done, detail, value: task.arn } : { done, detail };
}

/** `+1h02m03s`-style elapsed time for progress lines and the summary. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}h${mm}m${ss}s` : `${m}m${ss}s`;
}
