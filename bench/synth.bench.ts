// `npm run synth` as a whole process, the way a user waits for it (npm, scripts/synth.mjs and
// its bundle check, module loading, the app, cdk-nag, writing cdk.out, exit), against a bare CDK
// app with one ApplicationLoadBalancedFargateService (bench/baseline-app.ts), every side started
// through npm. Interleaved in the same run, so machine load hits all alike. Goal: synth-ratio ≤ 1.2 (warm).
// - synth-ms / synth-baseline-ms / synth-ratio: warm: cdk.out, the bundle cache, the bundled
//   app (.build/app) and tsx's cache hold the previous run's output (the edit-config-and-synth
//   loop). The bare app runs through tsx (`npx tsx app.ts`, how a TypeScript CDK app usually
//   starts), without aws-cdk-lib's built-in validation, which ours skips (bin/app.ts says why);
// - synth-baseline-js-ms / synth-js-ratio: the bare app precompiled to JavaScript (bundled by
//   esbuild, untimed) and run by node: no loader at all, the fastest way a bare app can start;
// - synth-cold-ms / synth-baseline-cold-ms / synth-cold-ratio: cold, as on a fresh clone: no
//   cdk.out, no .build/app (so the timed run bundles bin/app.ts), an empty bundle cache (esbuild
//   bundles the reconciler, the launch handler and the keeper) and an empty tsx cache (a fresh TMPDIR);
// - synth-tsx-ms / synth-tsx-ratio: our app through tsx instead (`tsx bin/app.ts`, how
//   `npm run synth` ran before scripts/synth.mjs), against the same baseline: what the launcher saves;
// - synth-baseline-validated-ms / synth-validated-ratio: the bare app with aws-cdk-lib's built-in
//   CloudFormation validation on (its default), to show what that default costs.
// Writes ./cdk.out as `npm run synth` does.
//
// Measured 2026-12-02 (2 shared cores, load average 8-10, so read the ratios, not the ms), one run each:
//   before (cdk-nag's pack as shipped, its packages external): synth-ratio 1.26, synth-cold-ratio 5.35
//   after: synth-ratio 0.97 (2894 ms against 2995 ms), synth-cold-ratio 3.74 (12.8 s against 3.4 s).
// What a warm profile showed and what changed: cdk-nag's rules test `node instanceof
// aws_xyz.CfnThing`, which loads that service's aws-cdk-lib module (12 MB of JavaScript, QuickSight
// 5.3 MB alone, ~80% of cdk-nag's time); src/nag.ts now applies each rule only to the resource types
// its code can report on (every finding still reported; test/constructs/nag-scope.test.ts). cdk-nag
// (250 files), zod and yaml are bundled into .build/app (908 -> 493 modules). No idle time before
// exit was left to cut. Cold is the Lambda and keeper bundles (esbuild over the AWS SDK): the
// source scans that key the Lambda cache no longer parse node_modules (~1 s each before).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { BUNDLE_CACHE_ENV } from '../src/constructs/bundle-cache.js';
import { ms, ratio, timeProcess, type BenchResult } from './process.js';

const ROOT = join(__dirname, '..');
const WARM_RUNS = 5;
const COLD_RUNS = 2;

