import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { buildSync } from 'esbuild';
import { JenkinsEcsConstructError } from './errors.js';

/** Path of the bundle inside the build context; keeper/Dockerfile copies it to /app/keeper.js. */
export const KEEPER_BUNDLE_FILE = 'dist/keeper.js';

export interface KeeperImageOptions {
  /**
   * TypeScript entry of the keeper process.
   * @default - `src/keeper/main.ts` under the current working directory (the project root, as for `cdk synth`)
   */
  readonly entry?: string;
  /**
   * Dockerfile of the keeper image. It finds the bundle at `dist/keeper.js` in its context.
   * @default - `keeper/Dockerfile` under the current working directory
   */
  readonly dockerfile?: string;
  /**
   * Where to stage the build context.
   * @default - a content-addressed folder under the OS temp directory
   */
  readonly stagingRoot?: string;
}

/**
 * Bundles the keeper with esbuild (locally, never in Docker) and stages the bundle next to its
 * Dockerfile in a content-addressed folder, which it returns. Synth needs neither Docker nor a
 * network; the image itself is built at deploy time.
 */
export function stageKeeperImage(options: KeeperImageOptions = {}): string {
  const entry = resolve(options.entry ?? 'src/keeper/main.ts');
  const dockerfile = resolve(options.dockerfile ?? 'keeper/Dockerfile');
  for (const [prop, file] of [['entry', entry], ['dockerfile', dockerfile]] as const) {
    if (!existsSync(file)) {
      throw new JenkinsEcsConstructError(
        `keeper image: ${prop} "${file}" does not exist; run synth from the project root or pass ${prop} explicitly`,
      );
    }
  }
  const result = buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const bundle = result.outputFiles[0];
  if (bundle === undefined) {
    throw new JenkinsEcsConstructError(`keeper image: esbuild produced no output for "${entry}"`);
  }
  const dockerfileText = readFileSync(dockerfile);
  const hash = createHash('sha256').update(bundle.contents).update('\0').update(dockerfileText).digest('hex');
  const root = options.stagingRoot ?? join(tmpdir(), 'jenkins-ecs-image');
  const target = join(root, `keeper-${hash.slice(0, 20)}`);
  if (!existsSync(target)) {
    // Stage privately, then rename, so a parallel synth never sees a half-written context.
    const scratch = `${target}.${process.pid}.${Date.now()}`;
    mkdirSync(scratch, { recursive: true });
    copyFileSync(dockerfile, join(scratch, 'Dockerfile'));
    mkdirSync(dirname(join(scratch, KEEPER_BUNDLE_FILE)), { recursive: true });
    // Exactly the bytes that were hashed.
    writeFileSync(join(scratch, KEEPER_BUNDLE_FILE), bundle.contents);
    try {
      renameSync(scratch, target);
    } catch (err) {
      rmSync(scratch, { recursive: true, force: true });
      if (!existsSync(target)) throw err;
    }
  }
  return target;
}

/** The keeper sidecar image, built at deploy time from the staged context. */
export function keeperImage(options: KeeperImageOptions = {}): ecs.ContainerImage {
  return ecs.ContainerImage.fromAsset(stageKeeperImage(options), {
    // Fargate x86_64, whatever machine runs `cdk deploy`.
    platform: Platform.LINUX_AMD64,
  });
}
