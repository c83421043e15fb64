// Input-addressed cache for the esbuild bundles made during synth (the keeper image's bundle and
// the reconciler Lambda's code). Bundling is most of the synth time, and its inputs rarely change
// between two synths: the cache keys each bundle on everything esbuild reads or is told, and an
// unchanged key reuses the bundle of an earlier synth instead of running esbuild again.
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { AssetStaging, Stage } from 'aws-cdk-lib';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { version as esbuildVersion } from 'esbuild';
import { JenkinsEcsConstructError } from './errors.js';

/**
 * Root of this project, found from this module's location rather than process.cwd(), so synth
 * works from any directory (the project runs as CommonJS under tsx, where __dirname is defined).
 */
export const PROJECT_ROOT = resolve(__dirname, '..', '..');

/** The bundles' own sources: every file below it is an input of every bundle. */
export const DEFAULT_SOURCE_ROOT = join(PROJECT_ROOT, 'src');

/** Environment variable naming another cache directory (benchmarks, tests, read-only checkouts). */
export const BUNDLE_CACHE_ENV = 'JENKINS_ECS_BUNDLE_CACHE';

/** Bump when the layout of a cache entry or the meaning of a key changes. */
const CACHE_FORMAT = 'jenkins-ecs-bundle-cache/1';

/** Directory of the bundle cache: `$JENKINS_ECS_BUNDLE_CACHE`, else `node_modules/.cache/jenkins-ecs`. */
export function bundleCacheDir(): string {
  const fromEnv = process.env[BUNDLE_CACHE_ENV];
  return fromEnv ? resolve(fromEnv) : join(PROJECT_ROOT, 'node_modules', '.cache', 'jenkins-ecs');
}

/** Everything a bundle depends on. */
export interface BundleInputs {
  /** The bundle's entry file. */
  readonly entry: string;
  /**
   * Directories whose files the bundle may import (node_modules excepted: the lock file stands
   * for those). Every file below them is hashed, imported or not.
   */
  readonly sourceRoots: readonly string[];
  /** Further files that steer the build (Dockerfile, tsconfig.json, ...); a missing one counts as empty. */
  readonly files?: readonly string[];
  /** Bundler options and anything else that changes the output; must be JSON-serializable. */
  readonly options: unknown;
}

/**
 * The source roots of a bundle: the project's `src/`, plus the entry's own directory when the
 * entry lives elsewhere (a test fixture).
 */
export function sourceRootsFor(entry: string, sourceRoots: readonly string[] = [DEFAULT_SOURCE_ROOT]): string[] {
  const roots = sourceRoots.map((r) => resolve(r));
  const abs = resolve(entry);
  return roots.some((r) => isInside(abs, r)) ? roots : [...roots, resolve(abs, '..')];
}

/**
 * Hash of a bundle's inputs: the project manifest and lock file, the esbuild version, the options,
 * the entry and every file below the source roots (path and bytes). Paths enter the hash relative to
 * the project root, so two checkouts of one commit agree. Any changed, added or removed source file
 * changes it, which over-invalidates a little (a change to an unrelated module rebundles) but never
 * reuses a stale bundle.
 */
export function bundleInputHash(inputs: BundleInputs): string {
  const hash = createHash('sha256');
  const field = (name: string, value: string | Buffer): void => {
    hash.update(`${name}\0${Buffer.byteLength(value)}\0`);
    hash.update(value);
  };
  field('format', CACHE_FORMAT);
  field('esbuild', esbuildVersion);
  field('options', stableJson(inputs.options));
  field('entry', portable(resolve(inputs.entry)));
  // npm keeps package-lock.json in step with every install: it stands for node_modules.
  for (const file of ['package.json', 'package-lock.json', 'tsconfig.json', ...(inputs.files ?? [])]) {
    const abs = resolve(PROJECT_ROOT, file);
    field(`file:${portable(abs)}`, existsSync(abs) ? readFileSync(abs) : '');
  }
  for (const root of [...new Set(inputs.sourceRoots.map((r) => resolve(r)))].sort()) {
    field('root', portable(root));
    for (const file of listFiles(root)) field(`src:${portable(file)}`, readFileSync(file));
  }
  return hash.digest('hex');
}

/**
 * Refuses a bundle whose inputs (from an esbuild metafile, paths relative to `workingDir`) reach
 * outside the source roots and node_modules: such a file would not be part of the hash.
 */
