// Input-addressed cache for the esbuild bundles made during synth (the keeper image's bundle and
// the reconciler Lambda's code). Bundling is most of the synth time, and its inputs rarely change
// between two synths: the cache keys each bundle on everything esbuild reads or is told, and an
// unchanged key reuses the bundle of an earlier synth instead of running esbuild again.
//
// What esbuild reads comes from its metafile: the source files of the last build of that entry
// (recorded next to the cache entries). The key hashes those files, the listings of their
// directories (a new file there can change how an import resolves), the project's package.json,
// lock file and tsconfig.json (node_modules is what the lock file says), the esbuild version and
// the options. Any edit to a file the bundle reads changes the key; edits elsewhere do not.
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
import { dirname, join, relative, resolve, sep } from 'node:path';
import { AssetStaging, Stage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { buildSync, version as esbuildVersion, type Metafile } from 'esbuild';
import { findPackageRoot } from '../package-root.js';
import { JenkinsEcsConstructError } from './errors.js';

/**
 * Root of this project, found from this module's location rather than process.cwd(), so synth
 * works from any directory and from each layout (src/ through tsx, the bundled app under
 * .build/app/; see findPackageRoot). The project compiles as CommonJS, so __dirname is defined.
 */
export const PROJECT_ROOT = projectRoot();

function projectRoot(): string {
  const root = findPackageRoot(__dirname);
  if (root === undefined) throw new JenkinsEcsConstructError(`no package.json in ${__dirname} or above it: run jenkins-ecs from its checkout or package`);
  return root;
}

/** Environment variable naming another cache directory (benchmarks, tests, read-only checkouts). */
export const BUNDLE_CACHE_ENV = 'JENKINS_ECS_BUNDLE_CACHE';

/** Bump when the layout of a cache entry or the meaning of a key changes. */
const CACHE_FORMAT = 'jenkins-ecs-bundle-cache/2';

/** Directory of the bundle cache: `$JENKINS_ECS_BUNDLE_CACHE`, else `node_modules/.cache/jenkins-ecs`. */
export function bundleCacheDir(): string {
  const fromEnv = process.env[BUNDLE_CACHE_ENV];
  return fromEnv ? resolve(fromEnv) : join(PROJECT_ROOT, 'node_modules', '.cache', 'jenkins-ecs');
}

/** Everything a bundle depends on. */
export interface BundleInputs {
  /** The bundle's entry file. */
  readonly entry: string;
  /** Source files the bundle reads (node_modules excepted: the lock file stands for those). */
  readonly sources: readonly string[];
  /** Further files that steer the build (Dockerfile, tsconfig.json, ...); a missing one counts as empty. */
  readonly files?: readonly string[];
  /** Bundler options and anything else that changes the output; must be JSON-serializable. */
  readonly options: unknown;
}

/**
 * Hash of a bundle's inputs (see the top of this file). Paths enter it relative to the project
 * root, so two checkouts of one commit agree.
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
  // Each file once: callers often name the lock file or tsconfig.json again in `files`.
  const files = new Set(['package.json', 'package-lock.json', 'tsconfig.json', ...(inputs.files ?? [])].map((f) => resolve(PROJECT_ROOT, f)));
  for (const abs of files) {
    field(`file:${portable(abs)}`, existsSync(abs) ? readFileSync(abs) : '');
  }
  const sources = [...new Set([resolve(inputs.entry), ...inputs.sources.map((f) => resolve(f))])].sort();
  for (const file of sources) field(`src:${portable(file)}`, existsSync(file) ? readFileSync(file) : '\0missing');
  for (const dir of [...new Set(sources.map((f) => dirname(f)))].sort()) {
    field(`dir:${portable(dir)}`, existsSync(dir) ? readdirSync(dir).sort().join('\0') : '\0missing');
  }
  return hash.digest('hex');
}

/** The source files (not node_modules, not esbuild's virtual modules) of an esbuild metafile. */
export function metafileSources(metafile: Metafile, workingDir: string): string[] {
  return Object.keys(metafile.inputs)
    // esbuild names virtual inputs with a namespace prefix ("<runtime>", "ns:path"); those are not files.
    .filter((input) => !input.startsWith('<') && !/^[a-z-]+:/.test(input))
    .map((input) => resolve(workingDir, input))
    .filter((abs) => !abs.split(sep).includes('node_modules'))
    .sort();
}

/**
 * The source files (node_modules excepted) a bundle of `entry` reads: a metafile-only esbuild
 * pass that leaves every package external, so it never parses node_modules (about 30 ms instead
 * of a second for an entry that imports the AWS SDK). The key leaves node_modules out anyway
 * (the lock file stands for it), and no package imports a project file, so the list is the one
 * a full bundle's metafile gives (test/constructs/bundle-cache.test.ts compares the two).
 */
export function entrySources(entry: string, workingDir: string, tsconfig?: string): string[] {
  const scan = buildSync({
    entryPoints: [entry],
    absWorkingDir: workingDir,
    bundle: true,
    packages: 'external',
    platform: 'node',
    ...(tsconfig ? { tsconfig } : {}),
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return metafileSources(scan.metafile, workingDir);
}

/**
 * The sources an entry was last built from, as recorded under `name` in the cache directory, or
 * undefined if never recorded.
 */
export function recordedSources(cacheDir: string, name: string): string[] | undefined {
  try {
    const parsed = JSON.parse(readFileSync(join(cacheDir, `${name}.sources.json`), 'utf8')) as unknown;
    return Array.isArray(parsed) && parsed.every((p) => typeof p === 'string') ? parsed.map((p) => resolve(PROJECT_ROOT, p)) : undefined;
  } catch {
    return undefined;
  }
}

/** Records the sources of the latest build of an entry (written atomically; failures ignored). */
export function recordSources(cacheDir: string, name: string, sources: readonly string[]): void {
  const file = join(cacheDir, `${name}.sources.json`);
  const scratch = `${file}.tmp-${process.pid}-${Date.now()}`;
  try {
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(scratch, JSON.stringify(sources.map((f) => portable(f)), undefined, 1));
    renameSync(scratch, file);
  } catch {
    try {
      rmSync(scratch, { force: true });
    } catch {
      // nothing written
    }
  }
}

/** Short, stable name for the sources record of one entry built one way. */
export function recordName(kind: string, entry: string, options: unknown): string {
  const digest = createHash('sha256').update(`${portable(resolve(entry))}\0${stableJson(options)}`).digest('hex');
  return `${kind}-sources-${digest.slice(0, 24)}`;
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

/**
 * The runtime of the project's Lambda functions (the reconciler, the LaunchSnapshot handlers).
 * Not 20.x: Lambda deprecated nodejs20.x on 2026-04-30 (cfn-lint W2531) and will refuse to create
 * it from 2027-02-01.
 */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** esbuild's target for a Lambda runtime: `nodejs24.x` → `node24`, so the bundle's syntax is the runtime's. */
export function esbuildTarget(runtime: lambda.Runtime): string {
  const m = /^nodejs(\d+)\.x$/.exec(runtime.name);
  if (!m) throw new JenkinsEcsConstructError(`esbuildTarget: ${runtime.name} is not a Node.js runtime`);
  return `node${m[1]}`;
}

/** Runtime, architecture and bundling shared by the project's Lambda functions. */
export const LAMBDA_DEFAULTS = {
  runtime: LAMBDA_RUNTIME,
  architecture: lambda.Architecture.ARM_64,
  bundling: {
    // Synth and tests run without Docker: esbuild from node_modules.
    forceDockerBundling: false,
    target: esbuildTarget(LAMBDA_RUNTIME),
    format: nodejs.OutputFormat.CJS,
    // Ship the SDK version the adapters are tested against, not whatever the runtime carries.
    bundleAwsSDK: true,
    // Unminified, so the code in the console reads like the source.
    minify: false,
  },
} as const satisfies Pick<nodejs.NodejsFunctionProps, 'runtime' | 'architecture' | 'bundling'>;

/** What the cache needs to know about a Lambda function bundled by NodejsFunction. */
export interface CachedNodejsFunctionProps extends nodejs.NodejsFunctionProps {
  /** TypeScript entry of the function (required here: NodejsFunction's default guesses from the caller's file). */
  readonly entry: string;
}

/** Options of {@link cachedNodejsFunction}. */
export interface CachedNodejsFunctionOptions {
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
 *
 * The hash must be known before CDK bundles, so when the recorded sources of the entry are
 * missing or changed, a metafile-only esbuild pass finds the current ones first.
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
  const cacheDir = options.cacheDir ?? bundleCacheDir();
  const hashOptions = {
    kind: 'nodejs-function',
    // Functions (command hooks) count by their source text.
    bundling: JSON.parse(JSON.stringify(props.bundling ?? {}, (_k, v: unknown) => (typeof v === 'function' ? String(v) : v))) as unknown,
    runtime: props.runtime?.name,
    architecture: props.architecture?.name,
    projectRoot: portable(projectRoot),
  };
  const files = [depsLockFilePath, ...(props.bundling?.tsconfig ? [props.bundling.tsconfig] : [])];
  const record = recordName('lambda', entry, hashOptions);
  const keyFor = (sources: readonly string[]) => bundleInputHash({ entry, sources, files, options: hashOptions });
  let sources = recordedSources(cacheDir, record);
  let inputHash = sources !== undefined ? keyFor(sources) : undefined;
  if (inputHash === undefined || !existsSync(join(cacheDir, `lambda-${inputHash.slice(0, 32)}`))) {
    sources = entrySources(entry, projectRoot, props.bundling?.tsconfig);
    recordSources(cacheDir, record, sources);
    inputHash = keyFor(sources);
  }
  const entryDir = join(cacheDir, `lambda-${inputHash.slice(0, 32)}`);
  const bundleDir = join(entryDir, 'bundle');
  const hintFile = join(entryDir, 'asset-hash');
  const hint = existsSync(hintFile) ? readFileSync(hintFile, 'utf8').trim() : undefined;

  const outdir = Stage.of(scope)?.assetOutdir;
  let prestaged: string | undefined;
  if (outdir !== undefined && hint !== undefined && /^[0-9a-f]{64}$/.test(hint) && existsSync(bundleDir)) {
    // Absolute, like CDK's staged path it is compared with below (npm run synth's outdir is relative).
    const target = resolve(outdir, `asset.${hint}`);
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
    // esbuild's own summary (`index.js  4.0mb ⚠️`, `Done in 254ms`) is noise on every cold synth;
    // warnings and errors still print. Not part of the input hash: it changes no output byte.
    bundling: { logLevel: nodejs.LogLevel.WARNING, ...props.bundling, assetHash: inputHash },
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

/** A path as it enters a hash: relative to the project root, with forward slashes. */
function portable(abs: string): string {
  return relative(PROJECT_ROOT, abs).split(sep).join('/');
}

/** JSON with object keys sorted, so equal options hash equally whatever their key order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
