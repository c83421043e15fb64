/**
 * The CLI dispatcher: a declarative command table, global flags (--help, --version, --debug)
 * and the mapping of errors to one stderr line plus an exit code. Adding a command is one row.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findPackageRoot } from '../package-root.js';
import type { CommandContext, CommandModule } from './context.js';
import { CliError, EXIT } from './errors.js';
import { ConsoleIo } from './io.js';

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  /** Flags and positionals for `<command> --help`: [usage, description]. */
  readonly options: readonly (readonly [string, string])[];
  readonly load: () => Promise<CommandModule>;
}

const CONFIG_OPT = ['-c, --config FILE', 'config file (default: $JENKINS_ECS_CONFIG, else ./jenkins-ecs.yaml)'] as const;
const JSON_OPT = ['--json', 'print one JSON document instead of text'] as const;
const NAME_OPT = ['--name NAME', "deployment name (default: the config's name)"] as const;
const REGION_OPT = ['--region REGION', 'AWS region (default: config region, else AWS_REGION / profile)'] as const;

export const COMMANDS: readonly CommandSpec[] = [
  { name: 'validate', summary: 'check a config file and print every problem (exit 1 on errors)', options: [CONFIG_OPT, JSON_OPT], load: () => import('./commands/validate.js') },
  {
    name: 'plan',
    summary: 'show what would be deployed and its approximate monthly cost, beside EFS (no AWS calls)',
    options: [
      CONFIG_OPT,
      ['--io-mibps N', 'sustained home I/O rate in MiB/s for the EFS comparison (default 5)'],
      ['--read-fraction F', 'share of that I/O that is reads, 0..1 (default 0.5)'],
      ['--agent-hours H', 'task-hours per month for each agent template (default 200)'],
      ['--change-rate F', 'share of the home that changes per day, for snapshot cost (default 0.05)'],
      ['--logs-gb N', 'CloudWatch Logs ingested per month in GB (default 5)'],
      JSON_OPT,
    ],
    load: () => import('./commands/plan.js'),
  },
  // AWS commands: the deployment comes from --name, else the config's `name`.
  {
    name: 'status',
    summary: 'service, task, holder, head, launch snapshot, snapshot ages and warnings',
    options: [NAME_OPT, CONFIG_OPT, REGION_OPT, ['--interval MIN', 'snapshot interval for the staleness warning (default: config, else 15)'], JSON_OPT],
    load: () => import('./commands/status.js'),
  },
  {
    name: 'snapshots',
    summary: 'the lineage as a table, newest first, head marked',
    options: [NAME_OPT, CONFIG_OPT, REGION_OPT, JSON_OPT],
    load: () => import('./commands/snapshots.js'),
  },
  {
    name: 'snapshot',
    summary: 'take a manual snapshot of the holder volume now',
    options: [
      NAME_OPT,
      CONFIG_OPT,
      REGION_OPT,
      ['--wait', 'show a progress bar until the snapshot is completed'],
      ['--poll-seconds S', 'with --wait: seconds between checks (default 5)'],
      ['--timeout-minutes M', 'with --wait: give up waiting after M minutes (default 120)'],
      JSON_OPT,
    ],
    load: () => import('./commands/snapshot.js'),
  },
  {
    name: 'restart',
    summary: 'planned restart: pre-copy snapshot, then one task start with every write (the handover); asks first unless --yes',
    options: [
      ['-y, --yes', 'do not ask for confirmation'],
      ['--no-pre-copy', 'skip the pre-copy snapshot (the final snapshot then carries every change)'],
      ['--stop-first', 'stop the old task before the new one is launched (no overlap; slower)'],
      ['--pre-copy-timeout-minutes M', 'stop anyway once the pre-copy has run this long (default 15)'],
      ['--poll-seconds S', 'seconds between checks (default 5)'],
      NAME_OPT,
      CONFIG_OPT,
      REGION_OPT,
      JSON_OPT,
    ],
    load: () => import('./commands/restart.js'),
  },
  {
    name: 'restore',
    summary: 'point-in-time restore: <snap-id> | --before <ISO time>; asks first unless --yes',
    options: [
      ['<snap-id>', 'a completed snapshot of the lineage (see snapshots)'],
      ['--before TIME', 'instead of an id: the newest completed snapshot taken at or before TIME'],
      ['-y, --yes', 'do not ask for confirmation'],
      NAME_OPT,
      CONFIG_OPT,
      REGION_OPT,
      ['--poll-seconds S', 'seconds between checks while the running task stops (default 5)'],
      ['--timeout-minutes M', 'how long to wait for the running task to stop (default 10)'],
      JSON_OPT,
    ],
    load: () => import('./commands/restore.js'),
  },
  {
    name: 'migrate',
    summary: 'move an existing Jenkins home (EFS, or an EBS snapshot) into the lineage as its seed; asks first unless --yes',
    options: [
      ['--from-efs FS-ID', 'copy from this EFS file system (the stack needs migration.efsFileSystemId)'],
      ['--access-point FSAP-ID', 'with --from-efs: mount through this access point'],
      ['--path DIR', 'with --from-efs: the home inside the file system (default /)'],
      ['--from-snapshot SNAP-ID', 'instead: an EBS snapshot of the old home (needs --fs-type)'],
      ['--fs-type xfs|ext4', 'with --from-snapshot: the file system on the snapshot'],
      ['--force', 'make the seed the head even though the lineage has one (it stays as history)'],
      ['--resume ID', 'take over the interrupted migrate ID (status names it); with --from-snapshot of its seed, enter that seed without another copy'],
      ['-y, --yes', 'do not ask for confirmation'],
      ['--poll-seconds S', 'seconds between checks of the task or the copy (default 10)'],
      NAME_OPT,
      CONFIG_OPT,
      REGION_OPT,
      JSON_OPT,
    ],
    load: () => import('./commands/migrate.js'),
  },
];

