/**
 * The handover inside `cdk deploy` (issue 12): what the `LaunchSnapshot` custom resource
 * (Provider framework, async completion) does when a deploy would replace the controller task.
 *
 * - `onEvent`, an Update in which a task-replacing property changed (the task definition, the
 *   volume settings), with a live service: begin the handover (one conditional write) and hand its
 *   id, `begunAt` and starter on to `isComplete` (the framework merges onEvent's answer into the
 *   event isComplete receives: aws-cdk-lib custom-resources provider-framework/runtime/framework.js,
 *   `createResponseEvent`; each retry of isComplete gets that same event again).
 * - every `isComplete` poll: drive the handover until its budget ends; `waiting` → not complete;
 *   `done` → the record's `launch` is the final snapshot, which the resource's launch decision
 *   (src/continuity/launch.ts: service exists → `launch`) then returns, and CloudFormation's
 *   service update (DesiredCount 1 in the template) starts the one task from it.
 * - Delete (a rollback of the resource, or teardown) with this resource's handover in progress:
 *   finish it with the service as the starter, so nothing is left at desiredCount 0.
 * - Create, an Update whose task-replacing properties did not change (a deploy that does not
 *   replace the task), or no service: nothing to hand over.
 *
 * A timed-out provider, a failed update or a rollback leaves the operation in the record; the next
 * poll, the next deploy, or `jenkins-ecs restart` (which resumes any handover) finishes it.
 */
import { commit } from './commit.js';
import { driveHandover, HandoverError, over, type HandoverConfig, type HandoverDeps, type HandoverResult } from './handover.js';
import type { DeploymentVolume, ServiceState } from './model.js';
import { claimLaunch, endOperation } from './transitions.js';

export interface DeployEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResourceProperties: Readonly<Record<string, unknown>>;
  readonly OldResourceProperties?: Readonly<Record<string, unknown>>;
  /** What onEvent answered (merged into the event by the Provider framework). */
  readonly Data?: Readonly<Record<string, unknown>>;
}

/** Who starts the one new task once the handover stopped the old one. */
export type DeployStarter = HandoverConfig['starter'];

/** What onEvent adds to its answer when it began (or resumed) a handover. */
export type HandoverData = {
  readonly HandoverId: string;
  readonly HandoverBegunAt: string;
  readonly HandoverStarter: DeployStarter;
};

/** Which of the resource's properties replace the task when they change, and what each holds. */
export interface TaskProperties {
  /** Property keys whose change makes CloudFormation replace the controller task (task definition, volume settings). */
  readonly replacing: readonly string[];
  /** The key holding the task definition ARN (one of `replacing`). */
  readonly taskDefinition: string;
  /** The key holding the static ManagedEBSVolume settings, CloudFormation's keys (one of `replacing`). */
  readonly volume: string;
  /** The key holding the initialization rate in MiB/s (one of `replacing`). */
  readonly initializationRate: string;
}

/** CloudFormation's ManagedEBSVolume keys and the DescribeServices field each becomes. */
const VOLUME_FIELDS: readonly (readonly [string, keyof DeploymentVolume])[] = [
  ['SizeInGiB', 'sizeInGiB'],
  ['VolumeType', 'volumeType'],
  ['Iops', 'iops'],
  ['Throughput', 'throughput'],
  ['FilesystemType', 'filesystemType'],
];

/** The deployment's volume has exactly the settings these properties ask for (CloudFormation hands numbers over as strings). */
export function volumeMatches(volume: DeploymentVolume, props: Readonly<Record<string, unknown>> | undefined, keys: TaskProperties): boolean {
  if (props === undefined) return false;
  const asked = (props[keys.volume] ?? {}) as Readonly<Record<string, unknown>>;
  const same = (a: unknown, b: unknown): boolean => (a === undefined || a === null ? b === undefined : b !== undefined && String(a) === String(b));
  return VOLUME_FIELDS.every(([cfn, ecs]) => same(asked[cfn], volume[ecs])) && same(props[keys.initializationRate], volume.volumeInitializationRate);
}

const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  ) ?? 'undefined';