export async function run(): Promise<BenchResult[]> {
  const scratch = mkdtempSync(join(tmpdir(), 'jenkins-ecs-synth-bench-'));
  const warmTmp = join(scratch, 'tmp-warm');
  const warmCache = join(scratch, 'bundles-warm');
  const baselineOut = join(scratch, 'baseline.out');
  const env = (extra: Record<string, string>): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env };
    for (const k of ['CDK_OUTDIR', 'CDK_CONTEXT_JSON', 'CDK_DEFAULT_ACCOUNT', 'CDK_DEFAULT_REGION', 'JENKINS_ECS_CONFIG', 'CDK_VALIDATION']) delete e[k];
    // After the deletions: `extra` may set CDK_VALIDATION (the bare app without the validation).
    return { ...e, ...extra };
  };
  const ours = (tmp: string, cache: string) => timeProcess('npm', ['run', '--silent', 'synth'], { cwd: ROOT, env: env({ TMPDIR: tmp, [BUNDLE_CACHE_ENV]: cache }) });
  // The bare app as JavaScript, next to the project's node_modules so its imports resolve.
  const baselineJs = join(ROOT, 'node_modules', '.cache', 'jenkins-ecs-bench', 'baseline-app.js');
  buildSync({ entryPoints: [join(ROOT, 'bench', 'baseline-app.ts')], bundle: true, platform: 'node', packages: 'external', outfile: baselineJs, logLevel: 'warning' });
  const baseline = (tmp: string, validated: boolean, js = false) =>
    timeProcess('npm', ['exec', '--offline', '--', ...(js ? ['node', baselineJs] : ['tsx', join('bench', 'baseline-app.ts')])], {
      cwd: ROOT,
      env: env({ TMPDIR: tmp, BASELINE_OUTDIR: baselineOut, ...(validated ? {} : { CDK_VALIDATION: 'false' }) }),
    });
  const oursTsx = (tmp: string, cache: string) =>
    timeProcess('npm', ['exec', '--offline', '--', 'tsx', join('bin', 'app.ts')], { cwd: ROOT, env: env({ TMPDIR: tmp, [BUNDLE_CACHE_ENV]: cache }) });
  const fresh = (name: string) => mkdtempSync(join(scratch, `${name}-`));
  const samples: Record<string, number[]> = { ours: [], oursTsx: [], base: [], baseJs: [], baseValidated: [], oursCold: [], baseCold: [] };
  try {
    for (const d of [warmTmp, warmCache]) mkdirSync(d);
    for (let i = 0; i < COLD_RUNS; i++) {
      rmSync(join(ROOT, 'cdk.out'), { recursive: true, force: true });
      rmSync(join(ROOT, '.build', 'app'), { recursive: true, force: true });
      rmSync(baselineOut, { recursive: true, force: true });
      const pair = [() => samples.oursCold!.push(ours(fresh('tmp'), fresh('bundles'))), () => samples.baseCold!.push(baseline(fresh('tmp'), false))];
      for (const f of i % 2 === 0 ? pair : [...pair].reverse()) f();
    }
    // Warm-up: fill the warm caches and cdk.out once, untimed.
    ours(warmTmp, warmCache);
    oursTsx(warmTmp, warmCache);
    baseline(warmTmp, false);
    baseline(warmTmp, false, true);
    baseline(warmTmp, true);
    for (let i = 0; i < WARM_RUNS; i++) {
      const round = [
        () => samples.ours!.push(ours(warmTmp, warmCache)),
        () => samples.oursTsx!.push(oursTsx(warmTmp, warmCache)),
        () => samples.base!.push(baseline(warmTmp, false)),
        () => samples.baseJs!.push(baseline(warmTmp, false, true)),
        () => samples.baseValidated!.push(baseline(warmTmp, true)),
      ];
      // Rotate the order so no side always runs right after the other.
      for (let j = 0; j < round.length; j++) round[(i + j) % round.length]!();
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return [
    ms('synth-ms', samples.ours!),
    ms('synth-baseline-ms', samples.base!),
    ratio('synth-ratio', samples.ours!, samples.base!),
    ms('synth-tsx-ms', samples.oursTsx!),
    ratio('synth-tsx-ratio', samples.oursTsx!, samples.base!),
    ms('synth-baseline-js-ms', samples.baseJs!),
    ratio('synth-js-ratio', samples.ours!, samples.baseJs!),
    ms('synth-cold-ms', samples.oursCold!),
    ms('synth-baseline-cold-ms', samples.baseCold!),
    ratio('synth-cold-ratio', samples.oursCold!, samples.baseCold!),
    ms('synth-baseline-validated-ms', samples.baseValidated!),
    ratio('synth-validated-ratio', samples.ours!, samples.baseValidated!),
  ];
}
