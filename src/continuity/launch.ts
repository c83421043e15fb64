/**
 * Deploy time: which snapshot the controller service launches its home from
 * (docs/design/lineage-record.md, "Deploy time"). The `LaunchSnapshot` custom resource
 * (src/launch/handler.ts) reads the record and the service, and this decides:
 * - the service exists and the record names a `launch`: that launch, so a deploy that replaces
 *   the task definition keeps the snapshot the reconciler (or a restore) last rolled to;
 * - no service yet (first create, a retried create, a re-create after teardown), or no `launch`
 *   recorded: the head once it has completed (wait while it is pending; a head in `error` or not
 *   found waits too, until someone drops it from the record), else the seed, else no snapshot
 *   (an empty home).
 * Pure: no SDK, no CDK.
 */
import { RECORD_FORMAT, type LineageRecord } from './record.js';
import type { SnapshotState } from './model.js';

/** What the deploy-time read found. */
export interface LaunchInputs {
  /** The lineage record (consistent read); undefined when the lineage has none yet. */
  readonly record?: LineageRecord;
  /** Whether the controller service exists and is not INACTIVE. */
  readonly serviceExists: boolean;
  /** `controller.home.seedSnapshotId`. */
  readonly seedSnapshotId?: string;
  /**
   * State of the head snapshot read by id, when the decision needs it (see {@link launchPlan}):
   * `missing` when DescribeSnapshots does not know the id.
   */
  readonly headState?: SnapshotState | 'missing';
}

export type LaunchSource = 'launch' | 'head' | 'seed' | 'empty';

/** The outcome: launch from `snapshotId` (or from nothing), or wait and ask again. */
export type LaunchDecision =
  | { readonly kind: 'ready'; readonly source: LaunchSource; readonly snapshotId?: string; readonly reason: string }
  | { readonly kind: 'wait'; readonly snapshotId: string; readonly reason: string };

/** Refused input: a record written by a newer version than this one. */
export class LaunchRefusal extends Error {
  public override readonly name = 'LaunchRefusal';
}

/**
 * The first step: which snapshot would be used, before any snapshot state is known. `head` means
 * the head must be read by id (its state decides between launching and waiting).
 */
export function launchPlan(inputs: Omit<LaunchInputs, 'headState'>): { readonly source: LaunchSource; readonly snapshotId?: string } {
  const { record } = inputs;
  if (record && record.format > RECORD_FORMAT) {
    throw new LaunchRefusal(
      `the lineage record of ${record.lineage} has format ${record.format}, newer than this version's ${RECORD_FORMAT}; deploy with the jenkins-ecs version that wrote it`,
    );
  }
  if (inputs.serviceExists && record?.launch) return { source: 'launch', snapshotId: record.launch };
  if (record?.head) return { source: 'head', snapshotId: record.head.snapshotId };
  if (inputs.seedSnapshotId) return { source: 'seed', snapshotId: inputs.seedSnapshotId };
  return { source: 'empty' };
}

export function decideLaunch(inputs: LaunchInputs): LaunchDecision {
  const plan = launchPlan(inputs);
  const lineage = inputs.record?.lineage ?? '(no record)';
  switch (plan.source) {
    case 'launch':
      return { kind: 'ready', source: 'launch', snapshotId: plan.snapshotId, reason: `the service exists; launch stays ${plan.snapshotId}` };
    case 'seed':
      return { kind: 'ready', source: 'seed', snapshotId: plan.snapshotId, reason: `lineage ${lineage} has no head; starting from the seed` };
    case 'empty':
      return { kind: 'ready', source: 'empty', reason: `lineage ${lineage} has no head and no seed is configured; starting with an empty home` };
    case 'head': {
      const id = plan.snapshotId as string;
      if (inputs.headState === 'completed') return { kind: 'ready', source: 'head', snapshotId: id, reason: `the head ${id} has completed` };
      // Only a completed snapshot makes a volume (docs/aws-facts.md: "IncorrectState ... pending").
      // A head in error or gone stays the head until someone drops it (drop-failed), so wait for
      // the record to change rather than start from something older on our own.
      const state = inputs.headState ?? 'unknown';
      return { kind: 'wait', snapshotId: id, reason: `the head ${id} is ${state}; waiting until it completes or the record moves on` };
    }
  }
}

/**
 * The service's `ManagedEBSVolume` for a decision: the static settings with `SnapshotId` set
 * from the decision, and `VolumeInitializationRate` only together with a snapshot (ECS refuses a
 * rate without one). Keys are CloudFormation's (PascalCase). The static settings arrive as custom
 * resource properties, which CloudFormation hands over as strings: numbers and booleans are
 * turned back into their types here.
 */
export function launchVolume(
  staticVolume: Readonly<Record<string, unknown>>,
  decision: Extract<LaunchDecision, { kind: 'ready' }>,
  initializationRateMiBps?: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(staticVolume)) {
    if (key === 'SnapshotId' || key === 'VolumeInitializationRate') continue;
    out[key] = NUMERIC_KEYS.has(key) ? toNumber(key, value) : key === 'Encrypted' ? value === true || value === 'true' : value;
  }
  if (decision.snapshotId !== undefined) {
    out.SnapshotId = decision.snapshotId;
    if (initializationRateMiBps !== undefined) out.VolumeInitializationRate = initializationRateMiBps;
  }
  return out;
}

const NUMERIC_KEYS = new Set(['SizeInGiB', 'Iops', 'Throughput']);

function toNumber(key: string, value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) throw new TypeError(`ManagedEBSVolume.${key} is ${JSON.stringify(value)}, not a number`);
  return n;
}
