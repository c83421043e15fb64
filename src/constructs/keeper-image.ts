import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { buildSync, type BuildOptions } from 'esbuild';
import {
  PROJECT_ROOT,
  bundleCacheDir,
  bundleInputHash,
  metafileSources,
  recordName,
  recordSources,
  recordedSources,
  touchAndPrune,
  writeDirAtomically,
} from './bundle-cache.js';
import { JenkinsEcsConstructError } from './errors.js';

/** Path of the bundle inside the build context; keeper/Dockerfile copies it to /app/keeper.js. */
export const KEEPER_BUNDLE_FILE = 'dist/keeper.js';

/** How the keeper is bundled; part of the cache key. */
export const KEEPER_ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  // The major of keeper/Dockerfile's node base image (a test keeps them equal).
  target: 'node24',
  format: 'cjs',
  legalComments: 'none',
} as const satisfies BuildOptions;

export interface KeeperImageOptions {
  /**
   * TypeScript entry of the keeper process.
   * @default - `src/keeper/main.ts` in this project (found from this module, not the working directory)
   */
  readonly entry?: string;
  /**
   * Dockerfile of the keeper image. It finds the bundle at `dist/keeper.js` in its context.
   * @default - `keeper/Dockerfile` in this project
   */
  readonly dockerfile?: string;
  /**
   * Where to stage (and keep) the build contexts, one folder per input hash.
   * @default - bundleCacheDir(): `$JENKINS_ECS_BUNDLE_CACHE`, else `node_modules/.cache/jenkins-ecs` in this
   * project; the OS temp directory if that cannot be written
   */
  readonly stagingRoot?: string;
}

/**
 * Bundles the keeper with esbuild (locally, never in Docker) and stages the bundle next to its
 * Dockerfile in a folder named by the hash of the build's inputs, which it returns. When that
 * folder exists, an earlier synth built exactly this bundle and esbuild does not run again.
 * Synth needs neither Docker nor a network; the image itself is built at deploy time.
 */
export function stageKeeperImage(options: KeeperImageOptions = {}): string {
  const entry = resolve(options.entry ?? join(PROJECT_ROOT, 'src', 'keeper', 'main.ts'));
  const dockerfile = resolve(options.dockerfile ?? join(PROJECT_ROOT, 'keeper', 'Dockerfile'));
  for (const [prop, file] of [['entry', entry], ['dockerfile', dockerfile]] as const) {
    if (!existsSync(file)) {
      throw new JenkinsEcsConstructError(
        `keeper image: ${prop} "${file}" does not exist; run synth from the project root or pass ${prop} explicitly`,
      );
    }
  }
  const hashOptions = { kind: 'keeper-image', esbuild: KEEPER_ESBUILD_OPTIONS, bundleFile: KEEPER_BUNDLE_FILE };
  const keyFor = (sources: readonly string[]) => bundleInputHash({ entry, sources, files: [dockerfile], options: hashOptions });
  // A read-only cache (node_modules in a CI image) falls back to the OS temp directory.
  const roots = options.stagingRoot !== undefined ? [options.stagingRoot] : [bundleCacheDir(), join(tmpdir(), 'jenkins-ecs-bundles')];
  const record = recordName('keeper', entry, { ...hashOptions, dockerfile });
  for (const root of roots) {
    const sources = recordedSources(root, record);
    if (sources === undefined) continue;
    const target = join(root, `keeper-${keyFor(sources).slice(0, 32)}`);
    if (existsSync(target)) {
      touchAndPrune(target);
      return target;
    }
  }

  const result = buildSync({
    ...KEEPER_ESBUILD_OPTIONS,
    entryPoints: [entry],
    absWorkingDir: PROJECT_ROOT,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const bundle = result.outputFiles[0];
  if (bundle === undefined) {
    throw new JenkinsEcsConstructError(`keeper image: esbuild produced no output for "${entry}"`);
  }
  const sources = metafileSources(result.metafile, PROJECT_ROOT);
  const name = `keeper-${keyFor(sources).slice(0, 32)}`;
  for (const root of roots) {
    const target = join(root, name);
    // Staged privately, then renamed, so a parallel synth never sees a half-written context.
    const written = writeDirAtomically(target, (dir) => {
      copyFileSync(dockerfile, join(dir, 'Dockerfile'));
      mkdirSync(dirname(join(dir, KEEPER_BUNDLE_FILE)), { recursive: true });
      writeFileSync(join(dir, KEEPER_BUNDLE_FILE), bundle.contents);
    });
    if (written || existsSync(target)) {
      recordSources(root, record, sources);
      touchAndPrune(target);
      return target;
    }
  }
  throw new JenkinsEcsConstructError(`keeper image: could not stage the build context under ${roots.join(' or ')}`);
}

/** The keeper sidecar image, built at deploy time from the staged context. */
export function keeperImage(options: KeeperImageOptions = {}): ecs.ContainerImage {
  return ecs.ContainerImage.fromAsset(stageKeeperImage(options), {
    // Fargate x86_64, whatever machine runs `cdk deploy`.
    platform: Platform.LINUX_AMD64,
  });
}
