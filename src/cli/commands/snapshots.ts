/**
 * `jenkins-ecs snapshots [--name N] [--config F] [--region R] [--json]`
 * The lineage as a table, newest first, with the head marked.
 */
import { compareNewestFirst, selectHead } from '../../continuity/decisions.js';
import { effectiveTime, type Snapshot } from '../../continuity/model.js';
import { awsFor, COMMON_OPTIONS, parseCommandArgs, resolveDeployment, withAwsErrors, type AwsCommandContext } from '../aws-context.js';
import { EXIT } from '../errors.js';
import { formatGiB, formatTable, shortArn } from '../format.js';

export interface SnapshotRow {
  readonly id: string;
  readonly kind?: string;
  readonly effectiveTime: string;
  readonly startTime: string;
  readonly promotedAt?: string;
  readonly state: string;
  readonly progress?: string;
  readonly sizeGiB?: number;
  readonly task?: string;
  readonly source?: string;
  readonly head: boolean;
}

/** Newest effective time first, in the same order the head is chosen. */
export function lineageRows(lineage: readonly Snapshot[]): SnapshotRow[] {
  const head = selectHead(lineage);
  return [...lineage]
    .sort(compareNewestFirst)
    .map((s) => ({
      id: s.id,
      kind: s.kind,
      effectiveTime: effectiveTime(s).toISOString(),
      startTime: s.startTime.toISOString(),
      promotedAt: s.promotedAt?.toISOString(),
      state: s.state,
      progress: s.progress,
      sizeGiB: s.volumeSizeGiB,
      task: s.task,
      source: s.source,
      head: s.id === head?.id,
    }));
}

export async function run(args: readonly string[], ctx: AwsCommandContext): Promise<number> {
  const { values } = parseCommandArgs('snapshots', args, COMMON_OPTIONS);
  const deployment = resolveDeployment(values, ctx);
  const lineage = await withAwsErrors(deployment, async () => (await awsFor(ctx, deployment)).ec2.listLineage(deployment.names.lineage));
  const rows = lineageRows(lineage);
  if (values.json) {
    ctx.io.out(JSON.stringify({ lineage: deployment.names.lineage, snapshots: rows }, null, 2));
    return EXIT.ok;
  }
  if (rows.length === 0) {
    ctx.io.out(`lineage '${deployment.names.lineage}' has no snapshots yet`);
    return EXIT.ok;
  }
  const table = formatTable(
    ['', 'SNAPSHOT', 'KIND', 'EFFECTIVE TIME', 'STATE', 'SIZE', 'TASK', 'SOURCE'],
    rows.map((r) => [
      r.head ? '*' : '',
      r.id,
      r.kind ?? '-',
      `${r.effectiveTime}${r.promotedAt ? ' (promoted)' : ''}`,
      r.state === 'pending' ? `pending ${r.progress ?? ''}`.trim() : r.state,
      formatGiB(r.sizeGiB),
      shortArn(r.task),
      r.source ?? '-',
    ]),
  );
  for (const l of table) ctx.io.out(l);
  ctx.io.out(`* head; ${rows.length} snapshot(s) in lineage '${deployment.names.lineage}'`);
  return EXIT.ok;
}
