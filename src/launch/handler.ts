/**
 * `LaunchSnapshot` custom resource (src/constructs/launch-snapshot.ts), CDK Provider framework with
 * async completion. Two jobs:
 *
 * 1. **The handover** (issue 12; src/continuity/handover-deploy.ts). When a deploy replaces the
 *    controller task of a live service (an Update in which the task definition or the volume
 *    settings changed), `onEvent` begins a handover in the lineage record and returns its id;
 *    every `isComplete` drives it for {@link LAUNCH_STEP_BUDGET_MS}: pre-copy snapshot while
 *    Jenkins serves, desiredCount 0, the keeper's final snapshot registered and completed. Then the
 *    record's `launch` is the final snapshot and the handover ends. A Delete (rollback of a create,
 *    teardown) with a handover left in progress finishes it with the service as the starter.
 * 2. **The launch decision**: once no handover is (left) to drive, read the record (consistent
 *    read), the controller service and, when needed, the head snapshot by id, and answer with the
 *    service's `ManagedEBSVolume` once src/continuity/launch.ts says it is ready. CloudFormation's
 *    service update (DesiredCount 1 in the template) then starts exactly one task, from it. While
 *    the head is pending it answers "not yet" and the framework asks again.
 *
 * A deploy that does not replace the task never writes: the record is created and moved by the
 * keeper and the reconciler; the handover's writes are conditional transitions like theirs.
 * Timing and its bound: src/launch/timing.ts.
 */
import { randomUUID } from 'node:crypto';
import { createClients } from '../aws/clients.js';
import { Ec2Adapter } from '../aws/ec2-adapter.js';
import { isAwsError } from '../aws/errors.js';
import { DynamoRecordAdapter } from '../aws/record-adapter.js';
import { EcsAdapter } from '../aws/ecs-adapter.js';
import { systemClock } from '../continuity/clock.js';
import type { HandoverDeps, HandoverEc2, HandoverEcs } from '../continuity/handover.js';
import { beginDeployHandover, pollDeployHandover, type DeployEvent, type HandoverData, type TaskProperties } from '../continuity/handover-deploy.js';
import { decideLaunch, launchPlan, launchVolume, type LaunchDecision } from '../continuity/launch.js';
import type { Clock } from '../continuity/ports.js';
import { awsErrorCode, isRetryable, withRetries } from '../continuity/retry.js';
import type { RecordPort } from '../continuity/record.js';
import { createLogger, type LogSink } from '../keeper/log.js';
import { LAUNCH_PROPERTIES, parseLaunchProperties, type LaunchProperties } from './properties.js';
import { DEPLOY_PRE_COPY_TIMEOUT_MS, LAUNCH_HANDOVER_POLL_MS, LAUNCH_POLL_MS, LAUNCH_STEP_BUDGET_MS, ON_EVENT_RETRY_BUDGET_MS, ON_EVENT_RETRY_POLICY } from './timing.js';

/** The custom resource's event as the Provider framework hands it to both handlers. */
export interface LaunchEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  /** CloudFormation's id of this request: the handover's operation id. */
  readonly RequestId?: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: Readonly<Record<string, unknown>>;
  readonly OldResourceProperties?: Readonly<Record<string, unknown>>;
  /** onEvent's Data, merged into the event isComplete receives. */
  readonly Data?: Readonly<Record<string, unknown>>;
}

export interface OnEventResult {
  readonly PhysicalResourceId: string;
  readonly Data?: HandoverData;
}

export interface IsCompleteResult {
  readonly IsComplete: boolean;
  readonly Data?: { readonly ManagedEBSVolume: Record<string, unknown>; readonly SnapshotId: string; readonly Source: string };
}

export interface LaunchDeps {
  readonly record: (tableName: string) => RecordPort;
  readonly ec2: HandoverEc2;
  readonly ecs: HandoverEcs;
  readonly clock: Clock;
  readonly print: LogSink;
  /** How long one isComplete works before answering. @default LAUNCH_STEP_BUDGET_MS */
  readonly stepBudgetMs?: number;
}

/** The properties whose change replaces the controller task: exactly these start a handover. */
export const TASK_PROPERTIES: TaskProperties = {
  replacing: [LAUNCH_PROPERTIES.taskDefinition, LAUNCH_PROPERTIES.managedEbsVolume, LAUNCH_PROPERTIES.initializationRateMiBps],
  taskDefinition: LAUNCH_PROPERTIES.taskDefinition,
  volume: LAUNCH_PROPERTIES.managedEbsVolume,
  initializationRate: LAUNCH_PROPERTIES.initializationRateMiBps,
};

