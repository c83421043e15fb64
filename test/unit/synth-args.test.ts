// bin/app.ts arguments (src/synth-cli.ts): the cdk-style `-c config=F`, `--config F`, and what npm
// leaves of `npm run synth --config F` when the flag is written before `--`. The npm shapes are
// taken from npm itself: a probe package runs a script that prints what it received.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedVpcAccounts, parseSynthArgs, SynthUsageError } from '../../src/synth-cli.js';

/** What a script started by `npm run probe <npmArgs>` receives: its arguments and npm_config_config. */
function npmProbe(npmArgs: string[]): { argv: string[]; env: Record<string, string | undefined> } {
  const dir = mkdtempSync(join(tmpdir(), 'jenkins-ecs-npm-probe-'));
  writeFileSync(join(dir, 'probe.js'), 'console.log(JSON.stringify({ argv: process.argv.slice(2), config: process.env.npm_config_config }))\n');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'probe', version: '1.0.0', scripts: { probe: 'node probe.js' } }));
  const r = spawnSync('npm', ['run', '--silent', 'probe', ...npmArgs], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { argv: string[]; config?: string };
  return { argv: out.argv, env: { npm_config_config: out.config } };
}

describe('synth arguments', () => {
  test('-c config=F and --context config=F are context, as for the cdk CLI; other pairs too', () => {
    assert.deepEqual(parseSynthArgs(['-c', 'config=a.yaml', '-c', 'exec=true']), { context: { config: 'a.yaml', exec: 'true' } });
    assert.deepEqual(parseSynthArgs(['--context', 'config=a.yaml']), { context: { config: 'a.yaml' } });
    assert.deepEqual(parseSynthArgs(['--context=config=a=b.yaml']), { context: { config: 'a=b.yaml' } });
  });

  test('--config F and --config=F', () => {
    assert.deepEqual(parseSynthArgs(['--config', 'a.yaml']), { context: {}, configFlag: 'a.yaml' });
    assert.deepEqual(parseSynthArgs(['--config=a.yaml']), { context: {}, configFlag: 'a.yaml' });
  });

  test('npm run synth -- -c config=F reaches the app intact', () => {
    const p = npmProbe(['--', '-c', 'config=F.yaml']);
    assert.deepEqual(parseSynthArgs(p.argv, p.env), { context: { config: 'F.yaml' } });
  });

  test('npm run synth --config F (npm eats the flag) and --config=F are both honoured', () => {
    const spaced = npmProbe(['--config', 'F.yaml']);
    assert.deepEqual(parseSynthArgs(spaced.argv, spaced.env), { context: {}, configFlag: 'F.yaml', viaNpm: true });
    const joined = npmProbe(['--config=F.yaml']);
    assert.deepEqual(parseSynthArgs(joined.argv, joined.env), { context: {}, configFlag: 'F.yaml', viaNpm: true });
  });

  test('anything else is one clear refusal that shows the working form', () => {
    for (const argv of [['F.yaml'], ['--bogus'], ['-c'], ['-c', 'config'], ['--config']]) {
      assert.throws(() => parseSynthArgs(argv), (e: Error) => e instanceof SynthUsageError && /npm run synth -- -c config=FILE/.test(e.message), argv.join(' '));
    }
  });

  test('a cached VPC lookup names its account, for that VPC and region only', () => {
    const key = (account: string, vpc: string, region: string) => `vpc-provider:account=${account}:filter.vpc-id=${vpc}:region=${region}:returnAsymmetricSubnets=true`;
    const ctx = { [key('111111111111', 'vpc-0a', 'eu-west-1')]: {}, [key('222222222222', 'vpc-0b', 'eu-west-1')]: {}, 'other:account=333333333333': {} };
    assert.deepEqual(cachedVpcAccounts(ctx, 'vpc-0a', 'eu-west-1'), ['111111111111']);
    assert.deepEqual(cachedVpcAccounts(ctx, 'vpc-0a', 'us-east-1'), []);
    assert.deepEqual(cachedVpcAccounts(ctx, 'vpc-0c', 'eu-west-1'), []);
  });
});
