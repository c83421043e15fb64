/**
 * `jenkins-ecs restore <snap-id> | --before <ISO time> [--yes] [--name N] [--json]`
 * Point-in-time restore through the protocol's `restore()` (src/continuity/restore.ts): scale to
 * 0 (the keeper's final snapshot stays in history), promote the chosen snapshot to head, write the
 * pointer and launch from it. Each step checks whether it is done, so re-running after an
 * interruption finishes the job.
 */
import { checkRestorable, pickBefore, restore, RestoreError, type RestoreErrorCode, type RestoreResult, type RestoreStep } from '../../continuity/restore.js';
import { selectHead } from '../../continuity/decisions.js';
import { effectiveTime, type Snapshot } from '../../continuity/model.js';
import {
  awsFor,
  COMMON_OPTIONS,
  mapAwsError,
  parseCommandArgs,
  resolveDeployment,
  withAwsErrors,
  type AwsCommandContext,
  type Deployment,
} from '../aws-context.js';
import { positive } from '../args.js';
import { CliError, EXIT, type ExitCode } from '../errors.js';
import { formatAge } from '../format.js';

const OPTIONS = {
  ...COMMON_OPTIONS,
  before: { type: 'string' },
  yes: { type: 'boolean', short: 'y', default: false },
  'poll-seconds': { type: 'string' },
  'timeout-minutes': { type: 'string' },
} as const;

const REFUSAL_EXIT: Record<RestoreErrorCode, ExitCode> = {
  'snapshot-not-found': EXIT.refused,
  'not-in-lineage': EXIT.refused,
  'snapshot-pending': EXIT.refused,
  'snapshot-failed': EXIT.refused,
  'no-snapshot-before': EXIT.refused,
  'service-not-found': EXIT.notFound,
  'scale-down-timeout': EXIT.failure,
};

const STEP_LABEL: Record<RestoreStep, string> = {
  check: 'check',
  'scale-down': 'step 1/3',
  promote: 'step 2/3',
  pointer: 'step 3/3',
  'scale-up': 'step 3/3',
  done: 'done',
};

export async function run(args: readonly string[], ctx: AwsCommandContext): Promise<number> {
  const { values, positionals } = parseCommandArgs('restore', args, OPTIONS, true);
  if (positionals.length > 1) throw new CliError(`restore: one snapshot id expected, got ${positionals.join(' ')}`, EXIT.usage);
  const id = positionals[0];
  if ((id === undefined) === (values.before === undefined)) {
    throw new CliError('restore: give either a snapshot id or --before <ISO time> (one of the two)', EXIT.usage);
  }
  const before = values.before === undefined ? undefined : parseTime(values.before);
  const pollMs = positive(values['poll-seconds'], '--poll-seconds', 5, 'restore') * 1000;
  const timeoutMs = positive(values['timeout-minutes'], '--timeout-minutes', 10, 'restore') * 60_000;
  const deployment = resolveDeployment(values, ctx);
  const { io } = ctx;
  // With --json, stdout carries only the result document; progress goes to stderr.
  const say = (line: string) => (values.json ? io.err(line) : io.out(line));

  return withAwsErrors(deployment, async () => {
    const aws = await awsFor(ctx, deployment);
    const { names } = deployment;
    const lineage = await aws.ec2.listLineage(names.lineage);
    if (lineage.length === 0) {
      throw new CliError(`lineage '${names.lineage}' has no snapshots: there is nothing to restore`, EXIT.emptyLineage);
    }
    const chosen = before ? chooseBefore(lineage, before, names.lineage) : await refuseUnlessRestorable(id!, lineage, deployment, aws.ec2.describeSnapshot.bind(aws.ec2));
    const head = selectHead(lineage);
    if (!(await aws.ecs.describeService(names.cluster, names.service))) {
      throw new CliError(`deployment '${deployment.name}' not found: no active service '${names.service}' in cluster '${names.cluster}'`, EXIT.notFound);
    }

    say(`restore ${deployment.name} to ${describe(chosen, ctx.now())}`);
    if (head && head.id !== chosen.id) say(`the current head is ${describe(head, ctx.now())}; it stays in the lineage as history`);
    say(`this stops Jenkins (its keeper takes a final snapshot first), makes ${chosen.id} the head and starts Jenkins from it`);
    if (!values.yes && !(await io.confirm(`restore ${deployment.name} to ${chosen.id}?`))) {
      throw new CliError('restore cancelled: nothing was changed', EXIT.failure);
    }

    let last = 'before any step';
    let result: RestoreResult;
    try {
      result = await restore(
        { ec2: aws.ec2, ecs: aws.ecs, pointer: aws.pointer, clock: aws.clock },
        {
          lineage: names.lineage,
          cluster: names.cluster,
          service: names.service,
          snapshotId: chosen.id,
          pollMs,
          scaleDownTimeoutMs: timeoutMs,
          onProgress: (s, detail) => {
            last = `${STEP_LABEL[s]}: ${detail}`;
            say(last);
          },
        },
      );
    } catch (e) {
      if (e instanceof RestoreError) throw new CliError(refusalMessage(e), REFUSAL_EXIT[e.code]);
      const mapped = mapAwsError(e, deployment);
      throw new CliError(
        `restore interrupted (last progress '${last}'): ${mapped.message}; re-run the same command to finish`,
        mapped.exitCode,
      );
    }
    if (values.json) io.out(JSON.stringify({ ...result, promotedAt: result.promotedAt.toISOString() }, null, 2));
    else if (result.alreadyRestored) io.out(`nothing to do: ${chosen.id} is already the head and the service runs it`);
    else io.out(`restore requested: ${names.service} launches from ${chosen.id}; follow it with 'jenkins-ecs status'`);
    return EXIT.ok;
  });
}

