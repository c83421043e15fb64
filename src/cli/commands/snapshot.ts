/**
 * `jenkins-ecs snapshot [--wait] [--poll-seconds S] [--timeout-minutes M] [--name N] [--json]`
 * A manual snapshot of the holder volume (kind=manual). It is crash-consistent: the CLI cannot
 * flush the file system inside the task the way the keeper does before its own snapshots.
 */
import { liveHolders } from '../../continuity/decisions.js';
import { TAGS, type Snapshot, type Volume } from '../../continuity/model.js';
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
    const { snapshot, holder, tags } = await takeManualSnapshot(aws, deployment);
    if (!values.json) {
      ctx.io.out(`snapshot ${snapshot.id} of holder volume ${holder.id} requested (kind=manual, lineage ${tags.lineage})`);
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
    } else if (final.state === 'completed') {
      // EBS can report a small incremental snapshot completed at once: nothing to wait for.
      ctx.io.out(`snapshot ${final.id} completed`);
    } else {
      ctx.io.out(`it is ${final.state}; follow it with 'jenkins-ecs snapshots', or pass --wait next time`);
    }
    return EXIT.ok;
  });
}

/** The live holder (tagged holder=L and in-use), or a refusal that says why there is none. */
export async function findLiveHolder(aws: CliAws, deployment: Deployment): Promise<Volume> {
  const live = liveHolders(deployment.names.lineage, await aws.ec2.listHolders(deployment.names.lineage));
  if (live.length === 0) {
    throw new CliError(
      `no holder: no in-use volume is tagged ${TAGS.holder}=${deployment.names.lineage}, so no Jenkins owns the home to snapshot (is the service running and past the gate? see 'jenkins-ecs status')`,
      EXIT.noHolder,
    );
  }
  if (live.length > 1) {
    throw new CliError(
      `refusing to guess: ${live.length} in-use volumes are tagged holder (${live.map((v) => v.id).join(', ')}); see 'jenkins-ecs status'`,
      EXIT.refused,
    );
  }
  return live[0] as Volume;
}

export async function takeManualSnapshot(
  aws: CliAws,
  deployment: Deployment,
): Promise<{ snapshot: Snapshot; holder: Volume; tags: SnapshotTags }> {
  const { names } = deployment;
  const holder = await findLiveHolder(aws, deployment);
  // The task tag is best effort: it needs the EBS attachment, which DescribeTasks may not report yet.
  const tasks = await aws.tasks.listServiceTasks(names.cluster, names.service);
  const task = tasks.find((t) => t.volumeId === holder.id)?.arn;
  const tags: SnapshotTags = {
    lineage: names.lineage,
    kind: 'manual',
    ...(task ? { task } : {}),
    ...(holder.snapshotId ? { source: holder.snapshotId } : {}),
  };
  const snapshot = await aws.ec2.createSnapshot(holder.id, tags, `jenkins-ecs manual snapshot of lineage ${names.lineage}`);
  return { snapshot, holder, tags };
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
