// Planned-restart downtime (issue 12, acceptance 3): p50/p95 for a 50 GiB home with 1 GiB changed
// since the last periodic snapshot, from the published figures in downtime-model.ts, for
// - a home on EFS (restart only),
// - v0.1's path (two task starts),
// - the handover without and with pre-copy: the real step machine (src/continuity/handover.ts)
//   driven through the world model of test/continuity/handover-world.ts, one seeded world per run.
//   With pre-copy, the product's path is the handoff launched before the stop (one service update
//   stops the old task and launches the new one from the completed pre-copy; the old keeper ships
//   its last writes as a delta, the new one applies it); `handoff-after-stop` launches only once the
//   old task stopped, and `final-only` waits for the final snapshot to complete, for comparison;
// and the ratio handover-with-pre-copy / EFS at p50 (goal: at most 1.25). Every path runs under both
// readings of where ECS places a replacement (downtime-model.ts, Placement): as the API reference
// defines maximumPercent (names without a suffix) and once the old task is STOPPED
// (`-ecs-waits-stopped`). Also the fixed snapshot overhead at which the final-only path would meet
// the goal (a bisection over the overhead figure). Figures only; nothing here passes or fails.
import { driveHandover } from '../src/continuity/handover.js';
import { CLUSTER, HandoverWorld, LINEAGE, SERVICE, type WorldTiming } from '../test/continuity/handover-world.js';
import { Rng } from '../test/sim/rng.js';
import { bootOnRestoredSeconds, deltaApplySeconds, deltaShipSeconds, efsRestartSeconds, FIGURES, percentiles, sample, SCENARIO, snapshotSeconds, twoStartSeconds, type Distribution, type Percentiles, type Placement } from './downtime-model.js';

const RUNS = 1000;
const GOAL = 1.25;
const MIB = 1024 ** 2;

function timingFor(rng: Rng, overhead?: Distribution, handoff = false): WorldTiming {
  const ms = (x: number): number => Math.round(x * 1000);
  const s = (d: Distribution): number => sample(d, rng);
  return {
    drain: () => ms(s(FIGURES.drain.dist)),
    jenkinsStop: () => ms(s(FIGURES.jenkinsStop.dist)),
    taskStop: () => ms(s(FIGURES.taskStop.dist)),
    taskStart: () => ms(s(FIGURES.schedulerDelay.dist) + s(FIGURES.taskStart.dist)),
    volumeFromSnapshot: () => ms(s(FIGURES.volumeFromSnapshot.dist)),
    jenkinsBoot: () => ms(bootOnRestoredSeconds(rng)),
    snapshotCompletion: (bytes) => ms(overhead ? s(overhead) + bytes / MIB / s(FIGURES.snapshotRate.dist) : snapshotSeconds(bytes / MIB, rng)),
    gatePollMs: 10_000,
    ...(handoff ? { deltaShip: (bytes: number) => ms(deltaShipSeconds(bytes, rng)), deltaApply: (bytes: number) => ms(deltaApplySeconds(bytes, rng)) } : {}),
  };
}

interface Path {
  readonly preCopy: boolean;
  readonly handoff?: boolean;
  /** HandoverConfig.launchBeforeStop. @default true */
  readonly launchBeforeStop?: boolean;
  readonly placement: Placement;
  readonly overhead?: Distribution;
}

/** Downtime in seconds of one handover in a fresh world: from the serving Jenkins leaving the load balancer to the next one serving. */
async function handoverSeconds(seed: number, path: Path): Promise<number> {
  const rng = new Rng(seed);
  const w = new HandoverWorld({
    timing: timingFor(rng, path.overhead, path.handoff === true),
    changedGiB: SCENARIO.changedGiB,
    writeBytesPerSecond: SCENARIO.writeMiBps * MIB,
    placeWhileStopping: path.placement === 'documented',
  });
  await w.ready();
  const cfg = {
    lineage: LINEAGE,
    cluster: CLUSTER,
    service: SERVICE,
    starter: 'service' as const,
    preCopy: path.preCopy,
    launchBeforeStop: path.launchBeforeStop ?? true,
    pollMs: SCENARIO.pollSeconds * 1000,
    preCopyTimeoutMs: 3600_000,
  };
  const result = await w.drive(driveHandover(w.deps(), cfg, { id: `bench-${seed}` }));
  await w.untilServing(6 * 3600_000);
  if (result.state !== 'done' || w.downFrom === undefined || w.downTo === undefined) throw new Error(`seed ${seed}: the handover did not finish`);
  if (w.violations.length > 0 || w.startedSinceReady !== 1) throw new Error(`seed ${seed}: ${w.violations.join('; ') || `${w.startedSinceReady} task starts`}`);
  return (w.downTo - w.downFrom) / 1000;
}

