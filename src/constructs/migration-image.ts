import { join } from 'node:path';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { PROJECT_ROOT } from './bundle-cache.js';
import { stageKeeperImage } from './keeper-image.js';

/**
 * Stages the migration image's build context (src/migrate/main.ts bundled by esbuild, locally,
 * next to migrate/Dockerfile) with the keeper's staging: same bundle options and cache, a key of
 * its own because the entry and the Dockerfile differ. Returns the context folder.
 */
export function stageMigrationImage(): string {
  return stageKeeperImage({ entry: join(PROJECT_ROOT, 'src', 'migrate', 'main.ts'), dockerfile: join(PROJECT_ROOT, 'migrate', 'Dockerfile') });
}

/** The migration task image, built by `cdk deploy` (never at synth: no Docker needed here). */
export function migrationImage(): ecs.ContainerImage {
  return ecs.ContainerImage.fromAsset(stageMigrationImage(), { platform: Platform.LINUX_AMD64 });
}