const stdoutPrint: LogSink = (line) => {
  process.stdout.write(`${line}\n`);
};

function defaultDeps(): LaunchDeps {
  const clients = createClients();
  return {
    record: (tableName) => new DynamoRecordAdapter(clients.dynamodb, tableName),
    ec2: new Ec2Adapter(clients.ec2),
    ecs: new EcsAdapter(clients.ecs),
    clock: systemClock,
    print: stdoutPrint,
  };
}

/** The physical id never changes, so an Update never makes CloudFormation delete the old resource. */
export function physicalId(props: LaunchProperties): string {
  return `jenkins-ecs-launch-${props.lineage}`;
}

/**
 * The handover's ports: ECS with DescribeServices tolerating a cluster that does not exist (yet):
 * ClusterNotFoundException means no service, the one error tolerated here (DescribeServices
 * reports a deleted service as INACTIVE, which the adapter maps to undefined).
 */
function handoverDeps(deps: LaunchDeps, props: LaunchProperties): HandoverDeps {
  const logger = createLogger(deps.print, () => deps.clock.now());
  const ecs: HandoverEcs = {
    describeService: async (cluster, service) => {
      try {
        return await deps.ecs.describeService(cluster, service);
      } catch (e) {
        if (isAwsError(e, 'ClusterNotFoundException')) return undefined;
        throw e;
      }
    },
    setDesiredCount: (c, s, n) => deps.ecs.setDesiredCount(c, s, n),
    rollSnapshot: (c, s, id, o) => deps.ecs.rollSnapshot(c, s, id, o),
    taskStatus: (c, t) => deps.ecs.taskStatus(c, t),
  };
  return {
    record: deps.record(props.tableName),
    ec2: deps.ec2,
    ecs,
    clock: deps.clock,
    log: logger,
    onStep: (step) => logger({ level: 'info', msg: 'handover: step', step, lineage: props.lineage }),
  };
}

function handoverConfig(props: LaunchProperties): { lineage: string; cluster: string; service: string; pollMs: number; preCopyTimeoutMs: number } {
  return { lineage: props.lineage, cluster: props.cluster, service: props.service, pollMs: LAUNCH_HANDOVER_POLL_MS, preCopyTimeoutMs: DEPLOY_PRE_COPY_TIMEOUT_MS };
}

const deployEvent = (event: LaunchEvent): DeployEvent => ({
  RequestType: event.RequestType,
  ResourceProperties: event.ResourceProperties,
  ...(event.OldResourceProperties ? { OldResourceProperties: event.OldResourceProperties } : {}),
  ...(event.Data ? { Data: event.Data } : {}),
});

/**
 * onEvent. On an Update that replaces the task it begins the handover; a transient AWS error there
 * (throttling, a 5xx that outlived the SDK's and the commit's retries) is retried with backoff
 * within {@link ON_EVENT_RETRY_BUDGET_MS}, then thrown (the framework fails the resource; the
 * rollback's Update resumes a handover that did begin). Every attempt is the same request with
 * the same operation id, so a begin write that landed before its answer was lost is resumed, with
 * the same starter. Anything else (access denied) fails at once.
 */
export async function onEventWith(event: LaunchEvent, deps: LaunchDeps): Promise<OnEventResult> {
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId ?? 'none' };
  const props = parseLaunchProperties(event.ResourceProperties);
  const result = { PhysicalResourceId: physicalId(props) };
  if (event.RequestType !== 'Update') return result;
  const id = event.RequestId ?? randomUUID();
  const log = createLogger(deps.print, () => deps.clock.now());
  const data = await withRetries(() => beginDeployHandover(handoverDeps(deps, props), handoverConfig(props), deployEvent(event), id, TASK_PROPERTIES), {
    clock: deps.clock,
    policy: ON_EVENT_RETRY_POLICY,
    deadline: new Date(deps.clock.now().getTime() + ON_EVENT_RETRY_BUDGET_MS),
    onRetry: ({ attempt, code, delayMs }) =>
      log({ level: 'warn', msg: 'launch snapshot: transient AWS error beginning the handover; retrying', attempt, code, delayMs, lineage: props.lineage, operation: id }),
  });
  return data ? { ...result, Data: data } : result;
}

