/**
 * `jenkins-ecs status [--name N] [--config F] [--region R] [--interval MIN] [--json]`
 * One screen of what an operator needs: service and deployments, the running task, and from the
 * lineage record the holder, the head, the launch snapshot and any operation in progress; snapshot
 * ages, and warnings in plain words.
 */
import { DEFAULTS } from '../../config/defaults.js';
import { liveHolders, primaryDeployment } from '../../continuity/decisions.js';
import type { Deployment as EcsDeployment, Snapshot, Volume } from '../../continuity/model.js';
import type { Operation } from '../../continuity/record.js';
import { resumeCommand } from '../../continuity/restore.js';
import { orphanedHandoff, validHandoff } from '../../continuity/transitions.js';
import {
  awsFor,
  COMMON_OPTIONS,
  parseCommandArgs,
  readRecord,
  resolveDeployment,
  withAwsErrors,
  type AwsCommandContext,
  type CliAws,
  type Deployment,
  type ServiceTask,
} from '../aws-context.js';
import { CliError, EXIT } from '../errors.js';
import { formatAge, formatTable, shortArn } from '../format.js';

/** Used when neither `--interval` nor the config gives `controller.snapshots.intervalMinutes`. */
export const DEFAULT_INTERVAL_MINUTES = DEFAULTS.intervalMinutes;

export interface StatusWarning {
  /** Stable code for scripts: `stale-start`, `no-recent-snapshot`, `launch-behind-head`, `operation-interrupted`, ... */
  readonly code: string;
  readonly message: string;
}

export interface StatusReport {
  readonly deployment: { name: string; cluster: string; service: string; lineage: string; recordTable: string };
  readonly service: {
    desiredCount: number;
    runningCount: number;
    pendingCount?: number;
    deployments: readonly { id: string; status: string; rolloutState?: string; snapshotId?: string; createdAt: string }[];
  };
  readonly tasks: readonly { arn: string; lastStatus: string; startedAt?: string; volumeId?: string; volumeSource?: string }[];
  /** The record's holder (its volume as EC2 describes it); `live` = in-use. */
  readonly holders: readonly { volumeId: string; state: string; source?: string; createTime: string; live: boolean }[];
  readonly head?: { id: string; kind?: string; state: string; effectiveTime: string; ageSeconds: number };
  /** `record.launch`: what a deploy hands the service. */
  readonly launch?: string;
  /** The record's seq (every write advances it by one). */
  readonly seq?: number;
  readonly operation?: Operation;
  readonly primarySnapshotId?: string;
  readonly primaryMatchesHead?: boolean;
  readonly primaryMatchesLaunch?: boolean;
  readonly launchMatchesHead?: boolean;
  readonly lastPeriodic?: { id: string; time: string; ageSeconds: number };
  readonly lastFinal?: { id: string; time: string; ageSeconds: number };
  readonly intervalMinutes: number;
  /** The record's handoff while it stands (docs/protocol.md, section 3a). */
  readonly handoff?: { base: string; final: string; key: string; bytes: number; orphaned: boolean };
  readonly warnings: readonly StatusWarning[];
}

const OPTIONS = { ...COMMON_OPTIONS, interval: { type: 'string' } } as const;

export async function run(args: readonly string[], ctx: AwsCommandContext): Promise<number> {
  const { values } = parseCommandArgs('status', args, OPTIONS);
  const deployment = resolveDeployment(values, ctx);
  const intervalMinutes = parseInterval(values.interval) ?? deployment.intervalMinutes ?? DEFAULT_INTERVAL_MINUTES;
  const report = await withAwsErrors(deployment, async () => {
    const aws = await awsFor(ctx, deployment);
    return collectStatus(aws, deployment, intervalMinutes, ctx.now());
  });
  if (values.json) ctx.io.out(JSON.stringify(report, null, 2));
  else for (const line of renderStatus(report, ctx.now())) ctx.io.out(line);
  return EXIT.ok;
}

function parseInterval(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new CliError(`invalid --interval '${value}': expected whole minutes, e.g. 15`, EXIT.usage);
  }
  return n;
}

const ageSeconds = (t: Date, now: Date): number => Math.max(0, Math.round((now.getTime() - t.getTime()) / 1000));

function newestOfKind(lineage: readonly Snapshot[], kind: Snapshot['kind']): Snapshot | undefined {
  return lineage
    .filter((s) => s.kind === kind && s.state !== 'error')
    .reduce<Snapshot | undefined>((best, s) => (!best || s.startTime > best.startTime ? s : best), undefined);
}