/**
 * The deploy replaces the controller task: an Update in which one of the task-replacing
 * properties changed. Any other property (the service token, the seed, the names) does not count:
 * a seed only matters before the lineage has a head, and it never changes the running task.
 */
export function replacesTask(event: Pick<DeployEvent, 'RequestType' | 'ResourceProperties' | 'OldResourceProperties'>, keys: TaskProperties): boolean {
  if (event.RequestType !== 'Update' || event.OldResourceProperties === undefined) return false;
  const old = event.OldResourceProperties;
  return keys.replacing.some((k) => canonical(event.ResourceProperties[k]) !== canonical(old[k]));
}

/**
 * Who starts the new task. CloudFormation does when it will update the service after this
 * resource, with the template's DesiredCount: a forward deploy, whose service still runs the
 * task definition of the old properties. When the service already runs the task definition this
 * request asks for, CloudFormation will not touch the service (a rollback after the service was
 * rolled back or was never updated): then the service must be the starter, or it would stay at
 * desiredCount 0. A deploy that changes only the volume settings is told apart the same way by
 * the PRIMARY deployment's volume settings (size, type, IOPS, throughput, filesystem,
 * initialization rate); when they match neither side it counts as forward.
 */
export function deployStarter(event: Pick<DeployEvent, 'ResourceProperties' | 'OldResourceProperties'>, service: ServiceState, keys: TaskProperties): DeployStarter {
  const wanted = event.ResourceProperties[keys.taskDefinition];
  const before = event.OldResourceProperties?.[keys.taskDefinition];
  const primary = service.deployments.find((d) => d.status === 'PRIMARY');
  if (wanted === before) {
    // Only the volume settings changed: the service already runs the requested ones and not the
    // old ones (the rollback of a volume change), or it is a forward deploy.
    const v = primary?.volume;
    return v !== undefined && volumeMatches(v, event.ResourceProperties, keys) && !volumeMatches(v, event.OldResourceProperties, keys) ? 'service' : 'cloudformation';
  }
  return primary?.taskDefinition !== undefined && primary.taskDefinition === wanted ? 'service' : 'cloudformation';
}

/**
 * onEvent: begin the handover when the deploy replaces the task of a live service. Returns the
 * Data to merge, or nothing. A handover found in progress under another id (one an earlier
 * request or a `restart` left) is resumed, with the starter {@link deployStarter} tells for this
 * request: CloudFormation on a forward deploy (it updates the service after this resource), the
 * service when CloudFormation will not touch it again.
 */
export async function beginDeployHandover(
  deps: HandoverDeps,
  cfg: Omit<HandoverConfig, 'starter'>,
  event: DeployEvent,
  id: string,
  keys: TaskProperties,
): Promise<HandoverData | undefined> {
  if (!replacesTask(event, keys)) return undefined;
  const service = await deps.ecs.describeService(cfg.cluster, cfg.service);
  if (service === undefined) return undefined;
  const starter = deployStarter(event, service, keys);
  if (starter === 'service' && (await deps.record.read(cfg.lineage))?.operation?.kind !== 'handover') {
    // The service already runs what this request asks for (the rollback of an update that failed
    // before any handover began, or before the service was touched), and no handover is left to
    // finish: CloudFormation will not replace the task, so there is nothing to hand over. Beginning
    // one would stop and start Jenkins for nothing.
    deps.log({ level: 'info', msg: 'no handover for this deploy: the service already runs the requested task', lineage: cfg.lineage });
    return undefined;
  }
  // A budget already over: only the begin write happens here; isComplete drives the rest.
  let res: HandoverResult;
  try {
    res = await driveHandover(deps, { ...cfg, starter }, { id, until: deps.clock.now() });
  } catch (e) {
    // Nothing to hand over (no head yet: the first task has not snapshotted) or refused (a restore
    // in progress). The deploy must not fail for it: a failed update rolls back, and the rollback
    // would be refused the same way and leave the stack in UPDATE_ROLLBACK_FAILED. The deploy then
    // replaces the task without a handover (two starts at worst; the gate keeps it safe).
    if (!(e instanceof HandoverError)) throw e;
    deps.log({ level: 'warn', msg: 'no handover for this deploy', lineage: cfg.lineage, code: e.code, reason: e.message });
    return undefined;
  }
  // A handover an earlier request (or `jenkins-ecs restart`) left is resumed with the starter this
  // request calls for: on a forward deploy CloudFormation updates the service right after this
  // resource whoever began the handover, so a start by the handover too would be a second start.
  // Recorded, so that a `restart` still driving it stands back.
  // (No write when the handover is already over: claimLaunch leaves another operation, or none, as it is.)
  await commit(deps.record, cfg.lineage, (r) => (r === undefined ? { ok: false, code: 'nothing-to-do', reason: 'no record' } : claimLaunch(r, res.id, starter)), { clock: deps.clock });
  return { HandoverId: res.id, HandoverBegunAt: String(res.begunAt), HandoverStarter: starter };
}

