/**
 * `jenkins-ecs validate [--config FILE] [--json]`: every problem at once; exit 1 if any error.
 * Warnings are printed but do not fail.
 */
import { formatIssue, loadConfigFile } from '../../config/index.js';
import { displayPath, parseOptions, resolveConfigPath } from '../args.js';
import type { CommandContext } from '../context.js';
import { EXIT } from '../errors.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export async function run(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { values } = parseOptions('validate', args, {
    config: { type: 'string', short: 'c' },
    json: { type: 'boolean', default: false },
  });
  const path = resolveConfigPath(values.config, ctx);
  const shown = displayPath(path, ctx.cwd);
  const result = loadConfigFile(path, shown);
  const errors = result.ok ? [] : result.errors;
  if (values.json) {
    ctx.io.out(JSON.stringify({ file: shown, valid: result.ok, errors, warnings: result.warnings }, null, 2));
    return result.ok ? EXIT.ok : EXIT.failure;
  }
  for (const issue of [...errors, ...result.warnings]) ctx.io.out(formatIssue(issue));
  const w = result.warnings.length > 0 ? ` (${plural(result.warnings.length, 'warning')})` : '';
  if (result.ok) {
    ctx.io.out(`${shown}: valid${w}`);
    return EXIT.ok;
  }
  ctx.io.out(`${shown}: invalid, ${plural(errors.length, 'error')}${w}`);
  return EXIT.failure;
}