export async function collectStatus(aws: CliAws, deployment: Deployment, intervalMinutes: number, now: Date): Promise<StatusReport> {
  const { names } = deployment;
  const [service, lineage, record, tasks] = await Promise.all([
    aws.ecs.describeService(names.cluster, names.service),
    aws.ec2.listLineage(names.lineage),
    // No record (or no record table): the service check below then says what is missing.
    readRecord(aws, names.lineage),
    aws.tasks.listServiceTasks(names.cluster, names.service),
  ]);
  if (!service) {
    throw new CliError(
      `deployment '${deployment.name}' not found: no active service '${names.service}' in cluster '${names.cluster}'`,
      EXIT.notFound,
    );
  }

  // The head and the holder come from the record; their state is read by id, never from a listing.
  const headRead = record?.head ? await aws.ec2.describeSnapshot(record.head.snapshotId) : undefined;
  const head: Snapshot | undefined = headRead && { ...headRead, kind: record!.head!.kind };
  const holderVolume = record?.holder ? await aws.ec2.describeVolume(record.holder.volumeId) : undefined;
  const holderVolumes: Volume[] = holderVolume ? [{ ...holderVolume, holder: names.lineage }] : [];
  const live = liveHolders(names.lineage, holderVolumes);
  const launch = record?.launch;
  const liveTasks = tasks.filter((t) => t.lastStatus !== 'STOPPED' && t.desiredStatus !== 'STOPPED');
  const volumes = await describeTaskVolumes(aws, liveTasks, holderVolumes);
  const primary = primaryDeployment(service);
  const primarySnapshotId = primary?.snapshotId;

  const standing = record ? validHandoff(record) : undefined;
  const handoff = standing && { base: standing.base, final: standing.final, key: standing.delta.key, bytes: standing.delta.bytes, orphaned: orphanedHandoff(record!) };
  const warnings = computeWarnings({
    head,
    ...(handoff ? { handoff } : {}),
    lineage,
    liveHolders: live,
    liveTasks,
    volumes,
    launch,
    ...(record?.operation ? { operation: record.operation } : {}),
    deploymentName: deployment.name,
    primary,
    desiredCount: service.desiredCount,
    intervalMinutes,
    now,
  });

  const stamp = (s: Snapshot | undefined) =>
    s && { id: s.id, time: s.startTime.toISOString(), ageSeconds: ageSeconds(s.startTime, now) };

  return {
    deployment: {
      name: deployment.name,
      cluster: names.cluster,
      service: names.service,
      lineage: names.lineage,
      recordTable: names.recordTable,
    },
    service: {
      desiredCount: service.desiredCount,
      runningCount: service.runningCount,
      pendingCount: service.pendingCount,
      deployments: service.deployments.map((d) => ({
        id: d.id,
        status: d.status,
        rolloutState: d.rolloutState,
        snapshotId: d.snapshotId,
        createdAt: d.createdAt.toISOString(),
      })),
    },
    tasks: liveTasks.map((t) => ({
      arn: t.arn,
      lastStatus: t.lastStatus,
      startedAt: t.startedAt?.toISOString(),
      volumeId: t.volumeId,
      volumeSource: t.volumeId ? volumes.get(t.volumeId)?.snapshotId : undefined,
    })),
    holders: holderVolumes.map((v) => ({
      volumeId: v.id,
      state: v.state,
      source: v.snapshotId,
      createTime: v.createTime.toISOString(),
      live: v.state === 'in-use',
    })),
    head: head && {
      id: head.id,
      kind: head.kind,
      state: head.state,
      effectiveTime: head.startTime.toISOString(),
      ageSeconds: ageSeconds(head.startTime, now),
    },
    launch,
    ...(record ? { seq: record.seq } : {}),
    ...(record?.operation ? { operation: record.operation } : {}),
    primarySnapshotId,
    primaryMatchesHead: head && primarySnapshotId !== undefined ? primarySnapshotId === head.id : undefined,
    primaryMatchesLaunch: launch !== undefined && primarySnapshotId !== undefined ? primarySnapshotId === launch : undefined,
    launchMatchesHead: head ? launch === head.id : undefined,
    lastPeriodic: stamp(newestOfKind(lineage, 'periodic')),
    lastFinal: stamp(newestOfKind(lineage, 'final')),
    intervalMinutes,
    ...(handoff ? { handoff } : {}),
    warnings,
  };
}

/** The volumes of running tasks (from their EBS attachment), for their `source` snapshot. */
async function describeTaskVolumes(aws: CliAws, tasks: readonly ServiceTask[], holders: readonly Volume[]): Promise<Map<string, Volume>> {
  const out = new Map<string, Volume>(holders.map((v) => [v.id, v]));
  const ids = tasks.map((t) => t.volumeId).filter((id): id is string => id !== undefined && !out.has(id));
  const found = await Promise.all(ids.map((id) => aws.ec2.describeVolume(id)));
  for (const v of found) if (v) out.set(v.id, v);
  return out;
}

