/** Argument helpers shared by the CLI commands. */
import { isAbsolute, relative, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CommandContext } from './context.js';
import { CliError, EXIT } from './errors.js';

export const DEFAULT_CONFIG_FILE = 'jenkins-ecs.yaml';
export const CONFIG_ENV = 'JENKINS_ECS_CONFIG';

/**
 * `--io-mibps -5` as `--io-mibps=-5`: parseArgs reads a value that starts with a dash as a
 * possible option and calls the argument "ambiguous"; a negative number is a value, which the
 * option's own check then refuses with its range.
 */
function negativeValuesJoined(args: readonly string[], options: NonNullable<ParseArgsConfig['options']>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    const takesValue = a.startsWith('--') && options[a.slice(2)]?.type === 'string';
    if (takesValue && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** `node:util` parseArgs (strict) with usage mistakes turned into exit code 2. */
export function parseOptions<O extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  args: readonly string[],
  options: O,
) {
  try {
    return parseArgs({ args: negativeValuesJoined(args, options), options, allowPositionals: false, strict: true });
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
  const range = opts.max !== undefined ? `${min}..${opts.max}` : `${min} or more`;
  if (raw.trim() === '' || !Number.isFinite(n)) throw new CliError(`--${flag}: "${raw}" is not a number in ${range} — pass one, e.g. --${flag} ${min === 0 && opts.max === 1 ? '0.5' : '20'}`, EXIT.usage);
  if (n < min) throw new CliError(`--${flag}: ${raw} is below the minimum ${min}; allowed ${range} — pass --${flag} ${min} or more`, EXIT.usage);
  if (opts.max !== undefined && n > opts.max) throw new CliError(`--${flag}: ${raw} is above the maximum ${opts.max}; allowed ${range} — pass --${flag} ${opts.max} or less`, EXIT.usage);
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
