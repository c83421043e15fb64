/**
 * Simulator soak: many seeds × many steps of test/sim's random runs, I1–I6 checked after every
 * step (the same runs as `npm test`'s property test, longer). Prints one line per failing seed
 * (replay: SIM_SEED=<seed> node scripts/run-tests.mjs test/sim/property, with SIM_STEPS=<steps>)
 * and a summary with the wall time.
 *
 *   node --import tsx scripts/sim-soak.ts [--seeds 5000] [--steps 200] [--from 0]
 *
 * Seeds are 1 + i·2654435761 mod 2^31 for i in [from, from + seeds), so ranges split across
 * processes cover disjoint seeds.
 */
import { parseArgs } from 'node:util';
import { runRandom } from '../test/sim/random.js';

const { values } = parseArgs({ options: { seeds: { type: 'string', default: '5000' }, steps: { type: 'string', default: '200' }, from: { type: 'string', default: '0' } } });
const seeds = Number(values.seeds);
const steps = Number(values.steps);
const from = Number(values.from);
async function main(): Promise<number> {
const started = Date.now();
let failed = 0;
let runs = 0;
let starts = 0;
let records = 0;
for (let i = from; i < from + seeds; i++) {
  const seed = 1 + Number((BigInt(i) * 2654435761n) % 2147483647n);
  const run = await runRandom(seed, steps);
  runs++;
  starts += run.sim.taskStarts;
  records += run.sim.recordsWritten;
  if (run.sim.violations.length > 0) {
    failed++;
    console.log(`FAIL seed ${seed}: ${run.sim.violations[0]}`);
  }
  if (runs % 500 === 0) console.error(`${runs}/${seeds} runs, ${failed} failing, ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
const wall = (Date.now() - started) / 1000;
console.log(`soak: ${runs} seeds × ${steps} steps (${runs * steps} simulated minutes), ${starts} task starts, ${records} Jenkins writes, ${failed} seed(s) broke an invariant; wall time ${wall.toFixed(1)} s`);
return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(2);
  },
);