async function handoverPercentiles(path: Path, runs = RUNS) {
  const out: number[] = [];
  for (let seed = 1; seed <= runs; seed++) out.push(await handoverSeconds(seed, path));
  return percentiles(out);
}

export async function run(): Promise<{ name: string; value: number; unit: string }[]> {
  const r = (x: number): number => Math.round(x * 10) / 10;
  const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;
  const out: { name: string; value: number; unit: string }[] = [];
  const push = (name: string, p: Percentiles): void => {
    out.push({ name: `${name}-p50`, value: r(p.p50), unit: 's' }, { name: `${name}-p95`, value: r(p.p95), unit: 's' });
  };
  const efsAt: Partial<Record<Placement, Percentiles>> = {};
  for (const placement of ['documented', 'stopped'] as const) {
    // Both placements for every path: ECS's rule is the same for a home on EFS and on EBS.
    const tag = placement === 'documented' ? '' : '-ecs-waits-stopped';
    const efsRng = new Rng(7);
    const twoRng = new Rng(11);
    const efs = percentiles(Array.from({ length: RUNS * 10 }, () => efsRestartSeconds(efsRng, placement)));
    efsAt[placement] = efs;
    push(`downtime-efs${tag}`, efs);
    push(`downtime-two-starts${tag}`, percentiles(Array.from({ length: RUNS * 10 }, () => twoStartSeconds(twoRng, SCENARIO.changedGiB * 1024, placement))));
    push(`downtime-handover${tag}`, await handoverPercentiles({ preCopy: false, placement }));
    const finalOnly = await handoverPercentiles({ preCopy: true, placement });
    push(`downtime-handover-precopy-final-only${tag}`, finalOnly);
    // The handoff with the new task launched after the old one stopped (launchBeforeStop false),
    // for comparison with the product's path below.
    push(`downtime-handover-precopy-handoff-after-stop${tag}`, await handoverPercentiles({ preCopy: true, handoff: true, launchBeforeStop: false, placement }));
    // The product's path: pre-copy, then one service update that stops the old task and launches
    // the new one from the pre-copy; the old keeper ships the delta, the new one applies it.
    const preCopy = await handoverPercentiles({ preCopy: true, handoff: true, placement });
    push(`downtime-handover-precopy${tag}`, preCopy);
    out.push({ name: `ratio-handover-precopy-to-efs${tag}-p50`, value: ratio(preCopy.p50, efs.p50), unit: `x (goal <= ${GOAL})` });
    out.push({ name: `ratio-handover-precopy-final-only-to-efs${tag}-p50`, value: ratio(finalOnly.p50, efs.p50), unit: 'x' });
  }

  // Bisection on the p50 of the fixed snapshot overhead (p95/p50 kept as published) at which the
  // final-only path (no delta) would meet the goal, with the documented placement.
  const published = FIGURES.snapshotOverhead.dist;
  const spread = published.p95 / published.p50;
  const meets = async (p50: number): Promise<boolean> =>
    (await handoverPercentiles({ preCopy: true, placement: 'documented', overhead: { kind: 'lognormal', p50, p95: p50 * spread } }, 60)).p50 / efsAt.documented!.p50 <= GOAL;
  if (await meets(1)) {
    let lo = 1;
    let hi: number = published.p50;
    for (let i = 0; i < 7; i++) {
      const mid = (lo + hi) / 2;
      if (await meets(mid)) lo = mid;
      else hi = mid;
    }
    out.push({ name: 'snapshot-overhead-p50-for-goal-final-only', value: r(lo), unit: `s (published p50: ${published.p50})` });
  } else {
    // Not even a 1 s snapshot gets the final-only path there: it cannot start the new task before the old one stopped.
    out.push({ name: 'snapshot-overhead-p50-for-goal-final-only', value: 0, unit: `s (unreachable: not met even at 1 s; published p50: ${published.p50})` });
  }
  return out;
}
