/**
 * The installed CLI: `npm pack` of this checkout holds the bundled JavaScript the CLI needs
 * (scripts/build-cli.mjs) and nothing that would need a TypeScript loader, and the unpacked
 * tarball runs from another folder. The package is private, so `npm publish` refuses it.
 *
 * Oracles: npm's own file selection (`npm pack`), esbuild's import graph of the CLI entry (which
 * sources it needs) against the bundle's own source map, and Node's module cache in the running
 * CLI (what it loaded).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildSync } from 'esbuild';
import { CLI_ENTRY, ROOT } from './support/spawn-cli.js';
import { motoEnv } from './support/moto.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  private?: boolean;
  bin: Record<string, string>;
};

/** Our source files the CLI entry imports, directly or not (npm packages excluded). */
function cliSourceClosure(): string[] {
  const r = buildSync({ entryPoints: [CLI_ENTRY], bundle: true, platform: 'node', packages: 'external', write: false, metafile: true, logLevel: 'silent' });
  return Object.keys(r.metafile.inputs).map((f) => relative(ROOT, join(ROOT, f)));
}

describe('the packed CLI', () => {
  let files: string[] = [];
  let installed = '';

  before(() => {
    // What `npm run build` and npm's `prepack` (on npm pack) emit.
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-cli.mjs')], { cwd: ROOT, stdio: 'pipe' });
    const out = mkdtempSync(join(tmpdir(), 'jenkins-ecs-pack-'));
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', out], { cwd: ROOT, encoding: 'utf8' }),
    ) as { filename: string; files: { path: string }[] }[];
    files = packed[0]!.files.map((f) => f.path);
    // Unpacked below the checkout's node_modules, so its dependencies resolve from there, the
    // way npm would install them next to it; the package's own files come from the tarball only.
    const prefix = join(ROOT, 'node_modules', '.cache', 'jenkins-ecs-install-test');
    rmSync(prefix, { recursive: true, force: true });
    installed = join(prefix, 'node_modules', pkg.name);
    mkdirSync(installed, { recursive: true });
    execFileSync('tar', ['xzf', join(out, packed[0]!.filename), '-C', installed, '--strip-components=1']);
  });

  test('is private: npm refuses to publish it', () => {
    assert.equal(pkg.private, true);
  });

  test('holds the bundled bin, and the bundle every module the CLI imports, as JavaScript', () => {
    const bin = pkg.bin['jenkins-ecs'];
    assert.equal(bin, 'dist/bin/jenkins-ecs.js');
    assert.ok(files.includes(bin), `${bin} not in the package`);
    // esbuild heads each module it inlines with a comment naming its source.
    const bundle = readFileSync(join(installed, bin), 'utf8');
    const missing = cliSourceClosure().filter((src) => !bundle.includes(`\n// ${src}\n`));
    assert.deepEqual(missing, []);
    assert.doesNotMatch(bundle, /require\("(zod|yaml)"\)/, 'zod and yaml are inlined');
  });

  test('holds nothing but the bundle and npm\'s own files: no TypeScript, no tests, no CDK app code', () => {
    assert.deepEqual(files.filter((f) => f !== 'dist/bin/jenkins-ecs.js' && !/^(package\.json|README\.md|LICENSE)$/.test(f)), []);
  });

  test('the unpacked tarball runs from another folder and loads no TypeScript and no tsx', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'jenkins-ecs-installed-'));
    writeFileSync(join(cwd, 'jenkins-ecs.yaml'), 'name: ci\naccess:\n  internal: true\n');
    // Lists every module the process loaded, at exit.
    const probe = join(cwd, 'probe.cjs');
    writeFileSync(probe, "process.on('exit', () => require('fs').writeFileSync(process.env.PROBE_OUT, JSON.stringify(Object.keys(require.cache))));\n");
    const env = { ...motoEnv(), NODE_OPTIONS: '' };
    for (const args of [['--version'], ['--help'], ['validate'], ['plan', '--io-mibps', '20'], ['snapshots', '--name', 'install-probe']]) {
      const out = join(cwd, 'loaded.json');
      const r = spawnSync(process.execPath, ['-r', probe, join(installed, 'dist', 'bin', 'jenkins-ecs.js'), ...args], {
        cwd,
        encoding: 'utf8',
        env: { ...env, PROBE_OUT: out },
      });
      const label = args.join(' ');
      assert.equal(r.status, 0, `${label}: ${r.stderr}`);
      // snapshots: an empty lineage in moto, which still proves the AWS adapters load.
      if (args[0] === 'snapshots') assert.match(r.stdout, /has no snapshots yet/);
      const loaded = JSON.parse(readFileSync(out, 'utf8')) as string[];
      assert.deepEqual(loaded.filter((m) => m.endsWith('.ts') || /[\\/]tsx[\\/]/.test(m)), [], label);
      // Module cache keys are real paths (node_modules may be a symbolic link).
      assert.ok(loaded.some((m) => m.startsWith(join(realpathSync(installed), 'dist'))), `${label}: did not run the unpacked copy`);
    }
    assert.equal(spawnSync(process.execPath, [join(installed, 'dist', 'bin', 'jenkins-ecs.js'), '--version'], { encoding: 'utf8' }).stdout.trim(), JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });
});