const GLOBAL_OPTIONS: readonly (readonly [string, string])[] = [
  ['-h, --help', 'show help (also after a command)'],
  ['-V, --version', 'print the version'],
  ['--debug', 'print stack traces for unexpected errors'],
];

function pad(rows: readonly (readonly [string, string])[], indent = '  '): string[] {
  const width = Math.max(...rows.map(([a]) => a.length));
  return rows.map(([a, b]) => `${indent}${a.padEnd(width)}  ${b}`);
}

export function usage(commands: readonly CommandSpec[] = COMMANDS): string[] {
  return [
    'usage: jenkins-ecs <command> [options]',
    '',
    'commands:',
    ...pad(commands.map((c) => [c.name, c.summary] as const)),
    '',
    'global options:',
    ...pad(GLOBAL_OPTIONS),
    '',
    'run `jenkins-ecs <command> --help` for the options of a command',
  ];
}

function commandHelp(c: CommandSpec): string[] {
  return [`usage: jenkins-ecs ${c.name} [options]`, '', c.summary, '', 'options:', ...pad([...c.options, ['-h, --help', 'show this help']])];
}

/**
 * The package.json of this package (see findPackageRoot): from src/cli in a checkout run through
 * tsx, from dist/bin once bundled or installed. Read at run time so the version has one source.
 */
export function packageJson(from = __dirname): { name?: string; version?: string } {
  const root = findPackageRoot(from);
  return root === undefined ? {} : (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name?: string; version?: string });
}

export function version(): string {
  return packageJson().version ?? 'unknown';
}

function defaultContext(ctx: Partial<CommandContext>, debug: boolean): CommandContext {
  return {
    io: ctx.io ?? new ConsoleIo(),
    env: ctx.env ?? process.env,
    cwd: ctx.cwd ?? process.cwd(),
    now: ctx.now ?? (() => new Date()),
    ...ctx,
    debug: Boolean(ctx.debug) || debug,
  };
}

/** Runs the CLI; resolves to the exit code and never throws. */
export async function main(argv: readonly string[], partial: Partial<CommandContext> = {}, commands: readonly CommandSpec[] = COMMANDS): Promise<number> {
  const debug = argv.includes('--debug');
  const args = argv.filter((a) => a !== '--debug');
  const ctx = defaultContext(partial, debug);
  const { io } = ctx;
  const name = args[0];

  if (name === undefined) {
    for (const line of usage(commands)) io.err(line);
    return EXIT.usage;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = commands.find((c) => c.name === args[1]);
    for (const line of topic ? commandHelp(topic) : usage(commands)) io.out(line);
    return EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    io.out(version());
    return EXIT.ok;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.err(`jenkins-ecs: unknown command ${JSON.stringify(name)}`);
    for (const line of usage(commands)) io.err(line);
    return EXIT.usage;
  }
  const rest = args.slice(1);
  if (rest.includes('--help') || rest.includes('-h')) {
    for (const line of commandHelp(command)) io.out(line);
    return EXIT.ok;
  }
  try {
    const mod = await command.load();
    return await mod.run(rest, ctx);
  } catch (e) {
    if (e instanceof CliError) {
      io.err(`jenkins-ecs: ${e.message}`);
      if (ctx.debug && e.stack) io.err(e.stack);
      return e.exitCode;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    io.err(`jenkins-ecs: ${err.message.split('\n')[0]}${ctx.debug ? '' : ' (run with --debug for details)'}`);
    if (ctx.debug && err.stack) io.err(err.stack);
    return EXIT.failure;
  }
}