interface WarningInput {
  readonly head?: Snapshot;
  /** A standing handoff: a volume built from its base (with the delta) is the head's home. */
  readonly handoff?: { readonly base: string; readonly final: string; readonly key: string; readonly orphaned: boolean };
  readonly lineage: readonly Snapshot[];
  readonly liveHolders: readonly Volume[];
  readonly liveTasks: readonly ServiceTask[];
  readonly volumes: ReadonlyMap<string, Volume>;
  /** `record.launch`. */
  readonly launch?: string;
  readonly operation?: Operation;
  readonly deploymentName?: string;
  readonly primary?: EcsDeployment;
  readonly desiredCount: number;
  readonly intervalMinutes: number;
  readonly now: Date;
}

export function computeWarnings(w: WarningInput): StatusWarning[] {
  const out: StatusWarning[] = [];
  const { head } = w;
  const holderIds = new Set(w.liveHolders.map((v) => v.id));

  // An operation still in the record did not finish: say so, and how to finish it.
  if (w.operation !== undefined) {
    const op = w.operation;
    const resume =
      op.kind === 'restore'
        ? `; resume it with '${resumeCommand(op.target, w.deploymentName ?? '<name>')}'`
        : op.kind === 'migrate'
          ? `; if no migrate runs, resume it with the same 'jenkins-ecs migrate' command plus --resume ${op.id}`
          : '';
    out.push({
      code: 'operation-interrupted',
      message: `a ${op.kind} (${op.id}${op.target ? `, to ${op.target}` : ''}) is in progress or was interrupted at step '${op.step ?? 'begun'}'; no Jenkins can start until it ends (desired count ${w.desiredCount})${resume}`,
    });
  }

  if (w.liveHolders.length > 1) {
    out.push({
      code: 'several-holders',
      message: `${w.liveHolders.length} in-use volumes hold the lineage (${w.liveHolders.map((v) => v.id).join(', ')}); only one Jenkins may own the home: find and stop the extra task`,
    });
  }

  // Stale start: a task is up on a volume that is not the holder and was not built from the head.
  // Its keeper keeps Jenkins at the gate until the reconciler rolls the service to the head.
  if (head) {
    for (const t of w.liveTasks) {
      const volume = t.volumeId ? w.volumes.get(t.volumeId) : undefined;
      if (!volume || holderIds.has(volume.id)) continue;
      // A task from the handoff's base applies the delta before it acquires: not stale.
      if (volume.snapshotId !== head.id && volume.snapshotId !== w.handoff?.base) {
        out.push({
          code: 'stale-start',
          message: `stale start: task ${shortArn(t.arn)} runs on volume ${volume.id} built from ${volume.snapshotId ?? 'no snapshot'}, not the head ${head.id}; its keeper holds Jenkins at the gate until the service is rolled to the head`,
        });
      }
    }
    // Without the EBS attachment (not reported yet), fall back to the deployment the tasks came from.
    const unknownVolume = w.liveTasks.some((t) => !t.volumeId);
    if (unknownVolume && w.liveHolders.length === 0 && w.primary?.snapshotId !== undefined && w.primary.snapshotId !== head.id && w.primary.snapshotId !== w.handoff?.base) {
      out.push({
        code: 'stale-start',
        message: `stale start likely: a task is up with no holder, and the service launches from ${w.primary.snapshotId}, not the head ${head.id}; it will wait at the gate until the service is rolled to the head`,
      });
    }
  }

  const newest = w.lineage
    .filter((s) => s.state !== 'error')
    .reduce<Date | undefined>((t, s) => (!t || s.startTime > t ? s.startTime : t), undefined);
  const limitMs = 2 * w.intervalMinutes * 60_000;
  if (w.desiredCount > 0 && w.liveHolders.length > 0 && (!newest || w.now.getTime() - newest.getTime() > limitMs)) {
    out.push({
      code: 'no-recent-snapshot',
      message: newest
        ? `no snapshot for more than 2 x ${w.intervalMinutes} min while Jenkins runs (newest taken ${formatAge(newest, w.now)}): a crash now would lose everything since; check the keeper container's log`
        : `Jenkins runs but the lineage has no snapshot yet (interval ${w.intervalMinutes} min); check the keeper container's log`,
    });
  }

  const latest = [...w.lineage].sort((a, b) => b.startTime.getTime() - a.startTime.getTime())[0];
  if (latest?.state === 'error') {
    out.push({
      code: 'snapshot-failed',
      message: `the newest snapshot ${latest.id} (${latest.kind ?? 'unknown kind'}) ended in error; the head is the one before it`,
    });
  }

  if (w.handoff?.orphaned === true && w.liveHolders.length === 0) {
    out.push({
      code: 'handoff-orphaned',
      message: `the final snapshot ${w.handoff.final} of the last handover failed: the newest home is ${w.handoff.base} plus delta ${w.handoff.key} in the handoff bucket, which expires objects after 7 days; start the controller before then (desired count ${w.desiredCount}), or the writes in that delta are lost`,
    });
  }

  if (head && w.liveHolders.length === 0 && w.operation === undefined && w.launch !== head.id && w.launch !== w.handoff?.base) {
    out.push({
      code: 'launch-behind-head',
      message:
        head.state === 'pending'
          ? `launch snapshot ${w.launch ?? '(none)'} is behind the head ${head.id}, which is still pending; the reconciler rolls once it completes`
          : `launch snapshot ${w.launch ?? '(none)'} is behind the head ${head.id} and no Jenkins holds the home: the next start is stale until the reconciler rolls (check its log)`,
    });
  }
  return out;
}

