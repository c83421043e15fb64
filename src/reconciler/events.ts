/** The EventBridge events that trigger the reconciler, reduced to what it needs to know. */

export type Trigger =
  | { readonly kind: 'snapshot'; readonly snapshotId?: string; readonly result: string; readonly volume?: string }
  | { readonly kind: 'task'; readonly taskArn?: string; readonly group?: string; readonly lastStatus?: string }
  | { readonly kind: 'schedule' }
  | { readonly kind: 'other'; readonly detailType: string };

interface RawEvent {
  'detail-type'?: unknown;
  source?: unknown;
  resources?: unknown;
  detail?: Record<string, unknown>;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** `arn:aws:ec2:<region>::snapshot/snap-…` → `snap-…`. */
export function snapshotIdOfArn(arn: string | undefined): string | undefined {
  const m = arn ? /snapshot\/(snap-[0-9a-zA-Z]+)$/.exec(arn) : null;
  return m?.[1];
}

/**
 * "EBS Snapshot Notification" carries no tags (see docs/aws-notes.md), so the handler looks the
 * snapshot up; "ECS Task State Change" names the service in `detail.group` (`service:<name>`).
 */
export function parseTrigger(event: unknown): Trigger {
  const e = (typeof event === 'object' && event !== null ? event : {}) as RawEvent;
  const detailType = str(e['detail-type']) ?? '';
  const detail = e.detail ?? {};
  if (detailType === 'EBS Snapshot Notification') {
    const resources = Array.isArray(e.resources) ? (e.resources as unknown[]) : [];
    const snapshotId = snapshotIdOfArn(str(resources[0])) ?? snapshotIdOfArn(str(detail.snapshot_id));
    const volume = str(detail.source);
    return {
      kind: 'snapshot',
      result: str(detail.result) ?? 'unknown',
      ...(snapshotId ? { snapshotId } : {}),
      ...(volume ? { volume } : {}),
    };
  }
  if (detailType === 'ECS Task State Change') {
    const taskArn = str(detail.taskArn);
    const group = str(detail.group);
    const lastStatus = str(detail.lastStatus);
    return { kind: 'task', ...(taskArn ? { taskArn } : {}), ...(group ? { group } : {}), ...(lastStatus ? { lastStatus } : {}) };
  }
  if (detailType === 'Scheduled Event') return { kind: 'schedule' };
  return { kind: 'other', detailType };
}
