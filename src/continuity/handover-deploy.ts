/**
 * The handover inside `cdk deploy` (issue 12): what the `LaunchSnapshot` custom resource
 * (Provider framework, async completion) does when a deploy would replace the controller task.
 *
 * - `onEvent`, Update with changed properties and a live service: begin the handover (one
 *   conditional write) and hand its id and `begunAt` on to `isComplete` (the framework merges
 *   onEvent's answer into the event isComplete receives).
 * - every `isComplete` poll: drive the handover until its budget ends; `waiting` → not complete;
 *   `done` → the record's `launch` is the final snapshot, which the resource's launch decision
 *   (src/continuity/launch.ts: service exists → `launch`) then returns, and CloudFormation's
 *   service update (DesiredCount 1 in the template) starts the one task from it.
 * - Delete (a rollback of the resource, or teardown) with this resource's handover in progress:
 *   finish it with the service as the starter, so nothing is left at desiredCount 0.
 * - Create, an Update whose properties did not change (a deploy that does not replace the task),
 *   or no service: nothing to hand over.
 *
 * A timed-out provider, a failed update or a rollback leaves the operation in the record; the next
 * poll, the next deploy, or `jenkins-ecs restart` (which resumes any handover) finishes it.
 */
import { driveHandover, type HandoverConfig, type HandoverDeps, type HandoverResult } from './handover.js';

export interface DeployEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResourceProperties: Readonly<Record<string, unknown>>;
  readonly OldResourceProperties?: Readonly<Record<string, unknown>>;
  /** What onEvent answered (merged into the event by the Provider framework). */
  readonly Data?: Readonly<Record<string, unknown>>;
}

/** What onEvent adds to its answer when it began a handover. */
export interface HandoverData {
  readonly HandoverId: string;
  readonly HandoverBegunAt: string;
}

/**
 * The properties that replace the task changed. The resource's properties are exactly those
 * (task definition revision and the static volume settings), so any difference counts; the
 * service token does not.
 */
export function replacesTask(event: Pick<DeployEvent, 'RequestType' | 'ResourceProperties' | 'OldResourceProperties'>): boolean {
  if (event.RequestType !== 'Update' || event.OldResourceProperties === undefined) return false;
  const strip = (p: Readonly<Record<string, unknown>>): string =>
    JSON.stringify(Object.fromEntries(Object.entries(p).filter(([k]) => k !== 'ServiceToken').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
  return strip(event.ResourceProperties) !== strip(event.OldResourceProperties);
}

/** onEvent: begin the handover when the deploy replaces the task of a live service. Returns the Data to merge, or nothing. */
export async function beginDeployHandover(deps: HandoverDeps, cfg: Omit<HandoverConfig, 'starter'>, event: DeployEvent, id: string): Promise<HandoverData | undefined> {
  if (!replacesTask(event)) return undefined;
  if ((await deps.ecs.describeService(cfg.cluster, cfg.service)) === undefined) return undefined;
  // A budget already over: only the begin write happens here; isComplete drives the rest.
  const res = await driveHandover(deps, { ...cfg, starter: 'cloudformation' }, { id, until: deps.clock.now() });
  return { HandoverId: res.id, HandoverBegunAt: String(res.begunAt) };
}

/**
 * isComplete: drive the handover onEvent began (if any) for up to `budgetMs`. True when there is
 * nothing (left) to hand over and the resource's launch decision may run.
 */
export async function pollDeployHandover(deps: HandoverDeps, cfg: Omit<HandoverConfig, 'starter'>, event: DeployEvent, budgetMs: number): Promise<{ readonly complete: boolean; readonly result?: HandoverResult }> {
  const until = new Date(deps.clock.now().getTime() + budgetMs);
  if (event.RequestType === 'Delete') {
    // The resource goes away (a rollback or teardown): a handover left in progress is finished
    // with the service as the starter, so the service is not left at desiredCount 0.
    const op = (await deps.record.read(cfg.lineage))?.operation;
    if (op?.kind !== 'handover') return { complete: true };
    const result = await driveHandover(deps, { ...cfg, starter: 'service' }, { id: op.id, until });
    return { complete: result.state === 'done', result };
  }
  const id = typeof event.Data?.HandoverId === 'string' ? event.Data.HandoverId : undefined;
  const begunAt = Number(event.Data?.HandoverBegunAt);
  if (id === undefined || !Number.isFinite(begunAt)) return { complete: true };
  const result = await driveHandover(deps, { ...cfg, starter: 'cloudformation' }, { id, resume: false, until, begunAt });
  return { complete: result.state === 'done', result };
}
