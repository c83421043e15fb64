import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { JenkinsEcsConstructError } from './errors.js';
import { PROJECT_ROOT, writeDirAtomically } from './bundle-cache.js';

/** The `jenkins/controller` folder of this package: Dockerfile, plugins.txt, casc/. */
export const CONTROLLER_IMAGE_SOURCE = join(PROJECT_ROOT, 'jenkins', 'controller');

/** Image folder where JCasC files live (mirrors the Dockerfile's COPY of casc/). */
export const CASC_IMAGE_DIR = '/usr/share/jenkins/casc';

const CASC_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*\.ya?ml$/;

export interface ControllerImageOptions {
  /** Jenkins LTS version, passed to the Dockerfile as JENKINS_VERSION. */
  readonly jenkinsVersion: string;
  /**
   * Extra JCasC files (file name → YAML text) placed next to `casc/jenkins.yaml`.
   * @default - none
   */
  readonly extraCascFiles?: Readonly<Record<string, string>>;
  /**
   * Where to stage the build context.
   * @default - a content-addressed folder under the OS temp directory
   */
  readonly stagingRoot?: string;
}

/**
 * Stages `jenkins/controller/` plus the extra JCasC files into a content-addressed folder and
 * returns it. The folder name is a hash of the inputs, so repeated synths reuse it and the CDK
 * asset hash changes only when the image inputs change. No Docker is needed until deploy.
 */
export function stageControllerImage(options: ControllerImageOptions): string {
  const extra = options.extraCascFiles ?? {};
  for (const file of Object.keys(extra)) {
    if (!CASC_FILE_NAME.test(file)) {
      throw new JenkinsEcsConstructError(
        `extraCascFiles: file name "${file}" is not a plain .yaml/.yml file name; use e.g. "agents.yaml"`,
      );
    }
    if (existsSync(join(CONTROLLER_IMAGE_SOURCE, 'casc', file))) {
      throw new JenkinsEcsConstructError(
        `extraCascFiles: "${file}" would replace the built-in casc/${file}; choose another file name`,
      );
    }
  }
  const hash = createHash('sha256');
  hashTree(CONTROLLER_IMAGE_SOURCE, hash);
  for (const file of Object.keys(extra).sort()) {
    hash.update(`extra:${file}\0${extra[file]}\0`);
  }
  const root = options.stagingRoot ?? join(tmpdir(), 'jenkins-ecs-image');
  const target = join(root, `controller-${hash.digest('hex').slice(0, 20)}`);
  if (!existsSync(target)) {
    // Parallel synths never see a half-written context (see writeDirAtomically).
    const written = writeDirAtomically(target, (dir) => {
      cpSync(CONTROLLER_IMAGE_SOURCE, dir, { recursive: true });
      for (const [file, text] of Object.entries(extra)) writeFileSync(join(dir, 'casc', file), text);
    });
    if (!written && !existsSync(target)) {
      throw new JenkinsEcsConstructError(`could not stage the controller image build context in ${root}; check that it is writable`);
    }
  }
  return target;
}

/** The controller image as an ECS container image built from the staged folder at deploy time. */
export function controllerImage(options: ControllerImageOptions): ecs.ContainerImage {
  return ecs.ContainerImage.fromAsset(stageControllerImage(options), {
    buildArgs: { JENKINS_VERSION: options.jenkinsVersion },
    // The image runs on Fargate x86_64 whatever machine builds it.
    platform: Platform.LINUX_AMD64,
  });
}

function hashTree(dir: string, hash: ReturnType<typeof createHash>): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      hash.update(`dir:${entry.name}\0`);
      hashTree(full, hash);
    } else if (entry.isFile()) {
      hash.update(`file:${basename(full)}\0`);
      hash.update(readFileSync(full));
    }
  }
}
