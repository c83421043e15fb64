/**
 * The running part of `jenkins-ecs migrate`: the RunTask request of the migration task, following
 * its log stream as a progress bar until it stops, and the CopySnapshot of --from-snapshot.
 */
import type { RunTaskCommandInput } from '@aws-sdk/client-ecs';
import type { MigrationAwsPort, MigrationTaskDefinition } from '../aws/migration-adapter.js';
import type { DeploymentNames } from '../config/names.js';
import type { HomeConfig } from '../config/types.js';
import { TAGS } from '../continuity/model.js';
import type { Clock, Ec2Port } from '../continuity/ports.js';
import { MIGRATE_CONTAINER, MIGRATE_ENV, parseEvent, type ProgressEvent } from '../migrate/events.js';
import { formatDuration } from '../migrate/preflight.js';
import { CliError, EXIT } from './errors.js';
import { parseProgress, progressBar } from './format.js';
import type { Io } from './io.js';

/**
 * RunTask with the home's volume settings (what the controller service gets, without a snapshot)
 * and `deleteOnTermination`: the task waits for its seed snapshot to complete before it exits.
 */
export function migrationRunTask(input: {
  names: DeploymentNames;
  home: HomeConfig;
  td: MigrationTaskDefinition;
  subnets: readonly string[];
  path: string;
}): RunTaskCommandInput {
  const { names, home, td } = input;
  return {
    cluster: names.cluster,
    taskDefinition: td.arn,
    launchType: 'FARGATE',
    platformVersion: 'LATEST',
    count: 1,
    startedBy: 'jenkins-ecs-migrate',
    networkConfiguration: { awsvpcConfiguration: { subnets: [...input.subnets], securityGroups: [td.securityGroupId!], assignPublicIp: 'DISABLED' } },
    overrides: { containerOverrides: [{ name: MIGRATE_CONTAINER, environment: [{ name: MIGRATE_ENV.sourcePath, value: input.path }] }] },
    volumeConfigurations: [
      {
        name: names.homeVolume,
        managedEBSVolume: {
          roleArn: td.infrastructureRoleArn!,
          encrypted: true,
          ...(home.kmsKeyArn ? { kmsKeyId: home.kmsKeyArn } : {}),
          volumeType: home.volumeType,
          sizeInGiB: home.sizeGiB,
          ...(home.volumeType !== 'gp2' && home.iops !== undefined ? { iops: home.iops } : {}),
          ...(home.volumeType === 'gp3' && home.throughputMiBps !== undefined ? { throughput: home.throughputMiBps } : {}),
          filesystemType: home.fileSystem,
          // The lineage tag: the task role may snapshot only volumes that carry it.
          tagSpecifications: [{ resourceType: 'volume', tags: [{ key: TAGS.lineage, value: names.lineage }], propagateTags: 'NONE' }],
          terminationPolicy: { deleteOnTermination: true },
        },
      },
    ],
    tags: [{ key: TAGS.lineage, value: names.lineage }],
  };
}

export async function runMigrationTask(aws: MigrationAwsPort, input: Parameters<typeof migrationRunTask>[0]): Promise<string> {
  return aws.runTask(migrationRunTask(input));
}

const GiB = 1024 ** 3;

/**
 * `copy [####------]  42%  12.3 of 29.1 GiB, 120000/300000 files, 85 MiB/s, ETA 3 min`. rsync's
 * percent comes from its complete file list, so it sets the total; the file system's size (which
 * counts what lies outside --path too) only stands in until rsync reports one.
 */
export function progressLine(p: ProgressEvent, fileSystemBytes: number): string {
  const total = p.percent > 0 ? (p.bytes * 100) / p.percent : Math.max(fileSystemBytes, p.bytes);
  const percent = p.percent > 0 ? p.percent : total > 0 ? (p.bytes / total) * 100 : 0;
  const eta = p.bytesPerSecond > 0 ? `, ETA ${formatDuration((total - p.bytes) / p.bytesPerSecond)}` : '';
  return `copy ${progressBar(percent)}  ${(p.bytes / GiB).toFixed(1)} of ${(total / GiB).toFixed(1)} GiB, ${p.files}/${p.totalFiles} files, ${(p.bytesPerSecond / 1024 / 1024).toFixed(0)} MiB/s${eta}`;
}

