/**
 * Runs the `jenkins-ecs` entry (bin/jenkins-ecs.ts, the file bundled to dist/bin/jenkins-ecs.js)
 * as a real child process, through tsx, so tests see the current source without a build step.
 * test/cli/install.test.ts runs the compiled file itself.
 */
import { spawn, type SpawnOptions } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const ROOT = join(__dirname, '..', '..', '..');
export const CLI_ENTRY = join(ROOT, 'bin', 'jenkins-ecs.ts');
/** tsx's loader by file URL: `--import tsx` would resolve the package from the child's cwd. */
const TSX = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
/** `node` arguments that start the CLI from source; append the CLI's own arguments. */
export const CLI_ARGS: readonly string[] = ['--import', TSX, CLI_ENTRY];

export interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Spawns the CLI. `closeStdout`/`closeStderr`: the reader of that stream goes away, like
 * `| head -1`: after `afterBytes` bytes (0: before the first write).
 */
export function runCli(
  args: readonly string[],
  options: SpawnOptions & { closeStdout?: { afterBytes: number }; closeStderr?: boolean; entry?: string } = {},
): Promise<Finished> {
  const { closeStdout, closeStderr, entry, ...spawnOptions } = options;
  const argv = entry ? [entry, ...args] : [...CLI_ARGS, ...args];
  const child = spawn(process.execPath, argv, { cwd: ROOT, ...spawnOptions, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  if (closeStdout?.afterBytes === 0) child.stdout!.destroy();
  else {
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (closeStdout && stdout.length >= closeStdout.afterBytes) child.stdout!.destroy();
    });
  }
  if (closeStderr) child.stderr!.destroy();
  else child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
