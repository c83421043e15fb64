// Continuity benchmarks (figures only; tests never assert timings).
// - sim-steps-per-s: simulator throughput, random runs of 50 one-minute steps (seeds 1..N), each
//   step driving the real Keeper / reconcile / restore code through in-memory ports.
// - reconciler-decision-ms: one pure reconciler decision (decideRecordRoll + planRetention)
//   over a realistic lineage of ~200 snapshots (15-minute periodics for two days, finals, a few
//   manual and error ones), median of many runs after a warm-up.
import { performance } from 'node:perf_hooks';
import { planRetention, selectHead } from '../src/continuity/decisions.js';
import { decideRecordRoll } from '../src/continuity/reconciler.js';
import type { ServiceState, Snapshot, SnapshotKind } from '../src/continuity/model.js';
import { runRandom } from '../test/sim/random.js';

const SIM_RUNS = 200;
const STEPS = 50;
const WARMUP = 50;
const DECISIONS = 2_000;

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** ~200 snapshots: a periodic every 15 min for 2 days, a final every ~6 h, some manual and failed ones. */
export function realisticLineage(now: number): Snapshot[] {
  const out: Snapshot[] = [];
  for (let i = 0; i < 192; i++) {
    const t = now - i * 15 * 60_000;
    const kind: SnapshotKind = i % 24 === 0 ? 'final' : i % 50 === 7 ? 'manual' : 'periodic';
    out.push({ id: `snap-${String(i).padStart(17, '0')}`, state: i === 1 ? 'pending' : i % 61 === 5 ? 'error' : 'completed', startTime: new Date(t), lineage: 'ci', kind, task: 'arn:aws:ecs:us-east-1:123456789012:task/ci/abc' });
  }
  for (let i = 0; i < 8; i++) out.push({ id: `snap-seed${i}`, state: 'completed', startTime: new Date(now - (3 + i) * 86_400_000), lineage: 'ci', kind: i === 0 ? 'seed' : 'restore' });
  return out;
}

export async function run(): Promise<{ name: string; value: number; unit: string }[]> {
  // Simulator throughput.
  await runRandom(1, STEPS);
  const t0 = performance.now();
  for (let seed = 1; seed <= SIM_RUNS; seed++) await runRandom(seed, STEPS);
  const simSeconds = (performance.now() - t0) / 1000;

  // Reconciler decision.
  const now = Date.parse('2026-06-01T12:00:00Z');
  const snapshots = realisticLineage(now);
  const service: ServiceState = {
    desiredCount: 1,
    runningCount: 1,
    deployments: [{ id: 'd2', status: 'PRIMARY', rolloutState: 'COMPLETED', snapshotId: snapshots[40]!.id, createdAt: new Date(now - 3_600_000) }],
  };
  const decide = (): number => {
    const head = selectHead(snapshots);
    const record = { lineage: 'ci', format: 1, seq: 500, snapshots: [], ...(head ? { head: { snapshotId: head.id, seq: 499, kind: head.kind ?? 'periodic' } } : {}), launch: snapshots[40]!.id };
    const roll = decideRecordRoll({ record, headState: head?.state ?? 'completed', service, now: new Date(now), rollLeaseMs: 180_000 });
    const plan = planRetention({ snapshots, ...(head ? { head } : {}), referenced: new Set([snapshots[40]!.id]), now: new Date(now), keepLast: 12, keepDailyDays: 14 });
    return plan.delete.length + (roll.action === 'roll' ? 1 : 0);
  };
  let sink = 0;
  for (let i = 0; i < WARMUP; i++) sink += decide();
  const samples: number[] = [];
  for (let i = 0; i < DECISIONS; i++) {
    const a = performance.now();
    sink += decide();
    samples.push(performance.now() - a);
  }
  if (sink < 0) console.log(sink); // keeps the work observable

  return [
    { name: 'sim-steps-per-s', value: Math.round((SIM_RUNS * STEPS) / simSeconds), unit: 'steps/s' },
    { name: 'reconciler-decision-ms', value: Number(median(samples).toFixed(4)), unit: 'ms' },
  ];
}
