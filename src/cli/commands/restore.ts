/**
 * `jenkins-ecs restore <snap-id> | --before <ISO time> [--yes] [--name N] [--json]`
 * Point-in-time restore through the protocol's `restore()` (src/continuity/restore.ts), an
 * operation of the lineage record: scale to 0 (the keeper's final snapshot stays in history), make
 * the chosen record member the head and the launch snapshot, launch from it. Re-running the same
 * command after an interruption resumes the operation the record names.
 */
import { checkRestorable, pickBefore, restore, RestoreError, type RestoreErrorCode, type RestoreResult, type RestoreStep } from '../../continuity/restore.js';
import type { Snapshot } from '../../continuity/model.js';
import type { LineageRecord } from '../../continuity/record.js';
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
  'no-record': EXIT.emptyLineage,
  'operation-in-progress': EXIT.refused,
};

const STEP_LABEL: Record<RestoreStep, string> = {
  check: 'check',
  begin: 'step 1/4',
  'scale-down': 'step 2/4',
  promote: 'step 3/4',
  'scale-up': 'step 4/4',
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
    const record = await aws.record.read(names.lineage);
    if (record === undefined || record.snapshots.length === 0) {
      throw new CliError(`lineage '${names.lineage}' has no recorded snapshots: there is nothing to restore`, EXIT.emptyLineage);
    }
    // Only record members can be restored; their state and time are read by id.
    const members = (await Promise.all(record.snapshots.map((e) => aws.ec2.describeSnapshot(e.snapshotId)))).filter((s): s is Snapshot => s !== undefined);
    const chosen = before ? chooseBefore(members, before, names.lineage) : await refuseUnlessRestorable(id!, record, deployment, aws.ec2.describeSnapshot.bind(aws.ec2));
    const head = record.head ? members.find((s) => s.id === record.head!.snapshotId) : undefined;
    if (!(await aws.ecs.describeService(names.cluster, names.service))) {
      throw new CliError(`deployment '${deployment.name}' not found: no active service '${names.service}' in cluster '${names.cluster}'`, EXIT.notFound);
    }

    if (record.operation?.kind === 'restore') say(`an interrupted restore (${record.operation.id}, step '${record.operation.step ?? 'begun'}') is resumed`);
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
        { ec2: aws.ec2, ecs: aws.ecs, record: aws.record, clock: aws.clock },
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
        `restore interrupted (last progress '${last}'): ${mapped.message}; re-run the same command to resume it`,
        mapped.exitCode,
      );
    }
    if (values.json) io.out(JSON.stringify(result, null, 2));
    else if (result.alreadyRestored) io.out(`nothing to do: ${chosen.id} is already the restored head and the service runs it`);
    else io.out(`restore requested: ${names.service} launches from ${chosen.id}; follow it with 'jenkins-ecs status'`);
    return EXIT.ok;
  });
}

function describe(s: Snapshot, now: Date): string {
  return `${s.id} (${s.state}, taken ${s.startTime.toISOString()}, ${formatAge(s.startTime, now)})`;
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
  record: LineageRecord,
  deployment: Deployment,
  describeSnapshot: (id: string) => Promise<Snapshot | undefined>,
): Promise<Snapshot> {
  try {
    return checkRestorable(await describeSnapshot(id), record, deployment.names.lineage, id);
  } catch (e) {
    if (e instanceof RestoreError) throw new CliError(refusalMessage(e), REFUSAL_EXIT[e.code]);
    throw e;
  }
}

function refusalMessage(e: RestoreError): string {
  const hint: Partial<Record<RestoreErrorCode, string>> = {
    'snapshot-not-found': "pick one from 'jenkins-ecs snapshots'",
    'not-in-lineage': "only snapshots the protocol recorded for this deployment can be restored (see 'jenkins-ecs snapshots')",
    'operation-in-progress': "see 'jenkins-ecs status'",
    'snapshot-pending': 'run again once it is completed',
    'snapshot-failed': "pick another one from 'jenkins-ecs snapshots'",
    'scale-down-timeout': 're-run the same command to keep waiting, or pass a larger --timeout-minutes',
  };
  const refused = REFUSAL_EXIT[e.code] === EXIT.refused ? 'refused: ' : '';
  return `${refused}${e.message}${hint[e.code] ? `; ${hint[e.code]}` : ''}`;
}