export function assertInputsCovered(inputPaths: readonly string[], workingDir: string, sourceRoots: readonly string[]): void {
  for (const input of inputPaths) {
    // esbuild names virtual inputs with a namespace prefix ("<runtime>", "ns:path"); those are not files.
    if (input.startsWith('<') || /^[a-z-]+:/.test(input)) continue;
    const abs = resolve(workingDir, input);
    if (abs.split(sep).includes('node_modules')) continue;
    if (!sourceRoots.some((r) => isInside(abs, resolve(r)))) {
      throw new JenkinsEcsConstructError(
        `bundle input "${abs}" lies outside the hashed source roots (${sourceRoots.join(', ')}); ` +
          'move it under one of them or add its directory to sourceRoots',
      );
    }
  }
}

/**
 * Writes a directory atomically: `fill` populates a private scratch directory, which is then
 * renamed into place, so a concurrent synth never sees a half-written one. Returns false if
 * `target` already existed or could not be written (the cache is an optimisation, never a failure).
 */
export function writeDirAtomically(target: string, fill: (dir: string) => void, replace = false): boolean {
  const scratch = `${target}.tmp-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    mkdirSync(scratch, { recursive: true });
    fill(scratch);
    if (replace) rmSync(target, { recursive: true, force: true });
    renameSync(scratch, target);
    return true;
  } catch {
    try {
      rmSync(scratch, { recursive: true, force: true });
    } catch {
      // Nothing was created (the parent is not a directory, or cannot be written).
    }
    return false;
  }
}

/** Entries kept per kind however old, and the age below which no entry is ever removed. */
const KEEP_ENTRIES = 8;
const KEEP_YOUNGER_THAN_MS = 60 * 60 * 1000;

/**
 * Marks a cache entry as used and removes old entries of its kind (`<kind>-<hash>` folders): all
 * but the newest few, and only those unused for an hour, so a synth running in parallel never
 * loses the entry it is about to read. Without this, every source edit would leave two bundles
 * of a few MB behind.
 */
export function touchAndPrune(entryDir: string): void {
  try {
    const now = new Date();
    utimesSync(entryDir, now, now);
    const root = resolve(entryDir, '..');
    const kind = /^([a-z]+)-[0-9a-f]+$/.exec(entryDir.slice(root.length + 1))?.[1];
    if (kind === undefined) return;
    const entries = readdirSync(root)
      .filter((n) => new RegExp(`^${kind}-[0-9a-f]+$`).test(n))
      .map((n) => ({ path: join(root, n), mtime: statSync(join(root, n)).mtimeMs }))
      .sort((a, b) => b.mtime - a.mtime);
    for (const old of entries.slice(KEEP_ENTRIES)) {
      if (now.getTime() - old.mtime > KEEP_YOUNGER_THAN_MS) rmSync(old.path, { recursive: true, force: true });
    }
  } catch {
    // Housekeeping only: a read-only or vanished cache changes nothing for the synth.
  }
}

/** What the cache needs to know about a Lambda function bundled by NodejsFunction. */
export interface CachedNodejsFunctionProps extends nodejs.NodejsFunctionProps {
  /** TypeScript entry of the function (required here: NodejsFunction's default guesses from the caller's file). */
  readonly entry: string;
}

/** Options of {@link cachedNodejsFunction}. */
export interface CachedNodejsFunctionOptions {
  /**
   * Directories holding every non-node_modules file the entry imports.
   * @default - the project's `src/`, plus the entry's directory if it lies elsewhere
   */
  readonly sourceRoots?: readonly string[];
  /**
   * Cache directory.
   * @default - bundleCacheDir()
   */
  readonly cacheDir?: string;
}

/**
 * A NodejsFunction (local esbuild, as configured by `props.bundling`) whose code asset hash is the
 * hash of its inputs, with the bundle of an earlier synth reused when the inputs are unchanged.
 *
 * With a custom asset hash, CDK's asset staging skips bundling when the staged folder
 * `asset.<hash>` already exists in the assembly (that is how `cdk synth` into an existing cdk.out
 * avoids rebundling). CDK derives that folder's hash from ours and from its bundling options, so
 * the first synth records the folder name it produced next to the bundle; later synths, into any
 * assembly directory, stage the recorded bundle under that name before constructing the function.
 * Were CDK to arrive at another name (other options, another checkout path), it bundles as usual
 * and the stale copy is removed, so the cache can make synth faster but never change its output.
 */
export function cachedNodejsFunction(
  scope: Construct,
  id: string,
  props: CachedNodejsFunctionProps,
  options: CachedNodejsFunctionOptions = {},
): nodejs.NodejsFunction {
  if (props.bundling?.assetHash !== undefined) {
    throw new JenkinsEcsConstructError(`${id}: bundling.assetHash is computed from the inputs; do not set it`);
  }
  const entry = resolve(props.entry);
  const depsLockFilePath = props.depsLockFilePath ?? join(PROJECT_ROOT, 'package-lock.json');
  const projectRoot = props.projectRoot ?? PROJECT_ROOT;
  const sourceRoots = sourceRootsFor(entry, options.sourceRoots);
  const inputHash = bundleInputHash({
    entry,
    sourceRoots,
    files: [depsLockFilePath, ...(props.bundling?.tsconfig ? [props.bundling.tsconfig] : [])],
    options: {
      kind: 'nodejs-function',
      // Functions (command hooks) count by their source text.
      bundling: JSON.parse(JSON.stringify(props.bundling ?? {}, (_k, v: unknown) => (typeof v === 'function' ? String(v) : v))) as unknown,
      runtime: props.runtime?.name,
      architecture: props.architecture?.name,
      projectRoot: portable(projectRoot),
    },
  });
  const entryDir = join(options.cacheDir ?? bundleCacheDir(), `lambda-${inputHash.slice(0, 32)}`);
  const bundleDir = join(entryDir, 'bundle');
  const hintFile = join(entryDir, 'asset-hash');
  const hint = existsSync(hintFile) ? readFileSync(hintFile, 'utf8').trim() : undefined;

  const outdir = Stage.of(scope)?.assetOutdir;
  let prestaged: string | undefined;
  if (outdir !== undefined && hint !== undefined && /^[0-9a-f]{64}$/.test(hint) && existsSync(bundleDir)) {
    const target = join(outdir, `asset.${hint}`);
    if (!existsSync(target) && writeDirAtomically(target, (dir) => cpSync(bundleDir, dir, { recursive: true }))) {
      prestaged = target;
    }
    touchAndPrune(entryDir);
  }

  const fn = new nodejs.NodejsFunction(scope, id, {
    ...props,
    entry,
    depsLockFilePath,
    projectRoot,
    bundling: { ...props.bundling, assetHash: inputHash },
  });

  const staging = fn.node.findAll().find((c): c is AssetStaging => c instanceof AssetStaging);
  if (staging === undefined) throw new JenkinsEcsConstructError(`${id}: NodejsFunction staged no code asset`);
  const staged = resolve(staging.absoluteStagedPath);
  if (prestaged !== undefined && staged !== prestaged) rmSync(prestaged, { recursive: true, force: true });
  // Record a bundle CDK staged in the assembly (not one skipped for an unselected stack, whose
  // staged path is the project root).
  if (outdir !== undefined && staged === join(resolve(outdir), `asset.${staging.assetHash}`) && hint !== staging.assetHash) {
    writeDirAtomically(
      entryDir,
      (dir) => {
        cpSync(staged, join(dir, 'bundle'), { recursive: true });
        writeFileSync(join(dir, 'asset-hash'), `${staging.assetHash}\n`);
      },
      true,
    );
    touchAndPrune(entryDir);
  }
  return fn;
}

function isInside(file: string, dir: string): boolean {
  const rel = relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** A path as it enters a hash: relative to the project root, with forward slashes. */
function portable(abs: string): string {
  return relative(PROJECT_ROOT, abs).split(sep).join('/');
}

/** Files below `root`, sorted, skipping node_modules and dot-directories (.git, caches). */
function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const ent of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, ent.name);
      if (ent.isDirectory()) {
        if (ent.name !== 'node_modules' && !ent.name.startsWith('.')) walk(path);
      } else if (ent.isFile() || (ent.isSymbolicLink() && statSync(path).isFile())) {
        out.push(path);
      }
    }
  };
  if (existsSync(root)) walk(root);
  return out.sort();
}

/** JSON with object keys sorted, so equal options hash equally whatever their key order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
