// The input-addressed bundle cache (src/constructs/bundle-cache.ts) and its two users: the keeper
// image context and the reconciler's NodejsFunction. Sources live in temp copies, so a test can
// flip a byte without touching the repository; caches and assemblies live in temp dirs too.
// Proof of reuse: the cached bundle is edited behind the cache's back, and a later synth that
// stages the edited bytes (and leaves their mtime alone) cannot have run esbuild.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { BUNDLE_CACHE_ENV, PROJECT_ROOT, bundleInputHash, cachedNodejsFunction, entrySources, metafileSources } from '../../src/constructs/bundle-cache.js';
import { buildSync } from 'esbuild';
import { KEEPER_BUNDLE_FILE, stageKeeperImage } from '../../src/constructs/keeper-image.js';

const FIXTURES = join(PROJECT_ROOT, 'test', 'constructs', 'fixtures');
const scratch = mkdtempSync(join(tmpdir(), 'bundle-cache-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

let counter = 0;
function tempDir(name: string): string {
  const dir = join(scratch, `${name}-${counter++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A source tree: src/main.ts importing src/lib/greeting.ts, plus src/other.ts and docs/notes.ts, which it does not import. */
function sourceTree(): { root: string; src: string; entry: string; lib: string } {
  const root = tempDir('project');
  const src = join(root, 'src');
  mkdirSync(join(src, 'lib'), { recursive: true });
  writeFileSync(join(src, 'lib', 'greeting.ts'), "export const greeting = 'hello';\n");
  writeFileSync(join(src, 'other.ts'), 'export const other = 1;\n');
  mkdirSync(join(root, 'docs'));
  writeFileSync(join(root, 'docs', 'notes.ts'), 'export const notes = 1;\n');
  writeFileSync(
    join(src, 'main.ts'),
    "import { greeting } from './lib/greeting';\nprocess.stdout.write(JSON.stringify({ greeting, args: process.argv.slice(2) }) + '\\n');\n",
  );
  return { root, src, entry: join(src, 'main.ts'), lib: join(src, 'lib', 'greeting.ts') };
}

describe('input hash', () => {
  const tree = sourceTree();
  const inputs = { entry: tree.entry, sources: [tree.entry, tree.lib], options: { target: 'node20' } };
  const base = bundleInputHash(inputs);

  test('is stable for unchanged inputs', () => {
    assert.equal(bundleInputHash(inputs), base);
    assert.match(base, /^[0-9a-f]{64}$/);
  });

  test('changing one byte of an imported source file changes it, and restoring the byte restores it', () => {
    const original = readFileSync(tree.lib);
    const flipped = Buffer.from(original);
    flipped[flipped.length - 3] = flipped[flipped.length - 3]! ^ 1;
    writeFileSync(tree.lib, flipped);
    try {
      assert.notEqual(bundleInputHash(inputs), base);
    } finally {
      writeFileSync(tree.lib, original);
    }
    assert.equal(bundleInputHash(inputs), base);
  });

  test('a file added next to a source (it could change how an import resolves) or a renamed neighbour changes it', () => {
    writeFileSync(join(tree.src, 'lib', 'greeting.js'), 'module.exports = {};\n');
    const added = bundleInputHash(inputs);
    rmSync(join(tree.src, 'lib', 'greeting.js'));
    assert.notEqual(added, base);
    assert.equal(bundleInputHash(inputs), base);
    cpSync(join(tree.src, 'other.ts'), join(tree.src, 'other2.ts'));
    rmSync(join(tree.src, 'other.ts'));
    try {
      assert.notEqual(bundleInputHash(inputs), base);
    } finally {
      cpSync(join(tree.src, 'other2.ts'), join(tree.src, 'other.ts'));
      rmSync(join(tree.src, 'other2.ts'));
    }
  });

  test('editing a file the bundle does not read, in a directory it does not read from, leaves it alone', () => {
    writeFileSync(join(tree.root, 'docs', 'notes.ts'), 'export const notes = 2;\n');
    writeFileSync(join(tree.root, 'docs', 'more.ts'), 'export const more = 1;\n');
    assert.equal(bundleInputHash(inputs), base);
  });

  test('other bundler options, another entry or an extra build file change it; option key order does not', () => {
    assert.notEqual(bundleInputHash({ ...inputs, options: { target: 'node22' } }), base);
    assert.notEqual(bundleInputHash({ ...inputs, entry: join(tree.src, 'other.ts') }), base);
    const dockerfile = join(tree.root, 'Dockerfile');
    writeFileSync(dockerfile, 'FROM scratch\n');
    const withFile = bundleInputHash({ ...inputs, files: [dockerfile] });
    assert.notEqual(withFile, base);
    writeFileSync(dockerfile, 'FROM scratch \n');
    assert.notEqual(bundleInputHash({ ...inputs, files: [dockerfile] }), withFile);
    const two = { entry: tree.entry, sources: [tree.lib] };
    assert.equal(bundleInputHash({ ...two, options: { a: 1, b: 2 } }), bundleInputHash({ ...two, options: { b: 2, a: 1 } }));
  });

  test('a build file that is already hashed (the lock file, tsconfig.json) named again in files changes nothing', () => {
    assert.equal(bundleInputHash({ ...inputs, files: [join(PROJECT_ROOT, 'package-lock.json'), 'tsconfig.json'] }), base);
  });
});

describe('keeper image context', () => {
  const dockerfile = join(FIXTURES, 'keeper.Dockerfile');

  test('is bundled once per input hash: the second stage reuses the cached bundle without running esbuild', () => {
    const tree = sourceTree();
    const root = tempDir('keeper-cache');
    const options = { entry: tree.entry, dockerfile, stagingRoot: root };
    const first = stageKeeperImage(options);
    const bundle = join(first, KEEPER_BUNDLE_FILE);
    const run = spawnSync(process.execPath, [bundle, '--health'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { greeting: 'hello', args: ['--health'] });

    // Edited behind the cache's back: only a cache hit can hand these bytes back.
    appendFileSync(bundle, '// cached copy\n');
    const mtime = statSync(bundle).mtimeMs;
    const second = stageKeeperImage(options);
    assert.equal(second, first);
    assert.match(readFileSync(join(second, KEEPER_BUNDLE_FILE), 'utf8'), /\/\/ cached copy\n$/);
    assert.equal(statSync(join(second, KEEPER_BUNDLE_FILE)).mtimeMs, mtime);
    assert.equal(readdirSync(root).filter((n) => n.startsWith('keeper-') && !n.endsWith('.json')).length, 1);

    // A file it does not import changes nothing either.
    writeFileSync(join(tree.root, 'docs', 'notes.ts'), 'export const notes = 2;\n');
    assert.equal(stageKeeperImage(options), first);
  });

  test('a changed source byte gives a new context with a fresh bundle of the new source', () => {
    const tree = sourceTree();
    const root = tempDir('keeper-cache');
    const options = { entry: tree.entry, dockerfile, stagingRoot: root };
    const first = stageKeeperImage(options);
    writeFileSync(tree.lib, "export const greeting = 'hellp';\n");
    const second = stageKeeperImage(options);
    assert.notEqual(second, first);
    const run = spawnSync(process.execPath, [join(second, KEEPER_BUNDLE_FILE)], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as { greeting: string }).greeting, 'hellp');
    assert.deepEqual(
      readdirSync(root).filter((n) => !n.endsWith('.json')).sort(),
      [first, second].map((p) => p.slice(root.length + 1)).sort(),
    );
  });

  test('an imported file outside src/ is part of the key too: editing it rebundles', () => {
    const tree = sourceTree();
    const outside = join(tree.root, 'shared.ts');
    writeFileSync(outside, "export const shared = 'x';\n");
    writeFileSync(tree.entry, "import { shared } from '../shared';\nprocess.stdout.write(shared);\n");
    const options = { entry: tree.entry, dockerfile, stagingRoot: tempDir('keeper-cache') };
    const first = stageKeeperImage(options);
    writeFileSync(outside, "export const shared = 'y';\n");
    const second = stageKeeperImage(options);
    assert.notEqual(second, first);
    assert.equal(spawnSync(process.execPath, [join(second, KEEPER_BUNDLE_FILE)], { encoding: 'utf8' }).stdout, 'y');
  });

  test('a cache directory that cannot be written falls back to the OS temp directory', () => {
    const tree = sourceTree();
    const blocker = join(tempDir('blocked'), 'a-file');
    writeFileSync(blocker, '');
    const previous = process.env[BUNDLE_CACHE_ENV];
    // Below a regular file: not even root can create it.
    process.env[BUNDLE_CACHE_ENV] = join(blocker, 'cache');
    let staged: string | undefined;
    try {
      staged = stageKeeperImage({ entry: tree.entry, dockerfile });
      assert.ok(staged.startsWith(join(tmpdir(), 'jenkins-ecs-bundles')), staged);
      assert.ok(existsSync(join(staged, KEEPER_BUNDLE_FILE)));
      assert.equal(stageKeeperImage({ entry: tree.entry, dockerfile }), staged);
    } finally {
      if (previous === undefined) delete process.env[BUNDLE_CACHE_ENV];
      else process.env[BUNDLE_CACHE_ENV] = previous;
      if (staged !== undefined) rmSync(staged, { recursive: true, force: true });
    }
  });

  test('the default entry and Dockerfile are found from the module, whatever the working directory', () => {
    const elsewhere = tempDir('cwd');
    const root = tempDir('keeper-cache');
    const cwd = process.cwd();
    process.chdir(elsewhere);
    try {
      const staged = stageKeeperImage({ stagingRoot: root });
      assert.equal(readFileSync(join(staged, 'Dockerfile'), 'utf8'), readFileSync(join(PROJECT_ROOT, 'keeper', 'Dockerfile'), 'utf8'));
      assert.match(readFileSync(join(staged, KEEPER_BUNDLE_FILE), 'utf8'), /--health/);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('cachedNodejsFunction', () => {
  // A project of its own (NodejsFunction wants the entry below its project root).
  const tree = sourceTree();
  writeFileSync(join(tree.root, 'package-lock.json'), '{"lockfileVersion":3,"packages":{}}\n');
  // CDK runs `npx --no-install esbuild` in the project root: lend it this repository's.
  symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(tree.root, 'node_modules'), 'dir');
  writeFileSync(tree.entry, "import { greeting } from './lib/greeting';\nexport async function handler() {\n  return greeting;\n}\n");
  const cacheDir = tempDir('lambda-cache');

  function synth(outdir = tempDir('cdk.out')): { outdir: string; assetHash: string; code: string } {
    const app = new App({ outdir });
    const stack = new Stack(app, 'S');
    cachedNodejsFunction(
      stack,
      'Fn',
      {
        entry: tree.entry,
        projectRoot: tree.root,
        depsLockFilePath: join(tree.root, 'package-lock.json'),
        runtime: lambda.Runtime.NODEJS_22_X,
        bundling: { forceDockerBundling: false, format: nodejs.OutputFormat.CJS, target: 'node20' },
      },
      { cacheDir },
    );
    const fn = Template.fromStack(stack).findResources('AWS::Lambda::Function');
    const key = JSON.stringify(Object.values(fn)[0]);
    const assetHash = /"([0-9a-f]{64})\.zip"/.exec(key)?.[1];
    assert.ok(assetHash, key);
    return { outdir, assetHash, code: readFileSync(join(outdir, `asset.${assetHash}`, 'index.js'), 'utf8') };
  }

  const first = synth();
  const entries = readdirSync(cacheDir).filter((n) => !n.endsWith('.json'));

  test('the first synth bundles with esbuild and records the bundle under the input hash', () => {
    assert.match(first.code, /hello/);
    assert.equal(entries.length, 1);
    assert.equal(readFileSync(join(cacheDir, entries[0]!, 'asset-hash'), 'utf8').trim(), first.assetHash);
  });

  test('a synth into a fresh assembly reuses the cached bundle: same asset hash, the cached bytes, no esbuild run', () => {
    const cached = join(cacheDir, entries[0]!, 'bundle', 'index.js');
    appendFileSync(cached, '// cached copy\n');
    try {
      const second = synth();
      assert.equal(second.assetHash, first.assetHash);
      assert.match(second.code, /\/\/ cached copy\n$/);
      assert.deepEqual(readdirSync(second.outdir).filter((d) => d.startsWith('asset.')), [`asset.${first.assetHash}`]);
    } finally {
      writeFileSync(cached, first.code);
    }
  });

  test('a relative assembly directory (npm run synth writes to ./cdk.out) keeps the reused bundle in it', () => {
    const cwd = process.cwd();
    const dir = tempDir('cwd');
    process.chdir(dir);
    try {
      const again = synth('cdk.out');
      assert.equal(again.assetHash, first.assetHash);
      assert.ok(existsSync(join(dir, 'cdk.out', `asset.${first.assetHash}`, 'index.js')), 'the staged bundle was removed from the assembly');
    } finally {
      process.chdir(cwd);
    }
  });

  test('an edit to a file the function does not import keeps the asset hash and the cached bundle', () => {
    writeFileSync(join(tree.root, 'docs', 'notes.ts'), 'export const notes = 3;\n');
    const cached = join(cacheDir, entries[0]!, 'bundle', 'index.js');
    appendFileSync(cached, '// cached copy\n');
    try {
      const again = synth();
      assert.equal(again.assetHash, first.assetHash);
      assert.match(again.code, /\/\/ cached copy\n$/);
    } finally {
      writeFileSync(cached, first.code);
    }
  });

  test('a changed source byte changes the asset hash and bundles the new source', () => {
    writeFileSync(tree.lib, "export const greeting = 'hellp';\n");
    const third = synth();
    assert.notEqual(third.assetHash, first.assetHash);
    assert.match(third.code, /hellp/);
    assert.doesNotMatch(third.code, /cached copy/);
    assert.equal(readdirSync(cacheDir).filter((n) => !n.endsWith('.json')).length, 2);
    writeFileSync(tree.lib, "export const greeting = 'hello';\n");
    assert.equal(synth().assetHash, first.assetHash);
  });

  test('a recorded asset hash CDK does not arrive at leaves nothing behind in the assembly', () => {
    const hintFile = join(cacheDir, entries[0]!, 'asset-hash');
    const bogus = 'f'.repeat(64);
    writeFileSync(hintFile, `${bogus}\n`);
    const again = synth();
    assert.equal(again.assetHash, first.assetHash);
    assert.equal(existsSync(join(again.outdir, `asset.${bogus}`)), false);
    // ... and the entry learns the real one.
    assert.equal(readFileSync(hintFile, 'utf8').trim(), first.assetHash);
  });

  test('an explicit bundling.assetHash is refused (the hash is computed from the inputs)', () => {
    const stack = new Stack(new App({ outdir: tempDir('cdk.out') }), 'S');
    assert.throws(
      () => cachedNodejsFunction(stack, 'Fn', { entry: tree.entry, projectRoot: tree.root, bundling: { assetHash: 'x' } }),
      /bundling\.assetHash is computed from the inputs/,
    );
  });
});

describe('entrySources', () => {
  test('lists exactly the project files a full bundle reads, for every entry the app bundles (oracle: the full bundle\'s metafile)', () => {
    for (const rel of ['src/launch/handler.ts', 'src/reconciler/handler.ts', 'src/keeper/main.ts', 'src/migrate/main.ts']) {
      const entry = join(PROJECT_ROOT, rel);
      const full = buildSync({ entryPoints: [entry], absWorkingDir: PROJECT_ROOT, bundle: true, platform: 'node', write: false, metafile: true, logLevel: 'silent' });
      const expected = metafileSources(full.metafile, PROJECT_ROOT);
      assert.ok(expected.length > 3, rel);
      assert.deepEqual(entrySources(entry, PROJECT_ROOT), expected, rel);
    }
  });

  test('sees every project file of the fixture tree, and none it does not import', () => {
    const tree = sourceTree();
    assert.deepEqual(entrySources(tree.entry, tree.root), [tree.entry, tree.lib].sort());
  });
});
