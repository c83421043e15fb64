/**
 * `jenkins-ecs snapshot [--wait] [--poll-seconds S] [--timeout-minutes M] [--name N] [--json]`
 * A manual snapshot of the holder's volume (kind=manual), registered in the lineage record with
 * the holder's fencing token. It is crash-consistent: the CLI cannot
 * flush the file system inside the task the way the keeper does before its own snapshots.
 */
import { commit } from '../../continuity/commit.js';
import type { Snapshot, Volume } from '../../continuity/model.js';
import type { Holder } from '../../continuity/record.js';
import { register } from '../../continuity/transitions.js';
import type { SnapshotTags } from '../../continuity/ports.js';
import {
  awsFor,
  COMMON_OPTIONS,
  parseCommandArgs,
  resolveDeployment,
  withAwsErrors,
  type AwsCommandContext,
  type CliAws,
  type Deployment,
} from '../aws-context.js';
import { positive } from '../args.js';
import { CliError, EXIT } from '../errors.js';
import type { Io } from '../io.js';
import { parseProgress, progressBar } from '../format.js';

const OPTIONS = {
  ...COMMON_OPTIONS,
  wait: { type: 'boolean', default: false },
  'poll-seconds': { type: 'string' },
  'timeout-minutes': { type: 'string' },
} as const;

export async function run(args: readonly string[], ctx: AwsCommandContext): Promise<number> {
  const { values } = parseCommandArgs('snapshot', args, OPTIONS);
  const deployment = resolveDeployment(values, ctx);
  const pollMs = positive(values['poll-seconds'], '--poll-seconds', 5) * 1000;
  const timeoutMs = positive(values['timeout-minutes'], '--timeout-minutes', 120) * 60_000;

  return withAwsErrors(deployment, async () => {
    const aws = await awsFor(ctx, deployment);
    const { snapshot, holder, tags, registered } = await takeManualSnapshot(aws, deployment);
    if (!registered) {
      throw new CliError(
        `snapshot ${snapshot.id} of volume ${holder.id} was taken, but the holder changed meanwhile, so it is not part of the lineage (it is never the head and retention leaves it alone; delete it when you no longer need it)`,
        EXIT.refused,
      );
    }
    if (!values.json) {
      ctx.io.out(`snapshot ${snapshot.id} of holder volume ${holder.id} requested and recorded as the head (kind=manual, lineage ${tags.lineage})`);
    }
    let final = snapshot;
    if (values.wait) final = await waitForSnapshot(aws, snapshot, ctx.io, { pollMs, timeoutMs, quiet: values.json });
    if (values.json) {
      ctx.io.out(
        JSON.stringify(
          { snapshotId: final.id, volumeId: holder.id, state: final.state, progress: final.progress, tags: { ...tags } },
          null,
          2,
        ),
      );
    } else if (values.wait) {
      ctx.io.out(`snapshot ${final.id} completed`);
    } else {
      ctx.io.out(`it is ${final.state}; follow it with 'jenkins-ecs snapshots', or pass --wait next time`);
    }
    return EXIT.ok;
  });
}

/** The record's holder and its volume (read by id), or a refusal that says why there is none. */
export async function findLiveHolder(aws: CliAws, deployment: Deployment): Promise<{ volume: Volume; holder: Holder }> {
  const { names } = deployment;
  const record = await aws.record.read(names.lineage);
  const holder = record?.holder;
  const volume = holder ? await aws.ec2.describeVolume(holder.volumeId) : undefined;
  if (holder === undefined || volume === undefined || volume.state !== 'in-use') {
    throw new CliError(
      `no holder: the lineage record of ${names.lineage} names ${holder ? `volume ${holder.volumeId}, which is not in use` : 'no holder'}, so no Jenkins owns the home to snapshot (is the service running and past the gate? see 'jenkins-ecs status')`,
      EXIT.noHolder,
    );
  }
  return { volume, holder };
}

/**
 * CreateSnapshot of the holder's volume, then `register` it with the holder's token, so it joins
 * the lineage (and becomes the head) only if that holder still holds it. A snapshot whose
 * registration is refused stays outside the lineage: never the head, never deleted by retention.
 */
export async function takeManualSnapshot(
  aws: CliAws,
  deployment: Deployment,
): Promise<{ snapshot: Snapshot; holder: Volume; tags: SnapshotTags; registered: boolean }> {
  const { names } = deployment;
  const { volume, holder } = await findLiveHolder(aws, deployment);
  const tags: SnapshotTags = {
    lineage: names.lineage,
    kind: 'manual',
    task: holder.taskArn,
    ...(volume.snapshotId ? { source: volume.snapshotId } : {}),
  };
  const snapshot = await aws.ec2.createSnapshot(volume.id, tags, `jenkins-ecs manual snapshot of lineage ${names.lineage}`);
  const { outcome } = await commit(
    aws.record,
    names.lineage,
    (r) => (r ? register(r, { token: holder.token, snapshotId: snapshot.id, kind: 'manual', task: holder.taskArn, ...(volume.snapshotId ? { source: volume.snapshotId } : {}) }) : { ok: false, code: 'fenced', reason: 'the record is gone' }),
    { clock: aws.clock },
  );
  return { snapshot, holder: volume, tags, registered: outcome.ok };
}

/** Polls EBS `Progress` until `completed`; a snapshot that ends in `error` is a failure. */
export async function waitForSnapshot(
  aws: CliAws,
  started: Snapshot,
  io: Io,
  opts: { pollMs: number; timeoutMs: number; quiet?: boolean },
): Promise<Snapshot> {
  const begin = aws.clock.now().getTime();
  let current = started;
  for (;;) {
    if (!opts.quiet) io.progress(`${current.id} ${progressBar(current.state === 'completed' ? 100 : parseProgress(current.progress))}`);
    if (current.state === 'completed') return current;
    if (current.state === 'error') {
      throw new CliError(`snapshot ${current.id} ended in error; it does not count for the lineage (take another one)`, EXIT.aws);
    }
    if (aws.clock.now().getTime() - begin >= opts.timeoutMs) {
      throw new CliError(
        `snapshot ${current.id} still ${current.state} at ${current.progress ?? '0%'} after ${Math.round(opts.timeoutMs / 60_000)} min; it continues in EBS, follow it with 'jenkins-ecs snapshots'`,
        EXIT.failure,
      );
    }
    await aws.clock.sleep(opts.pollMs);
    const next = await aws.ec2.describeSnapshot(current.id);
    if (!next) throw new CliError(`snapshot ${current.id} disappeared while waiting (deleted?)`, EXIT.aws);
    current = next;
  }
}
