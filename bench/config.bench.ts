// Config benchmarks (figures only; tests never assert timings).
// - config-validate-ms: parseConfig on examples/production.yaml's document (schema + rules + defaults).
// - config-load-cli-ms: `jenkins-ecs validate` in-process on the same file (YAML read + parse + output).
// - config-plan-ms: estimateCost with the EFS burst simulation for the same config.
// Median of many runs after a warm-up, so one-off JIT and GC pauses do not dominate.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse } from 'yaml';
import { main } from '../src/cli/main.js';
import { BufferIo } from '../src/cli/io.js';
import { parseConfig } from '../src/config/index.js';
import { estimateCost } from '../src/config/cost.js';

const WARMUP = 20;
const RUNS = 200;

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function time(fn: () => unknown | Promise<unknown>, runs = RUNS): Promise<number> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return Math.round(median(samples) * 1000) / 1000;
}

export async function run(): Promise<{ name: string; value: number; unit: string }[]> {
  const file = join(__dirname, '..', 'examples', 'production.yaml');
  const doc: unknown = parse(readFileSync(file, 'utf8'));
  const parsed = parseConfig(doc);
  if (!parsed.ok) throw new Error('examples/production.yaml does not validate');
  const config = parsed.config;
  return [
    { name: 'config-validate-ms', value: await time(() => parseConfig(doc)), unit: 'ms' },
    {
      name: 'config-load-cli-ms',
      value: await time(() => main(['validate', '--config', file], { io: new BufferIo(), env: {}, cwd: __dirname }), 50),
      unit: 'ms',
    },
    { name: 'config-plan-ms', value: await time(() => estimateCost(config)), unit: 'ms' },
  ];
}
