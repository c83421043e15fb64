// bin/app.ts, the CDK app entry (`npm run synth`, `npx cdk deploy --all -c config=PATH`): where the
// config comes from, bad configs refused before anything is written, and an offline synth.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG_PATH, resolveConfigPath } from '../../src/app.js';
import { ACCOUNT, vpcLookupContext } from './synth.js';

/** The stack templates in an assembly directory, sorted. */
const templatesIn = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.template.json')).sort() : []);

const ROOT = join(__dirname, '../..');
/** What `npm run synth` and cdk.json's "app" run: bin/app.ts bundled to JavaScript, no tsx. */
const LAUNCHER = join(ROOT, 'scripts/synth.mjs');

/** Asset folders the asset manifests of an assembly name (`asset.<hash>`). */
function namedAssets(out: string): string[] {
  const named: string[] = [];
  for (const f of readdirSync(out).filter((n) => n.endsWith('.assets.json'))) {
    const doc = JSON.parse(readFileSync(join(out, f), 'utf8')) as {
      files?: Record<string, { source: { path?: string } }>;
      dockerImages?: Record<string, { source: { directory?: string } }>;
    };
    for (const a of Object.values(doc.files ?? {})) if (a.source.path?.startsWith('asset.')) named.push(a.source.path);
    for (const a of Object.values(doc.dockerImages ?? {})) if (a.source.directory?.startsWith('asset.')) named.push(a.source.directory);
  }
  return named.sort();
}

/** Runs bin/app.ts (through scripts/synth.mjs) in `cwd` with no AWS account or region in the environment. */
function runBin(cwd: string, args: string[], extraEnv: Record<string, string> = {}) {
  const env: Record<string, string | undefined> = { ...process.env, ...extraEnv };
  for (const k of ['CDK_DEFAULT_ACCOUNT', 'CDK_DEFAULT_REGION', 'CDK_OUTDIR', 'CDK_CONTEXT_JSON', 'JENKINS_ECS_CONFIG']) {
    if (!(k in extraEnv)) delete env[k];
  }
  return spawnSync(process.execPath, [LAUNCHER, ...args], { cwd, env, encoding: 'utf8' });
}

describe('config path resolution', () => {
  test('-c config=PATH (context) wins over --config, JENKINS_ECS_CONFIG and the default', () => {
    assert.equal(resolveConfigPath({ context: 'ctx.yaml', argv: ['--config', 'arg.yaml'], env: { JENKINS_ECS_CONFIG: 'env.yaml' } }), 'ctx.yaml');
  });

  test('--config PATH and --config=PATH win over the environment', () => {
    assert.equal(resolveConfigPath({ argv: ['--config', 'arg.yaml'], env: { JENKINS_ECS_CONFIG: 'env.yaml' } }), 'arg.yaml');
    assert.equal(resolveConfigPath({ argv: ['--config=arg2.yaml'], env: { JENKINS_ECS_CONFIG: 'env.yaml' } }), 'arg2.yaml');
  });

  test('JENKINS_ECS_CONFIG is used when no flag or context is given, else jenkins-ecs.yaml', () => {
    assert.equal(resolveConfigPath({ argv: [], env: { JENKINS_ECS_CONFIG: 'env.yaml' } }), 'env.yaml');
    assert.equal(resolveConfigPath({ argv: [], env: {} }), DEFAULT_CONFIG_PATH);
    assert.equal(DEFAULT_CONFIG_PATH, 'jenkins-ecs.yaml');
  });
});

