#!/usr/bin/env node
// Runs the CDK app (bin/app.ts) as plain JavaScript: `npm run synth` and cdk.json's "app" (so
// `npx cdk synth|diff|deploy` too) start here. No TypeScript loader at synth time: bin/app.ts and
// the src/ files it imports are bundled by esbuild into .build/app/app.js (with cdk-nag, zod and
// yaml; other npm packages stay external and load from node_modules), and that file runs in this process.
//
// The bundle is rebuilt only when an input changed: .build/app/inputs.json records a hash of
// every project file the last build read (from esbuild's metafile), of package.json,
// package-lock.json (which stands for node_modules), tsconfig.json and of this script. A warm
// synth pays for hashing those files (a few ms); the first synth after a clone or an edit pays
// for the build too (esbuild, about 0.2 s), and `npm run bench` counts it.
// No type check happens here: `npm run build` does that.
//
// The constructs locate jenkins/, keeper/, migrate/ and the keeper, launch and reconciler sources
// from the package root (src/package-root.ts), so they work from .build/app as from src/.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const ROOT = resolve(dirname(SELF), '..');
const ENTRY = join(ROOT, 'bin', 'app.ts');
const OUT_DIR = join(ROOT, '.build', 'app');
const BUNDLE = join(OUT_DIR, 'app.js');
const STAMP = join(OUT_DIR, 'inputs.json');
/** Files that steer the build without being read as sources. */
const STEERING = ['package.json', 'package-lock.json', 'tsconfig.json', relative(ROOT, SELF)];
const require = createRequire(import.meta.url);

/**
 * sha256 of each path (relative to ROOT, null when missing): a file's contents, a folder's
 * listing ("dir/" keys; a new file there can change how an import resolves).
 */
function digests(paths) {
  const out = {};
  for (const path of [...new Set(paths)].sort()) {
    try {
      const data = path.endsWith('/') ? readdirSync(join(ROOT, path)).sort().join('\0') : readFileSync(join(ROOT, path));
      out[path] = createHash('sha256').update(data).digest('hex');
    } catch {
      out[path] = null;
    }
  }
  return out;
}

/** True when the recorded inputs of the last build still hash the same (and the bundle exists). */
function fresh() {
  let recorded;
  try {
    recorded = JSON.parse(readFileSync(STAMP, 'utf8'));
  } catch {
    return false;
  }
  if (!existsSync(BUNDLE) || recorded === null || typeof recorded !== 'object' || typeof recorded.inputs !== 'object') return false;
  const now = digests(Object.keys(recorded.inputs));
  return Object.keys(now).every((f) => now[f] === recorded.inputs[f]);
}

/** Writes a file through a private name and a rename, so a parallel synth never reads half of it. */
function writeAtomically(file, text) {
  const scratch = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    writeFileSync(scratch, text);
    renameSync(scratch, file);
  } finally {
    rmSync(scratch, { force: true });
  }
}

/**
 * npm packages bundled into the app, because they come as many small files: cdk-nag (its ~250
 * rule modules, each with an inline source map), zod and yaml load several times faster as part
 * of one file. Every other package stays external and loads from node_modules: aws-cdk-lib and
 * constructs must be the one copy all constructs share, esbuild has a native binary.
 */
const BUNDLED = ['cdk-nag', 'yaml', 'zod'];

/** Every package package.json names, but BUNDLED: esbuild leaves their imports to node_modules. */
function externalPackages() {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const names = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies }).filter((n) => !BUNDLED.includes(n));
  return names.flatMap((n) => [n, `${n}/*`]);
}

/** esbuild options of the app bundle: bin/app.ts here; test/constructs/nag-scope.test.ts bundles a fixture with them. */
export function appBuildOptions(entry, outfile) {
  return {
    entryPoints: [entry],
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: externalPackages(),
    write: false,
    metafile: true,
    sourcemap: 'linked',
    outfile,
    logLevel: 'warning',
  };
}

function build() {
  const esbuild = require('esbuild');
  const result = esbuild.buildSync(appBuildOptions(ENTRY, BUNDLE));
  mkdirSync(OUT_DIR, { recursive: true });
  for (const f of result.outputFiles) writeAtomically(f.path, f.contents);
  // esbuild names inputs relative to absWorkingDir, with forward slashes. The bundled packages'
  // files are not hashed one by one: package-lock.json stands for node_modules.
  const sources = Object.keys(result.metafile.inputs)
    .map((f) => relative(ROOT, resolve(ROOT, f)).split(sep).join('/'))
    .filter((f) => !f.split('/').includes('node_modules'));
  const folders = sources.map((f) => `${dirname(f)}/`);
  writeAtomically(STAMP, `${JSON.stringify({ inputs: digests([...sources, ...folders, ...STEERING]) }, undefined, 1)}\n`);
}

// Run as a script (npm run synth, cdk.json), not when imported for appBuildOptions.
if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === SELF) {
  if (!fresh()) build();
  require(BUNDLE);
}