function describe(s: Snapshot, now: Date): string {
  return `${s.id} (${s.kind ?? 'unknown kind'}, ${s.state}, effective ${effectiveTime(s).toISOString()}, ${formatAge(effectiveTime(s), now)})`;
}

function parseTime(value: string): Date {
  const d = new Date(value);
  // Only ISO-8601-looking input: Date also accepts things like "5" or "March", which would surprise.
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(d.getTime())) {
    throw new CliError(`restore: --before '${value}' is not an ISO time, e.g. 2026-03-01T09:00:00Z`, EXIT.usage);
  }
  return d;
}

function chooseBefore(lineage: readonly Snapshot[], before: Date, name: string): Snapshot {
  const picked = pickBefore(lineage, before);
  if (!picked) {
    throw new CliError(
      `refused: lineage '${name}' has no completed snapshot taken at or before ${before.toISOString()} (see 'jenkins-ecs snapshots')`,
      EXIT.refused,
    );
  }
  return picked;
}

/** The same checks the core runs, before the prompt: a refusal must not ask first. */
async function refuseUnlessRestorable(
  id: string,
  lineage: readonly Snapshot[],
  deployment: Deployment,
  describeSnapshot: (id: string) => Promise<Snapshot | undefined>,
): Promise<Snapshot> {
  const listed = lineage.find((s) => s.id === id);
  try {
    return checkRestorable(listed ?? (await describeSnapshot(id)), deployment.names.lineage, id);
  } catch (e) {
    if (e instanceof RestoreError) throw new CliError(refusalMessage(e), REFUSAL_EXIT[e.code]);
    throw e;
  }
}

function refusalMessage(e: RestoreError): string {
  const hint: Partial<Record<RestoreErrorCode, string>> = {
    'snapshot-not-found': "pick one from 'jenkins-ecs snapshots'",
    'not-in-lineage': 'only snapshots of this deployment can be restored',
    'snapshot-pending': 'run again once it is completed',
    'snapshot-failed': "pick another one from 'jenkins-ecs snapshots'",
    'scale-down-timeout': 're-run the same command to keep waiting, or pass a larger --timeout-minutes',
  };
  const refused = REFUSAL_EXIT[e.code] === EXIT.refused ? 'refused: ' : '';
  return `${refused}${e.message}${hint[e.code] ? `; ${hint[e.code]}` : ''}`;
}