/** Follows the task's log stream until it stops; resolves with the seed snapshot id. */
export async function followMigrationTask(
  aws: MigrationAwsPort,
  clock: Clock,
  opts: { cluster: string; taskArn: string; td: MigrationTaskDefinition; totalBytes: number; pollMs: number; io: Io; quiet: boolean },
): Promise<string> {
  const taskId = opts.taskArn.slice(opts.taskArn.lastIndexOf('/') + 1);
  const stream = `${opts.td.logStreamPrefix}/${MIGRATE_CONTAINER}/${taskId}`;
  let token: string | undefined;
  let seed: string | undefined;
  let failed: string | undefined;
  let stopped = false;
  for (;;) {
    // One more read after STOPPED: the last lines may land after the status changes.
    const page = await aws.logLines(opts.td.logGroup!, stream, token);
    token = page.token;
    for (const line of page.lines) {
      const e = parseEvent(line);
      if (!e) continue;
      if (e.msg === 'progress' && !opts.quiet) opts.io.progress(progressLine(e, opts.totalBytes));
      else if (e.msg === 'phase' && !opts.quiet) opts.io.err(`${e.phase}...`);
      else if (e.msg === 'verified' && !opts.quiet) opts.io.err(`verified: ${e.counts.files} files, ${e.counts.dirs} directories, ${e.counts.symlinks} symlinks, ${(e.counts.bytes / GiB).toFixed(2)} GiB; ${e.sampledFiles} files checksummed`);
      else if (e.msg === 'seed') seed = e.snapshotId;
      else if (e.msg === 'failed') failed = e.reason;
    }
    if (stopped) break;
    const task = await aws.task(opts.cluster, opts.taskArn);
    if (task?.lastStatus === 'STOPPED') {
      stopped = true;
      // A task that never ran its container has no exit code and prints no seed: both fail below.
      if (task.exitCode !== undefined && task.exitCode !== 0 && !failed) failed = task.stoppedReason ?? `the container exited with ${task.exitCode}`;
      if (!seed && !failed && task.stoppedReason) failed = task.stoppedReason;
      continue;
    }
    await clock.sleep(opts.pollMs);
  }
  if (failed || !seed) {
    throw new CliError(`migration task ${opts.taskArn} failed: ${failed ?? 'it stopped without naming a seed snapshot'}; nothing entered the lineage (logs: ${opts.td.logGroup} ${stream})`, EXIT.failure);
  }
  return seed;
}

/** --from-snapshot: a protocol-owned, encrypted copy (kind=seed, source=the user's snapshot), waited for. */
export async function copySeedSnapshot(
  deps: { migration: MigrationAwsPort; ec2: Ec2Port; clock: Clock },
  opts: { lineage: string; snapshotId: string; kmsKeyId?: string; pollMs: number; io: Io; quiet: boolean },
): Promise<string> {
  const id = await deps.migration.copySnapshot(
    opts.snapshotId,
    { lineage: opts.lineage, kind: 'seed', source: opts.snapshotId },
    { ...(opts.kmsKeyId ? { kmsKeyId: opts.kmsKeyId } : {}), description: `jenkins-ecs seed of lineage ${opts.lineage} (copy of ${opts.snapshotId})` },
  );
  for (;;) {
    const s = await deps.ec2.describeSnapshot(id);
    if (s?.state === 'completed') return id;
    if (s?.state === 'error') throw new CliError(`the copy ${id} of ${opts.snapshotId} ended in error; nothing entered the lineage`, EXIT.aws);
    if (!opts.quiet) opts.io.progress(`copy ${id} ${progressBar(parseProgress(s?.progress))}`);
    await deps.clock.sleep(opts.pollMs);
  }
}
