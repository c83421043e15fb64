/** The e2e run as a list of named steps: progress lines with elapsed times and the summary table. */
import { formatTable } from '../../src/cli/format.js';
import { formatElapsed } from './wait.js';

export type StepStatus = 'PASS' | 'FAIL' | 'ERROR' | 'SKIP';

export interface StepResult {
  readonly name: string;
  readonly status: StepStatus;
  readonly ms: number;
  readonly detail: string;
}

/** Thrown by `Steps.run` after the failure was recorded, so the caller only has to stop. */
export class StepAborted extends Error {
  constructor(readonly step: string, cause: unknown) {
    super(`${step}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'StepAborted';
  }
}

export class Steps {
  readonly results: StepResult[] = [];
  private readonly start: number;
  private stopReason: string | undefined;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly print: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
  ) {
    this.start = now();
  }

  /** A progress line stamped with the time since the run began. */
  log(line: string): void {
    this.print(`[+${formatElapsed(this.now() - this.start)}] ${line}`);
  }

  /** After this no further step starts (Ctrl-C): `run` and `check` throw StepAborted instead. */
  stop(reason: string): void {
    this.stopReason = reason;
  }

  /** Lets steps start again (the cleanup after an interrupted scenario). */
  resume(): void {
    this.stopReason = undefined;
  }

  /** Runs one step; an exception is recorded as ERROR and rethrown as StepAborted. */
  async run<T>(name: string, body: () => Promise<T>, describe: (value: T) => string = () => 'done'): Promise<T> {
    if (this.stopReason) throw new StepAborted(name, this.stopReason);
    const t0 = this.now();
    this.log(`>> ${name}`);
    try {
      const value = await body();
      const detail = describe(value);
      this.record(name, 'PASS', t0, detail);
      return value;
    } catch (e) {
      const detail = e instanceof Error ? e.message.split('\n')[0]! : String(e);
      this.record(name, 'ERROR', t0, detail);
      throw new StepAborted(name, e);
    }
  }

  /** An assertion: recorded PASS or FAIL; a FAIL does not stop the run. */
  async check(name: string, body: () => Promise<{ ok: boolean; detail: string }>): Promise<boolean> {
    if (this.stopReason) throw new StepAborted(name, this.stopReason);
    const t0 = this.now();
    this.log(`>> ${name}`);
    let verdict: { ok: boolean; detail: string };
    try {
      verdict = await body();
    } catch (e) {
      verdict = { ok: false, detail: e instanceof Error ? e.message.split('\n')[0]! : String(e) };
    }
    this.record(name, verdict.ok ? 'PASS' : 'FAIL', t0, verdict.detail);
    return verdict.ok;
  }

  /** Records an error that happened outside any step. */
  fail(name: string, cause: unknown): void {
    this.record(name, 'ERROR', this.now(), cause instanceof Error ? cause.message.split('\n')[0]! : String(cause));
  }

  skip(name: string, why: string): void {
    this.results.push({ name, status: 'SKIP', ms: 0, detail: why });
  }

  get failed(): boolean {
    return this.results.some((r) => r.status === 'FAIL' || r.status === 'ERROR');
  }

  summary(): string[] {
    const rows = this.results.map((r) => [r.status, r.name, r.status === 'SKIP' ? '-' : formatElapsed(r.ms), r.detail]);
    return [...formatTable(['RESULT', 'STEP', 'TIME', 'DETAIL'], rows), `total ${formatElapsed(this.now() - this.start)}`];
  }

  private record(name: string, status: StepStatus, t0: number, detail: string): void {
    const ms = this.now() - t0;
    this.results.push({ name, status, ms, detail });
    this.log(`${status === 'PASS' ? 'ok' : status} ${name} (${formatElapsed(ms)}): ${detail}`);
  }
}
