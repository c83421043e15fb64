/** Argument helpers shared by the CLI commands. */
import { isAbsolute, relative, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CommandContext } from './context.js';
import { CliError, EXIT } from './errors.js';

export const DEFAULT_CONFIG_FILE = 'jenkins-ecs.yaml';
export const CONFIG_ENV = 'JENKINS_ECS_CONFIG';

/** `node:util` parseArgs (strict) with usage mistakes turned into exit code 2. */
export function parseOptions<O extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  args: readonly string[],
  options: O,
) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: false, strict: true });
  } catch (e) {
    const message = (e as Error).message.split('\n')[0]!.replace(/\.$/, '');
    throw new CliError(`${command}: ${message.charAt(0).toLowerCase()}${message.slice(1)} (see jenkins-ecs ${command} --help)`, EXIT.usage);
  }
}

/** `--config FILE`, else `$JENKINS_ECS_CONFIG`, else `jenkins-ecs.yaml`; relative to ctx.cwd. */
export function resolveConfigPath(flag: string | undefined, ctx: Pick<CommandContext, 'env' | 'cwd'>): string {
  const chosen = flag ?? (ctx.env[CONFIG_ENV] || undefined) ?? DEFAULT_CONFIG_FILE;
  return isAbsolute(chosen) ? chosen : resolve(ctx.cwd, chosen);
}

/** A non-negative number option; a bad value is a usage error naming the flag and the value. */
export function numberOption(flag: string, raw: string | undefined, fallback: number, opts: { min?: number; max?: number } = {}): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  const min = opts.min ?? 0;
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || (opts.max !== undefined && n > opts.max)) {
    const range = opts.max !== undefined ? `${min}..${opts.max}` : `${min} or more`;
    throw new CliError(`--${flag}: "${raw}" is not a number in ${range}`, EXIT.usage);
  }
  return n;
}

/**
 * A strictly positive number option (`--poll-seconds`, `--timeout-minutes`); `command`, when given,
 * prefixes the usage error.
 */
export function positive(value: string | undefined, flag: string, fallback: number, command?: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new CliError(`${command ? `${command}: ` : ''}invalid ${flag} '${value}': expected a positive number`, EXIT.usage);
  }
  return n;
}

/** How a config path is shown: relative to `cwd` when it lies below it, else as given. */
export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') ? rel : path;
}
