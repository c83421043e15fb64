/** Placeholder replaced below. */
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
export async function run(_args: readonly string[], _ctx: CommandContext): Promise<number> {
  throw new CliError('plan: not implemented yet');
}
