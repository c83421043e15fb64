// Shared helpers for the whole-process benches (startup, synth): wall time of one child process
// from spawn to exit, as a user waits for it, and the median of a sample.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { performance } from 'node:perf_hooks';

export interface BenchResult {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Wall-clock ms of one run; throws with its stderr when it fails (a failed run is no figure). */
export function timeProcess(command: string, args: readonly string[], options: SpawnSyncOptions = {}): number {
  const start = performance.now();
  const r = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], ...options });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.status}: ${String(r.stderr).slice(-2000)}`);
  return ms;
}

export const ms = (name: string, xs: readonly number[]): BenchResult => ({ name, value: Math.round(median(xs)), unit: 'ms' });

/** median(xs) / median(baseline), two decimals. */
export const ratio = (name: string, xs: readonly number[], baseline: readonly number[]): BenchResult => ({
  name,
  value: Math.round((median(xs) / median(baseline)) * 100) / 100,
  unit: 'ratio',
});
