// scripts/synth.mjs, what `npm run synth` and cdk.json's "app" run: bin/app.ts bundled to plain
// JavaScript under .build/app, rebuilt when (and only when) a file the bundle read changed.
// Run on a copy in a project of its own (the launcher finds everything from its own folder), so
// the real sources are never edited.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/constructs/bundle-cache.js';
import { CONTROLLER_IMAGE_SOURCE } from '../../src/constructs/controller-image.js';
import { findPackageRoot } from '../../src/package-root.js';

const ROOT = join(__dirname, '../..');

describe('findPackageRoot', () => {
  test('is the checkout from every layout the code runs from: src/, dist/bin (the bundled CLI), .build/app (the bundled app)', () => {
    for (const dir of ['src/constructs', 'dist/bin', '.build/app', '.']) assert.equal(findPackageRoot(join(ROOT, dir)), ROOT, dir);
  });

  test('the constructs find the controller image folder from there', () => {
    assert.equal(CONTROLLER_IMAGE_SOURCE, join(ROOT, 'jenkins', 'controller'));
    assert.equal(PROJECT_ROOT, ROOT);
  });

  test('is undefined with no package.json up to the file system root', () => {
    assert.equal(findPackageRoot(mkdtempSync(join(tmpdir(), 'jenkins-ecs-no-package-'))), undefined);
  });
});

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'jenkins-ecs-launcher-'));
  for (const d of ['bin', 'src/lib', 'scripts', 'jenkins']) mkdirSync(join(dir, d), { recursive: true });
  copyFileSync(join(ROOT, 'scripts', 'synth.mjs'), join(dir, 'scripts', 'synth.mjs'));
  // esbuild (and the packages the app would import) from this checkout.
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'package.json'), '{"name":"fixture","private":true}\n');
  writeFileSync(join(dir, 'package-lock.json'), '{"lockfileVersion":3,"packages":{}}\n');
  writeFileSync(join(dir, 'tsconfig.json'), '{"compilerOptions":{"module":"NodeNext","strict":true}}\n');
  writeFileSync(join(dir, 'jenkins', 'data.json'), '{"n":1}\n');
  writeFileSync(join(dir, 'src', 'lib', 'greeting.ts'), "export const greeting: string = 'hello';\n");
  writeFileSync(join(dir, 'src', 'root.ts'), "import { findPackageRoot } from './package-root.js';\nexport const root = findPackageRoot(__dirname);\n");
  copyFileSync(join(ROOT, 'src', 'package-root.ts'), join(dir, 'src', 'package-root.ts'));
  writeFileSync(
    join(dir, 'bin', 'app.ts'),
    [
      "import data from '../jenkins/data.json';",
      "import { greeting } from '../src/lib/greeting.js';",
      "import { root } from '../src/root.js';",
      'const typed: number = data.n;',
      "console.log(JSON.stringify({ greeting, n: typed, root, args: process.argv.slice(2), dirname: __dirname }));",
      '',
    ].join('\n'),
  );
  return dir;
}

function run(dir: string, args: string[] = []): { greeting: string; n: number; root: string; args: string[]; dirname: string } {
  const r = spawnSync(process.execPath, [join(dir, 'scripts', 'synth.mjs'), ...args], { cwd: tmpdir(), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '', 'a synth with nothing to report prints nothing of its own');
  return JSON.parse(r.stdout) as { greeting: string; n: number; root: string; args: string[]; dirname: string };
}

describe('scripts/synth.mjs', () => {
  const dir = project();
  const bundle = join(dir, '.build', 'app', 'app.js');
  const first = run(dir, ['-c', 'config=x.yaml']);

  test('on a fresh checkout it bundles bin/app.ts and runs it as JavaScript, with the arguments and the package root', () => {
    assert.deepEqual(first, { greeting: 'hello', n: 1, root: dir, args: ['-c', 'config=x.yaml'], dirname: join(dir, '.build', 'app') });
    assert.doesNotMatch(readFileSync(bundle, 'utf8'), /: string = /, 'the bundle still holds TypeScript');
  });

  test('unchanged inputs reuse the bundle: it is not written again', () => {
    const before = statSync(bundle).mtimeMs;
    writeFileSync(join(dir, 'README.md'), 'not an input\n');
    run(dir);
    assert.equal(statSync(bundle).mtimeMs, before);
  });

  test('an edit to any file the bundle read (a source, an imported JSON file) rebuilds it', () => {
    writeFileSync(join(dir, 'src', 'lib', 'greeting.ts'), "export const greeting: string = 'hellp';\n");
    assert.equal(run(dir).greeting, 'hellp');
    writeFileSync(join(dir, 'jenkins', 'data.json'), '{"n":2}\n');
    assert.equal(run(dir).n, 2);
  });

  test('a new file next to a source, a changed lock file or a removed bundle rebuild it', () => {
    for (const change of [
      () => writeFileSync(join(dir, 'src', 'lib', 'new.ts'), 'export {};\n'),
      () => writeFileSync(join(dir, 'package-lock.json'), '{"lockfileVersion":3,"packages":{"":{}}}\n'),
    ]) {
      const before = statSync(bundle).mtimeMs;
      change();
      run(dir);
      assert.notEqual(statSync(bundle).mtimeMs, before);
    }
    rmSync(bundle);
    assert.equal(run(dir).greeting, 'hellp');
  });
});