describe('bin/app.ts', () => {
  test('a bad config prints every problem and exits 1 before any template is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jenkins-ecs-bin-'));
    writeFileSync(join(dir, 'bad.yaml'), 'name: Bad_Name\ncontroller:\n  cpu: 3000\n  home:\n    volumeType: st1\n');
    const run = runBin(dir, ['--config', 'bad.yaml']);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /name/);
    assert.match(run.stderr, /controller\.cpu/);
    assert.match(run.stderr, /controller\.home\.volumeType/);
    assert.ok(!existsSync(join(dir, 'cdk.out')), 'cdk.out was written for a bad config');
  });

  test('under the cdk CLI, -c config=PATH arrives as context and is honoured', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jenkins-ecs-bin-'));
    writeFileSync(join(dir, 'ctx.yaml'), 'name: x\n');
    const outdir = join(dir, 'out');
    const run = runBin(dir, [], { CDK_CONTEXT_JSON: JSON.stringify({ config: 'ctx.yaml' }), CDK_OUTDIR: outdir });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /^ctx\.yaml: /m);
    assert.ok(!existsSync(join(outdir, 'manifest.json')));
  });

  test('importing a VPC without a cached lookup says how to get one and leaves no template behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jenkins-ecs-bin-'));
    writeFileSync(join(dir, 'vpc.yaml'), readFileSync(join(ROOT, 'examples/existing-vpc.yaml')));
    // A template of an earlier synth must not survive a synth that could not run.
    mkdirSync(join(dir, 'cdk.out'));
    writeFileSync(join(dir, 'cdk.out', 'jenkins-ecs-old.template.json'), '{}');
    const run = runBin(dir, ['-c', 'config=vpc.yaml'], { CDK_DEFAULT_ACCOUNT: ACCOUNT });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /^vpc\.yaml: vpc\.id: importing vpc-0123456789abcdef0 needs a lookup .* cdk\.context\.json holds none\. Run once with credentials for that account: `npx cdk synth -c config=vpc\.yaml`.*Commit that file/m);
    assert.doesNotMatch(run.stderr, /vpc-12345|dummy/);
    assert.deepEqual(templatesIn(join(dir, 'cdk.out')), []);
  });

  test('with the lookup cached in cdk.context.json, an imported VPC synthesizes offline with no account set', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jenkins-ecs-bin-'));
    writeFileSync(join(dir, 'vpc.yaml'), readFileSync(join(ROOT, 'examples/existing-vpc.yaml')));
    writeFileSync(join(dir, 'cdk.context.json'), JSON.stringify(vpcLookupContext('vpc-0123456789abcdef0', 'eu-west-1')));
    const run = runBin(dir, ['--config', 'vpc.yaml']);
    assert.equal(run.status, 0, run.stderr);
    const template = readFileSync(join(dir, 'cdk.out', 'jenkins-ecs-ci-internal.template.json'), 'utf8');
    assert.match(template, /subnet-0bbbbbbbbbbbbbbb1/);
  });

  test('-c config=A then --config B: cdk.out holds B\'s templates only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jenkins-ecs-bin-'));
    writeFileSync(join(dir, 'a.yaml'), 'name: first\naccess: {internal: true}\n');
    writeFileSync(join(dir, 'b.yaml'), 'name: second\naccess: {internal: true}\n');
    const a = runBin(dir, ['-c', 'config=a.yaml']);
    assert.equal(a.status, 0, a.stderr);
    assert.match(a.stderr, /^a\.yaml: synthesized 2 stack\(s\)/m);
    assert.deepEqual(templatesIn(join(dir, 'cdk.out')), ['jenkins-ecs-first-state.template.json', 'jenkins-ecs-first.template.json']);
    const b = runBin(dir, ['--config', 'b.yaml']);
    assert.equal(b.status, 0, b.stderr);
    assert.deepEqual(templatesIn(join(dir, 'cdk.out')), ['jenkins-ecs-second-state.template.json', 'jenkins-ecs-second.template.json']);
    // And no asset folder of the first, and every one the second needs: the folders left are
    // exactly those its asset manifests name (the cached Lambda bundles included).
    const out = join(dir, 'cdk.out');
    assert.deepEqual(readdirSync(out).filter((f) => f.startsWith('asset.')).sort(), namedAssets(out));
  });

  test('an argument it cannot honour is refused in one line, exit 2, before anything is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jenkins-ecs-bin-'));
    const run = runBin(dir, ['examples/production.yaml']);
    assert.equal(run.status, 2);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /^synth: unexpected argument "examples\/production\.yaml"; use `npm run synth -- -c config=FILE`/);
    assert.ok(!existsSync(join(dir, 'cdk.out')));
  });

  test('with no flags it synthesizes jenkins-ecs.yaml offline, with no account, region or credentials', () => {
    // Run from the project root (as npm run synth and the cdk CLI do); output goes to a temp dir.
    const outdir = mkdtempSync(join(tmpdir(), 'jenkins-ecs-bin-out-'));
    const run = runBin(ROOT, [], {
      CDK_OUTDIR: outdir,
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SESSION_TOKEN: '',
      AWS_REGION: '',
      AWS_DEFAULT_REGION: '',
      // An empty bundle cache: esbuild bundles the reconciler, as on a fresh checkout.
      JENKINS_ECS_BUNDLE_CACHE: mkdtempSync(join(tmpdir(), 'jenkins-ecs-bin-cache-')),
    });
    assert.equal(run.status, 0, run.stderr);
    // Quiet: no esbuild bundle summary (`index.js  4.0mb ⚠️`, `⚡ Done in 254ms`).
    assert.doesNotMatch(run.stderr, /\d\.\dmb|Done in \d+ms|⚠️/);
    assert.ok(existsSync(join(outdir, 'jenkins-ecs-ci.template.json')));
    const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as { missing?: unknown[] };
    assert.equal(manifest.missing, undefined);
  });
});
