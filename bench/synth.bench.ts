// `npm run synth` as a whole process, the way a user waits for it (npm, tsx, module loading,
// the app, cdk-nag, writing cdk.out, exit), against a bare CDK app with one
// ApplicationLoadBalancedFargateService (bench/baseline-app.ts) started through npm and tsx too.
// Interleaved in the same run, so machine load hits both alike. Goal: synth-ratio ≤ 1.2 (warm).
// - synth-ms / synth-baseline-ms / synth-ratio: warm: cdk.out, the bundle cache and tsx's cache
//   hold the previous run's output (the usual edit-config-and-synth loop);
// - synth-cold-ms / synth-baseline-cold-ms / synth-cold-ratio: cold: no cdk.out, an empty bundle
//   cache (esbuild bundles the reconciler and the keeper) and an empty tsx cache (a fresh TMPDIR);
// - synth-baseline-validated-ms / synth-validated-ratio: the bare app with aws-cdk-lib's built-in
//   CloudFormation validation on (its default); ours runs without it (bin/app.ts says why), so
//   synth-ratio compares like with like and this one shows what the default costs.
// Writes ./cdk.out as `npm run synth` does.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    const e: NodeJS.ProcessEnv = { ...process.env, ...extra };
    for (const k of ['CDK_OUTDIR', 'CDK_CONTEXT_JSON', 'CDK_DEFAULT_ACCOUNT', 'CDK_DEFAULT_REGION', 'JENKINS_ECS_CONFIG', 'CDK_VALIDATION']) delete e[k];
    return e;
  };
  const ours = (tmp: string, cache: string) => timeProcess('npm', ['run', '--silent', 'synth'], { cwd: ROOT, env: env({ TMPDIR: tmp, [BUNDLE_CACHE_ENV]: cache }) });
  const baseline = (tmp: string, validated: boolean) =>
    timeProcess('npm', ['exec', '--offline', '--', 'tsx', join('bench', 'baseline-app.ts')], {
      cwd: ROOT,
      env: env({ TMPDIR: tmp, BASELINE_OUTDIR: baselineOut, ...(validated ? {} : { CDK_VALIDATION: 'false' }) }),
    });
  const fresh = (name: string) => mkdtempSync(join(scratch, `${name}-`));
  const samples: Record<string, number[]> = { ours: [], base: [], baseValidated: [], oursCold: [], baseCold: [] };
  try {
    for (const d of [warmTmp, warmCache]) mkdirSync(d);
    for (let i = 0; i < COLD_RUNS; i++) {
      rmSync(join(ROOT, 'cdk.out'), { recursive: true, force: true });
      rmSync(baselineOut, { recursive: true, force: true });
      const pair = [() => samples.oursCold!.push(ours(fresh('tmp'), fresh('bundles'))), () => samples.baseCold!.push(baseline(fresh('tmp'), false))];
      for (const f of i % 2 === 0 ? pair : [...pair].reverse()) f();
    }
    // Warm-up: fill the warm caches and cdk.out once, untimed.
    ours(warmTmp, warmCache);
    baseline(warmTmp, false);
    baseline(warmTmp, true);
    for (let i = 0; i < WARM_RUNS; i++) {
      const round = [
        () => samples.ours!.push(ours(warmTmp, warmCache)),
        () => samples.base!.push(baseline(warmTmp, false)),
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
    ms('synth-cold-ms', samples.oursCold!),
    ms('synth-baseline-cold-ms', samples.baseCold!),
    ratio('synth-cold-ratio', samples.oursCold!, samples.baseCold!),
    ms('synth-baseline-validated-ms', samples.baseValidated!),
    ratio('synth-validated-ratio', samples.ours!, samples.baseValidated!),
  ];
}
