// Synth cost of the default deployment (jenkins-ecs.yaml through buildApp, with cdk-nag, as
// `npm run synth` does) against a bare CDK app with one ApplicationLoadBalancedFargateService.
// Both run offline and env-agnostic, in this process, alternating, after one warm-up each.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { App, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';
import { buildApp } from '../src/app.js';
import { loadConfigFile } from '../src/config/index.js';

const RUNS = 7;

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
  // Without the home-continuity machinery: its keeper and reconciler bundles are built with
  // esbuild during construction, on every synth.
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

  // Warm-up: module loading and first-use caches are not what this measures.
  timed(ours);
  timed(oursNoNag);
  timed(oursNoContinuity);
  timed(baseline);
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
  const synthMs = median(oursMs);
  const noNagMedian = median(noNagMs);
  const baselineMedian = median(baselineMs);
  const ratio = (x: number) => Math.round((x / baselineMedian) * 100) / 100;
  return [
    { name: 'synth-ms', value: Math.round(synthMs), unit: 'ms' },
    { name: 'synth-baseline-ms', value: Math.round(baselineMedian), unit: 'ms' },
    { name: 'synth-ratio', value: ratio(synthMs), unit: 'ratio' },
    { name: 'synth-no-nag-ms', value: Math.round(noNagMedian), unit: 'ms' },
    { name: 'synth-no-nag-ratio', value: ratio(noNagMedian), unit: 'ratio' },
    { name: 'synth-no-continuity-ms', value: Math.round(median(noContinuityMs)), unit: 'ms' },
    { name: 'synth-no-continuity-ratio', value: ratio(median(noContinuityMs)), unit: 'ratio' },
  ];
}
