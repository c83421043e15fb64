/**
 * `jenkins-ecs snapshots [--name N] [--config F] [--region R] [--json]`
 * The lineage as a table, newest first, with the head marked. Order, membership, kind and head come
 * from the lineage record (record.snapshots, record.head); EC2 adds state, size and progress. A
 * snapshot that carries the lineage tag but is not in the record (not registered yet, or foreign:
 * a copy, AWS Backup, a person) is listed after the members and never marked as the head.
 */
import type { Snapshot } from '../../continuity/model.js';
import type { LineageRecord } from '../../continuity/record.js';
import { awsFor, COMMON_OPTIONS, parseCommandArgs, readRecord, resolveDeployment, withAwsErrors, type AwsCommandContext } from '../aws-context.js';
import { EXIT } from '../errors.js';
import { formatGiB, formatTable, shortArn } from '../format.js';

export interface SnapshotRow {
  readonly id: string;
  readonly kind?: string;
  /** EBS StartTime: the moment the snapshot's data was captured. */
  readonly startTime?: string;
  readonly state: string;
  readonly progress?: string;
  readonly sizeGiB?: number;
  readonly task?: string;
  readonly source?: string;
  /** The record's `seq` of the write that added it; absent for a snapshot outside the record. */
  readonly seq?: number;
  readonly member: boolean;
  readonly head: boolean;
}

function row(s: Snapshot | undefined, fields: { id: string; kind?: string; task?: string; source?: string; seq?: number; member: boolean; head: boolean }): SnapshotRow {
  return {
    id: fields.id,
    kind: fields.kind ?? s?.kind,
    startTime: s?.startTime.toISOString(),
    // A member EC2 no longer reports (deleted by hand, or not listed yet) shows as missing.
    state: s?.state ?? 'missing',
    progress: s?.progress,
    sizeGiB: s?.volumeSizeGiB,
    task: fields.task ?? s?.task,
    source: fields.source ?? s?.source,
    ...(fields.seq !== undefined ? { seq: fields.seq } : {}),
    member: fields.member,
    head: fields.head,
  };
}

/**
 * Members newest first (the record's order: later `seq` is newer, a restore's promotion included),
 * then the listed snapshots outside the record, newest StartTime first.
 */
export function lineageRows(record: LineageRecord | undefined, listed: readonly Snapshot[]): SnapshotRow[] {
  const byId = new Map(listed.map((s) => [s.id, s]));
  const members = [...(record?.snapshots ?? [])].reverse().map((e) =>
    row(byId.get(e.snapshotId), { id: e.snapshotId, kind: e.kind, task: e.task, source: e.source, seq: e.seq, member: true, head: e.snapshotId === record?.head?.snapshotId }),
  );
  const inRecord = new Set(members.map((m) => m.id));
  const others = listed
    .filter((s) => !inRecord.has(s.id))
    .sort((a, b) => b.startTime.getTime() - a.startTime.getTime() || (a.id < b.id ? 1 : -1))
    .map((s) => row(s, { id: s.id, member: false, head: false }));
  return [...members, ...others];
}

export async function run(args: readonly string[], ctx: AwsCommandContext): Promise<number> {
  const { values } = parseCommandArgs('snapshots', args, COMMON_OPTIONS);
  const deployment = resolveDeployment(values, ctx);
  const { lineage } = deployment.names;
  const { record, listed } = await withAwsErrors(deployment, async () => {
    const aws = await awsFor(ctx, deployment);
    const rec = await readRecord(aws, lineage);
    const tagged = await aws.ec2.listLineage(lineage);
    // The listing lags new snapshots: read a member it misses by id.
    const seen = new Set(tagged.map((s) => s.id));
    const missing = (rec?.snapshots ?? []).filter((e) => !seen.has(e.snapshotId));
    const byId = (await Promise.all(missing.map((e) => aws.ec2.describeSnapshot(e.snapshotId)))).filter((s): s is Snapshot => s !== undefined);
    return { record: rec, listed: [...tagged, ...byId] };
  });
  const rows = lineageRows(record, listed);
  if (values.json) {
    ctx.io.out(JSON.stringify({ lineage, seq: record?.seq ?? null, head: record?.head?.snapshotId ?? null, snapshots: rows }, null, 2));
    return EXIT.ok;
  }
  if (rows.length === 0) {
    ctx.io.out(`lineage '${lineage}' has no snapshots yet`);
    return EXIT.ok;
  }
  const table = formatTable(
    ['', 'SNAPSHOT', 'KIND', 'START TIME', 'STATE', 'SIZE', 'TASK', 'SOURCE'],
    rows.map((r) => [
      r.head ? '*' : r.member ? '' : '?',
      r.id,
      r.kind ?? '-',
      r.startTime ?? '-',
      r.state === 'pending' ? `pending ${r.progress ?? ''}`.trim() : r.state,
      formatGiB(r.sizeGiB),
      shortArn(r.task),
      r.source ?? '-',
    ]),
  );
  for (const l of table) ctx.io.out(l);
  const outside = rows.filter((r) => !r.member).length;
  ctx.io.out(
    `* head; ${rows.length - outside} snapshot(s) in lineage '${lineage}'` +
      (outside > 0 ? `; ? ${outside} tagged with the lineage but not in its record (not registered yet, or not taken by jenkins-ecs)` : '') +
      (record === undefined ? `; no lineage record yet (the first keeper or reconciler of this version creates it)` : ''),
  );
  return EXIT.ok;
}
