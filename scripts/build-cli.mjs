#!/usr/bin/env node
// Builds the installed `jenkins-ecs` CLI: bin/jenkins-ecs.ts and everything it imports, bundled by
// esbuild into one JavaScript file, dist/bin/jenkins-ecs.js (the package's bin; `npm run build`
// and `npm pack` run this). The AWS SDK clients stay external: the CLI loads them only for the
// commands that call AWS, and npm installs them as the package's dependencies. zod and yaml are
// inlined, so `validate` reads one file instead of about 170 (zod alone loads 64 locale modules).
// No type check here: `npm run build` runs tsc first.
import { buildSync } from 'esbuild';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

buildSync({
  entryPoints: [join(ROOT, 'bin', 'jenkins-ecs.ts')],
  absWorkingDir: ROOT,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['@aws-sdk/*'],
  outfile: join(ROOT, 'dist', 'bin', 'jenkins-ecs.js'),
  logLevel: 'warning',
});
