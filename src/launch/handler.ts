/**
 * `LaunchSnapshot` custom resource (src/constructs/launch-snapshot.ts), CDK Provider framework with
 * async completion: `onEvent` accepts the request, `isComplete` reads the lineage record
 * (consistent read), the controller service and, when needed, the head snapshot by id, and
 * answers with the service's `ManagedEBSVolume` once src/continuity/launch.ts says it is ready.
 * While the head is pending it answers "not yet" and the framework asks again (queryInterval),
 * up to the provider's total timeout. Read-only: it never writes the record, so a deploy can
 * never corrupt the lineage; the keeper and the reconciler create and move the record.
 */
import { createClients } from '../aws/clients.js';
import { Ec2Adapter } from '../aws/ec2-adapter.js';
import { isAwsError } from '../aws/errors.js';
import { DynamoRecordAdapter } from '../aws/record-adapter.js';
import { EcsAdapter } from '../aws/ecs-adapter.js';
import { decideLaunch, launchPlan, launchVolume, type LaunchDecision } from '../continuity/launch.js';
import type { RecordPort } from '../continuity/record.js';
import { createLogger, type LogSink } from '../keeper/log.js';
import { parseLaunchProperties, type LaunchProperties } from './properties.js';

/** The custom resource's event as the Provider framework hands it to both handlers. */
export interface LaunchEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: Readonly<Record<string, unknown>>;
}

export interface OnEventResult {
  readonly PhysicalResourceId: string;
}

export interface IsCompleteResult {
  readonly IsComplete: boolean;
  readonly Data?: { readonly ManagedEBSVolume: Record<string, unknown>; readonly SnapshotId: string; readonly Source: string };
}

export interface LaunchDeps {
  readonly record: (tableName: string) => RecordPort;
  readonly ec2: Pick<Ec2Adapter, 'describeSnapshot'>;
  readonly ecs: Pick<EcsAdapter, 'describeService'>;
  readonly print: LogSink;
}

const stdoutPrint: LogSink = (line) => {
  process.stdout.write(`${line}\n`);
};

function defaultDeps(): LaunchDeps {
  const clients = createClients();
  return {
    record: (tableName) => new DynamoRecordAdapter(clients.dynamodb, tableName),
    ec2: new Ec2Adapter(clients.ec2),
    ecs: new EcsAdapter(clients.ecs),
    print: stdoutPrint,
  };
}

/** The physical id never changes, so an Update never makes CloudFormation delete the old resource. */
export function physicalId(props: LaunchProperties): string {
  return `jenkins-ecs-launch-${props.lineage}`;
}

export async function onEventWith(event: LaunchEvent): Promise<OnEventResult> {
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId ?? 'none' };
  return { PhysicalResourceId: physicalId(parseLaunchProperties(event.ResourceProperties)) };
}

export async function isCompleteWith(event: LaunchEvent, deps: LaunchDeps): Promise<IsCompleteResult> {
  if (event.RequestType === 'Delete') return { IsComplete: true };
  const props = parseLaunchProperties(event.ResourceProperties);
  const log = createLogger(deps.print, () => new Date());
  const record = await deps.record(props.tableName).read(props.lineage);
  const service = await describeServiceIfAny(deps, props.cluster, props.service);
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

/**
 * The service, or undefined when it does not exist: DescribeServices reports a deleted service
 * as INACTIVE (the adapter maps that to undefined), and a cluster that does not exist (yet) with
 * ClusterNotFoundException, the one error tolerated here.
 */
async function describeServiceIfAny(deps: LaunchDeps, cluster: string, service: string): Promise<unknown> {
  try {
    return await deps.ecs.describeService(cluster, service);
  } catch (e) {
    if (isAwsError(e, 'ClusterNotFoundException')) return undefined;
    throw e;
  }
}

let deps: LaunchDeps | undefined;

export const onEvent = (event: LaunchEvent): Promise<OnEventResult> => onEventWith(event);
export const isComplete = (event: LaunchEvent): Promise<IsCompleteResult> => isCompleteWith(event, (deps ??= defaultDeps()));