export function renderStatus(r: StatusReport, now: Date): string[] {
  const lines: string[] = [];
  const at = (iso: string | undefined) => (iso ? formatAge(new Date(iso), now) : '-');
  const same = (flag: boolean | undefined, what: string) => (flag === undefined ? '' : flag ? ` (= ${what})` : ` (differs from ${what})`);

  lines.push(`Deployment  ${r.deployment.name}: cluster ${r.deployment.cluster}, service ${r.deployment.service}`);
  lines.push(
    `Service     desired ${r.service.desiredCount}, running ${r.service.runningCount}${r.service.pendingCount ? `, pending ${r.service.pendingCount}` : ''}`,
  );
  if (r.service.deployments.length > 0) {
    const rows = r.service.deployments.map((d) => [d.id, d.status, d.rolloutState ?? '-', d.snapshotId ?? '-', at(d.createdAt)]);
    for (const l of formatTable(['DEPLOYMENT', 'STATUS', 'ROLLOUT', 'SNAPSHOT', 'CREATED'], rows)) lines.push(`  ${l}`);
  }
  if (r.tasks.length === 0) lines.push('Task        none running');
  for (const t of r.tasks) {
    const vol = t.volumeId ? `volume ${t.volumeId}${t.volumeSource ? ` from ${t.volumeSource}` : ''}` : 'volume not reported yet';
    lines.push(`Task        ${shortArn(t.arn)} ${t.lastStatus}${t.startedAt ? ` since ${at(t.startedAt)}` : ''}, ${vol}`);
  }
  const live = r.holders.filter((h) => h.live);
  if (live.length === 0) lines.push('Holder      none (no Jenkins owns the home right now)');
  for (const h of live) lines.push(`Holder      ${h.volumeId} in-use, built from ${h.source ?? 'no snapshot (bootstrap)'}`);
  lines.push(
    r.head
      ? `Head        ${r.head.id} ${r.head.kind ?? 'unknown kind'}, ${r.head.state}, ${at(r.head.effectiveTime)}`
      : 'Head        none (the lineage is empty)',
  );
  lines.push(`Launch      ${r.launch ?? '(none)'}${same(r.launchMatchesHead, 'head')}`);
  if (r.handoff) lines.push(`Handoff     ${r.handoff.base} + delta ${r.handoff.key} (${r.handoff.bytes} bytes) for ${r.handoff.final}${r.handoff.orphaned ? ', whose snapshot failed' : ''}`);
  if (r.operation) lines.push(`Operation   ${r.operation.kind} ${r.operation.id}, step '${r.operation.step ?? 'begun'}'${r.operation.target ? `, target ${r.operation.target}` : ''}`);
  lines.push(
    `Primary     ${r.primarySnapshotId ?? '(no snapshotId reported)'}${same(r.primaryMatchesHead, 'head')}${same(r.primaryMatchesLaunch, 'launch')}`,
  );
  lines.push(`Snapshots   last periodic ${r.lastPeriodic ? `${r.lastPeriodic.id} ${at(r.lastPeriodic.time)}` : 'none'}; last final ${r.lastFinal ? `${r.lastFinal.id} ${at(r.lastFinal.time)}` : 'none'}; interval ${r.intervalMinutes} min`);
  if (r.warnings.length === 0) lines.push('Warnings    none');
  else {
    lines.push('Warnings');
    for (const w of r.warnings) lines.push(`  ! ${w.message}`);
  }
  return lines;
}