/**
 * isComplete. The Provider framework fails the resource at once on any error isComplete throws
 * (only `IsComplete: false` is asked again), and a failed update rolls back, which costs another
 * handover. So an AWS error that is only transient (throttling, a 5xx that outlived the SDK's and
 * withRetries' own retries) is answered "not yet": the next poll goes on from the record, and the
 * provider's total timeout still bounds it. Anything else (access denied, a refusal) fails fast.
 */
export async function isCompleteWith(event: LaunchEvent, deps: LaunchDeps): Promise<IsCompleteResult> {
  try {
    return await isCompleteOnce(event, deps);
  } catch (e) {
    if (!isRetryable(e)) throw e;
    createLogger(deps.print, () => deps.clock.now())({ level: 'warn', msg: 'launch snapshot: transient AWS error; asking again at the next poll', code: awsErrorCode(e) ?? null, request: event.RequestType });
    return { IsComplete: false };
  }
}

async function isCompleteOnce(event: LaunchEvent, deps: LaunchDeps): Promise<IsCompleteResult> {
  const budget = deps.stepBudgetMs ?? LAUNCH_STEP_BUDGET_MS;
  const until = deps.clock.now().getTime() + budget;
  if (event.RequestType === 'Delete') {
    const props = parseDeleteProperties(event.ResourceProperties);
    if (props === undefined) return { IsComplete: true };
    try {
      const res = await pollDeployHandover(handoverDeps(deps, props), handoverConfig(props), deployEvent(event), budget);
      return { IsComplete: res.complete };
    } catch (e) {
      // The record table is gone (the state stack was deleted first): no handover can be left.
      if (isAwsError(e, 'ResourceNotFoundException')) return { IsComplete: true };
      throw e;
    }
  }
  const props = parseLaunchProperties(event.ResourceProperties);
  const handover = await pollDeployHandover(handoverDeps(deps, props), handoverConfig(props), deployEvent(event), budget);
  if (!handover.complete) return { IsComplete: false };
  for (;;) {
    const answer = await decide(event, deps, props);
    if (answer.IsComplete || deps.clock.now().getTime() + LAUNCH_POLL_MS > until) return answer;
    await deps.clock.sleep(LAUNCH_POLL_MS);
  }
}

/** Delete: the properties of a resource CloudFormation may have created with an older version; none usable → nothing to finish. */
function parseDeleteProperties(p: Readonly<Record<string, unknown>>): LaunchProperties | undefined {
  try {
    return parseLaunchProperties(p);
  } catch {
    return undefined;
  }
}

async function decide(event: LaunchEvent, deps: LaunchDeps, props: LaunchProperties): Promise<IsCompleteResult> {
  const log = createLogger(deps.print, () => deps.clock.now());
  const record = await deps.record(props.tableName).read(props.lineage);
  const service = await handoverDeps(deps, props).ecs.describeService(props.cluster, props.service);
  const base = { record, serviceExists: service !== undefined, seedSnapshotId: props.seedSnapshotId };
  const plan = launchPlan(base);
  let headState: 'pending' | 'completed' | 'error' | 'missing' | undefined;
  if (plan.source === 'head' && plan.snapshotId) {
    const snapshot = await deps.ec2.describeSnapshot(plan.snapshotId);
    headState = snapshot?.state ?? 'missing';
  }
  const decision: LaunchDecision = decideLaunch({ ...base, headState });
  const ids = { lineage: props.lineage, request: event.RequestType, snapshot: decision.snapshotId, seq: record?.seq };
  if (decision.kind === 'wait') {
    log({ level: 'info', msg: 'launch snapshot: waiting', reason: decision.reason, ...ids });
    return { IsComplete: false };
  }
  log({ level: 'info', msg: 'launch snapshot: decided', source: decision.source, reason: decision.reason, ...ids });
  return {
    IsComplete: true,
    Data: {
      ManagedEBSVolume: launchVolume(props.managedEbsVolume, decision, props.initializationRateMiBps),
      SnapshotId: decision.snapshotId ?? '',
      Source: decision.source,
    },
  };
}

let deps: LaunchDeps | undefined;

export const onEvent = (event: LaunchEvent): Promise<OnEventResult> => onEventWith(event, (deps ??= defaultDeps()));
export const isComplete = (event: LaunchEvent): Promise<IsCompleteResult> => isCompleteWith(event, (deps ??= defaultDeps()));