/**
 * isComplete: drive the handover onEvent began (if any) for up to `budgetMs`. True when there is
 * nothing (left) to hand over and the resource's launch decision may run.
 */
export async function pollDeployHandover(
  deps: HandoverDeps,
  cfg: Omit<HandoverConfig, 'starter'>,
  event: DeployEvent,
  budgetMs: number,
): Promise<{ readonly complete: boolean; readonly result?: HandoverResult }> {
  const until = new Date(deps.clock.now().getTime() + budgetMs);
  if (event.RequestType === 'Delete') {
    // The resource goes away (a rollback of its create, or teardown): a handover left in progress
    // is finished with the service as the starter, so the service is not left at desiredCount 0.
    // With the service already gone (teardown deletes it first) there is nothing to start: the
    // operation is ended, so a later stack under the same name finds the lineage free.
    const op = (await deps.record.read(cfg.lineage))?.operation;
    if (op?.kind !== 'handover') return { complete: true };
    if ((await deps.ecs.describeService(cfg.cluster, cfg.service)) === undefined) {
      await commit(deps.record, cfg.lineage, (r) => (r === undefined ? { ok: false, code: 'nothing-to-do', reason: `${cfg.lineage} has no record` } : endOperation(r, op.id)), { clock: deps.clock });
      deps.log({ level: 'info', msg: 'handover ended: the service is gone', lineage: cfg.lineage, operation: op.id });
      return { complete: true };
    }
    // CloudFormation will not update the service again: this Delete starts the task (a forward
    // deploy's claim in the record would otherwise make it stand back).
    await commit(deps.record, cfg.lineage, (r) => (r === undefined ? { ok: false, code: 'nothing-to-do', reason: 'no record' } : claimLaunch(r, op.id, 'service')), { clock: deps.clock });
    const result = await driveHandover(deps, { ...cfg, starter: 'service' }, { id: op.id, until });
    return { complete: result.state === 'done', result };
  }
  const data = handoverData(event.Data);
  if (data === undefined) return { complete: true };
  const run = { id: data.HandoverId, begunAt: Number(data.HandoverBegunAt) };
  try {
    const result = await driveHandover(deps, { ...cfg, starter: data.HandoverStarter }, { ...run, resume: false, until });
    return { complete: result.state === 'done', result };
  } catch (e) {
    // Two isComplete invocations with the same Data (Lambda delivers an async invocation at least
    // once, or CloudFormation's own timeout overlaps the waiter): the other one finished the
    // handover under this one's feet. That is completion, not a failure that would roll back.
    if (e instanceof HandoverError && e.code === 'refused' && over(await deps.record.read(cfg.lineage), run)) return { complete: true };
    throw e;
  }
}

/** The handover fields of onEvent's Data, or undefined when onEvent began none. */
export function handoverData(data: Readonly<Record<string, unknown>> | undefined): HandoverData | undefined {
  const id = data?.HandoverId;
  const begunAt = data?.HandoverBegunAt;
  if (typeof id !== 'string' || typeof begunAt !== 'string' || !Number.isFinite(Number(begunAt))) return undefined;
  return { HandoverId: id, HandoverBegunAt: begunAt, HandoverStarter: data?.HandoverStarter === 'service' ? 'service' : 'cloudformation' };
}
