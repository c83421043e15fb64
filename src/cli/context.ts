/**
 * What every command receives. Commands never touch process.* directly, so tests can run them
 * in-process with a BufferIo, a fixed clock and a temp directory.
 */
import type { AwsFactory } from './aws-context.js';
import type { Io } from './io.js';

export interface CommandContext {
  readonly io: Io;
  readonly env: Record<string, string | undefined>;
  /** Relative paths (e.g. --config) resolve against this. */
  readonly cwd: string;
  readonly now: () => Date;
  /** Print stack traces for unexpected errors. */
  readonly debug: boolean;
  /** AWS ports for status/snapshots/snapshot/restore. @default - SDK adapters from the credential chain */
  readonly aws?: AwsFactory;
}

/** A command module: `src/cli/commands/<name>.ts`. */
export interface CommandModule {
  run(args: readonly string[], ctx: CommandContext): Promise<number>;
}
