/** A command context for CLI tests: output captured in a BufferIo, no config file, injected AWS. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AwsCommandContext, AwsFactory } from '../../../src/cli/aws-context.js';
import { CliError } from '../../../src/cli/errors.js';
import { BufferIo } from '../../../src/cli/io.js';

export interface TestContextOptions {
  readonly io?: BufferIo;
  readonly aws?: AwsFactory;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => Date;
}

export function testContext(opts: TestContextOptions = {}): AwsCommandContext & { io: BufferIo } {
  return {
    io: opts.io ?? new BufferIo(),
    env: opts.env ?? {},
    // An empty directory: no jenkins-ecs.yaml, so --name is what selects the deployment.
    cwd: mkdtempSync(join(tmpdir(), 'jenkins-ecs-cli-')),
    now: opts.now ?? (() => new Date()),
    debug: false,
    ...(opts.aws ? { aws: opts.aws } : {}),
  };
}

export interface CliResult {
  readonly code: number;
  readonly error?: CliError;
}

/** Runs a command the way the CLI entry does: a CliError becomes its exit code and one line. */
export async function runCommand(
  command: { run(args: readonly string[], ctx: AwsCommandContext): Promise<number> },
  args: readonly string[],
  ctx: AwsCommandContext,
): Promise<CliResult> {
  try {
    return { code: await command.run(args, ctx) };
  } catch (e) {
    if (e instanceof CliError) return { code: e.exitCode, error: e };
    throw e;
  }
}
