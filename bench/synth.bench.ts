// Synth cost of the default deployment (jenkins-ecs.yaml through buildApp, with cdk-nag, as
// `npm run synth` does) against a bare CDK app with one ApplicationLoadBalancedFargateService.
// Both run offline and env-agnostic, in this process, each into a fresh assembly directory.
// - synth-cold-ms: the first synths with an empty bundle cache (a new temp cache each), so esbuild
//   bundles the keeper and the reconciler as on a fresh checkout or after a source change;
// - synth-ms: later synths, alternating with the others, whose bundles come from that cache (the
//   usual `cdk synth`/`cdk diff` loop with unchanged sources). Everything else is redone.
// The cache is a temp dir (JENKINS_ECS_BUNDLE_CACHE), so the figures do not depend on what an
// earlier synth left in node_modules/.cache.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { App, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';
import { buildApp } from '../src/app.js';
import { loadConfigFile } from '../src/config/index.js';
import { BUNDLE_CACHE_ENV } from '../src/constructs/bundle-cache.js';

const RUNS = 7;
const COLD_RUNS = 3;

function timed(fn: (outdir: string) => void): number {
  const outdir = mkdtempSync(join(tmpdir(), 'jenkins-ecs-bench-'));
  try {
    const start = performance.now();
    fn(outdir);
    return performance.now() - start;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export async function run(): Promise<{ name: string; value: number; unit: string }[]> {
  const loaded = loadConfigFile(join(__dirname, '..', 'jenkins-ecs.yaml'));
  if (!loaded.ok) throw new Error(`jenkins-ecs.yaml is invalid: ${JSON.stringify(loaded.errors)}`);
  const config = loaded.config;

  const ours = (outdir: string) => {
    const app = new App({ outdir });
    buildApp(config, { app, env: {} });
    app.synth();
  };
  // The same app without cdk-nag: shows how much of the gap the AwsSolutions checks account for.
  const oursNoNag = (outdir: string) => {
    const app = new App({ outdir });
    buildApp(config, { app, env: {}, nag: false });
    app.synth();
  };
  // Without the home-continuity machinery (its keeper and reconciler bundles).
  const oursNoContinuity = (outdir: string) => {
    const app = new App({ outdir });
    buildApp(config, { app, env: {}, homeContinuity: false });
    app.synth();
  };
  const baseline = (outdir: string) => {
    const app = new App({ outdir });
    const stack = new Stack(app, 'Baseline');
    new ecsPatterns.ApplicationLoadBalancedFargateService(stack, 'Service', {
      taskImageOptions: { image: ecs.ContainerImage.fromRegistry('jenkins/jenkins:lts-jdk21'), containerPort: 8080 },
      cpu: 2048,
      memoryLimitMiB: 4096,
    });
    app.synth();
  };

  const previousCache = process.env[BUNDLE_CACHE_ENV];
  const caches: string[] = [];
  const useEmptyCache = (): void => {
    const dir = mkdtempSync(join(tmpdir(), 'jenkins-ecs-bench-cache-'));
    caches.push(dir);
    process.env[BUNDLE_CACHE_ENV] = dir;
  };
  try {
    // Warm-up without bundles: module loading and first-use caches are not what this measures.
    timed(oursNoContinuity);
    timed(oursNoContinuity);
    timed(baseline);
    timed(baseline);
    const coldMs: number[] = [];
    for (let i = 0; i < COLD_RUNS; i++) {
      useEmptyCache();
      coldMs.push(timed(ours));
    }
    // The last cold synth filled the current cache: from here on the bundles come from it.
    timed(ours);
    timed(oursNoNag);
    const oursMs: number[] = [];
    const noNagMs: number[] = [];
    const noContinuityMs: number[] = [];
    const baselineMs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      oursMs.push(timed(ours));
      noNagMs.push(timed(oursNoNag));
      noContinuityMs.push(timed(oursNoContinuity));
      baselineMs.push(timed(baseline));
    }
    const baselineMedian = median(baselineMs);
    const ms = (name: string, xs: number[]) => ({ name, value: Math.round(median(xs)), unit: 'ms' });
    const ratio = (name: string, xs: number[]) => ({
      name,
      value: Math.round((median(xs) / baselineMedian) * 100) / 100,
      unit: 'ratio',
    });
    return [
      ms('synth-ms', oursMs),
      ms('synth-baseline-ms', baselineMs),
      ratio('synth-ratio', oursMs),
      ms('synth-cold-ms', coldMs),
      ratio('synth-cold-ratio', coldMs),
      ms('synth-no-nag-ms', noNagMs),
      ratio('synth-no-nag-ratio', noNagMs),
      ms('synth-no-continuity-ms', noContinuityMs),
      ratio('synth-no-continuity-ratio', noContinuityMs),
    ];
  } finally {
    if (previousCache === undefined) delete process.env[BUNDLE_CACHE_ENV];
    else process.env[BUNDLE_CACHE_ENV] = previousCache;
    for (const dir of caches) rmSync(dir, { recursive: true, force: true });
  }
}
