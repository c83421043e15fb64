import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS, main, type CommandSpec } from '../../src/cli/main.js';
import { CliError, EXIT } from '../../src/cli/errors.js';
import { BufferIo } from '../../src/cli/io.js';
import { CLI_ARGS } from './support/spawn-cli.js';

function ctx(io = new BufferIo()) {
  return { io, env: {}, cwd: mkdtempSync(join(tmpdir(), 'jenkins-ecs-main-')), now: () => new Date('2026-01-01T00:00:00Z') };
}

const fake = (name: string, run: () => Promise<number>): CommandSpec => ({ name, summary: `fake ${name}`, options: [['--x', 'an option']], load: async () => ({ run }) });

describe('dispatcher', () => {
  test('--help lists every command of the table and exits 0', async () => {
    const c = ctx();
    assert.equal(await main(['--help'], c), EXIT.ok);
    for (const cmd of COMMANDS) assert.match(c.io.text(), new RegExp(`^  ${cmd.name} `, 'm'));
  });
  test('<command> --help prints its options without running it', async () => {
    const c = ctx();
    let ran = false;
    const code = await main(['boom', '--help'], c, [fake('boom', async () => { ran = true; return 0; })]);
    assert.equal(code, EXIT.ok);
    assert.equal(ran, false);
    assert.match(c.io.text(), /usage: jenkins-ecs boom/);
    assert.match(c.io.text(), /--x/);
  });
  test('--version prints the package version', async () => {
    const c = ctx();
    assert.equal(await main(['--version'], c), EXIT.ok);
    assert.match(c.io.text(), /^\d+\.\d+\.\d+/);
  });
  test('an unknown command prints usage on stderr and exits 2', async () => {
    const c = ctx();
    assert.equal(await main(['frobnicate'], c), EXIT.usage);
    assert.match(c.io.stderr[0]!, /unknown command "frobnicate"/);
    assert.ok(c.io.stderr.some((l) => l.startsWith('usage: jenkins-ecs')));
  });
  test('no command at all prints usage and exits 2', async () => {
    const c = ctx();
    assert.equal(await main([], c), EXIT.usage);
  });
  test('a CliError becomes one stderr line and its exit code', async () => {
    const c = ctx();
    const code = await main(['nf'], c, [fake('nf', async () => { throw new CliError('snapshot snap-1 not found', EXIT.notFound); })]);
    assert.equal(code, EXIT.notFound);
    assert.deepEqual(c.io.stderr, ['jenkins-ecs: snapshot snap-1 not found']);
  });
  test('any other error becomes one line and exit 1; the stack only with --debug', async () => {
    const boom = fake('boom', async () => { throw new TypeError('x is undefined'); });
    const quiet = ctx();
    assert.equal(await main(['boom'], quiet, [boom]), EXIT.failure);
    assert.equal(quiet.io.stderr.length, 1);
    assert.match(quiet.io.stderr[0]!, /^jenkins-ecs: x is undefined/);
    const loud = ctx();
    assert.equal(await main(['boom', '--debug'], loud, [boom]), EXIT.failure);
    assert.ok(loud.io.stderr.some((l) => l.includes('TypeError') && l.includes('at ')));
  });
  test('--debug is taken out of the command arguments and sets ctx.debug', async () => {
    let seen: { args: readonly string[]; debug: boolean } | undefined;
    const spec: CommandSpec = { name: 'peek', summary: '', options: [], load: async () => ({ run: async (args, c) => { seen = { args, debug: c.debug }; return 0; } }) };
    await main(['--debug', 'peek', '--a', 'b'], ctx(), [spec]);
    assert.deepEqual(seen, { args: ['--a', 'b'], debug: true });
  });
  test('an unknown option of a real command is a usage error (exit 2)', async () => {
    const c = ctx();
    assert.equal(await main(['validate', '--bogus'], c), EXIT.usage);
    assert.match(c.io.stderr[0]!, /^jenkins-ecs: validate: .*--bogus/);
  });
});

describe('the real executable (spawned like npx jenkins-ecs)', () => {
  const bin = (args: string[], cwd: string) => spawnSync(process.execPath, [...CLI_ARGS, ...args], { cwd, encoding: 'utf8' });
  test('validate exits 0 on a valid file and 1 on an invalid one, naming the problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jenkins-ecs-bin-'));
    writeFileSync(join(dir, 'good.yaml'), 'name: ci\naccess:\n  internal: true\n');
    writeFileSync(join(dir, 'bad.yaml'), 'name: ci\ncontroller:\n  home:\n    iops: 2000\n');
    const good = bin(['validate', '--config', 'good.yaml'], dir);
    assert.equal(good.status, 0, good.stderr);
    assert.match(good.stdout, /good\.yaml: valid/);
    const bad = bin(['validate', '--config', 'bad.yaml'], dir);
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(bad.stdout, /controller\.home\.iops: 2000 is below the gp3 minimum/);
  });
  test('a YAML syntax error exits 1 and names the line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jenkins-ecs-bin-'));
    writeFileSync(join(dir, 'jenkins-ecs.yaml'), 'name: ci\ncontroller:\n  cpu: [2048\n');
    const r = bin(['validate'], dir);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^jenkins-ecs\.yaml:\d+:\d+: YAML syntax error: /m);
  });
});
