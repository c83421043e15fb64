import { resolve } from 'node:path';
import { CfnElement, CustomResource, Duration, Stack, Validations, type IResolvable } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { DeploymentNames } from '../config/names.js';
import type { HomeConfig } from '../config/types.js';
import { LAUNCH_PROPERTIES } from '../launch/properties.js';
import { LAUNCH_LAMBDA_TIMEOUT_MS, LAUNCH_POLL_MS, LAUNCH_TOTAL_TIMEOUT_MS, LAUNCH_WAIT_MS } from '../launch/timing.js';
import { LAMBDA_DEFAULTS, PROJECT_ROOT, cachedNodejsFunction } from './bundle-cache.js';
import { acknowledgeWildcards, clusterTaskArns, createSnapshotStatements, HANDOVER_SNAPSHOT_KINDS, nagArn, nagText, passInfrastructureRoleStatement, recordStatement, serviceArn, updateControllerServiceStatement } from './continuity-iam.js';

/**
 * Wall-time bound of a deploy's wait for the handover and a pending head (src/launch/timing.ts
 * derives the framework's retry count from it). Snapshot completion time is unpredictable (a
 * first 50 GB gp3 snapshot was seen at ~16 min; docs/aws-facts.md); CloudFormation gives a custom
 * resource one hour at most.
 */
export const LAUNCH_WAIT = Duration.millis(LAUNCH_WAIT_MS);

/** The Provider framework's queryInterval: the pause between two isComplete invocations. */
export const LAUNCH_POLL = Duration.millis(LAUNCH_POLL_MS);

export interface LaunchSnapshotProps {
  /** Names of the deployment (`deploymentNames(config.name)`). */
  readonly names: DeploymentNames;
  /** Cluster of the controller service. */
  readonly cluster: ecs.ICluster;
  /**
   * Task definition of the controller. Its revision is a property of the resource, so the
   * resource updates (and decides again) exactly when the deploy replaces the controller task.
   */
  readonly taskDefinition: ecs.TaskDefinition;
  /**
   * The service's static `ManagedEBSVolume` settings with CloudFormation's keys (RoleArn, SizeInGiB,
   * VolumeType, ...), without SnapshotId and VolumeInitializationRate: the resource adds those.
   */
  readonly managedEbsVolume: Readonly<Record<string, unknown>>;
  /** `controller.home`: the seed snapshot and the initialization rate. */
  readonly home: Pick<HomeConfig, 'seedSnapshotId' | 'initializationRateMiBps'>;
  /** ECS infrastructure role of the managed EBS volume: the handover passes it on UpdateService. */
  readonly infrastructureRole: iam.IRole;
  /**
   * TypeScript entry of the handler (exports `onEvent` and `isComplete`).
   * @default - `src/launch/handler.ts` in this project
   */
  readonly entry?: string;
  /**
   * Retention of the handler's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The snapshot the controller service launches its home from, decided at deploy time from the
 * lineage record (src/continuity/launch.ts; docs/design/lineage-record.md, "Deploy time"). It
 * replaces v0.1's SSM-typed stack parameter: `managedEbsVolume` is the service's whole
 * `ManagedEBSVolume`, with `SnapshotId` (and the initialization rate) present only when there is a
 * snapshot to launch from, which no template condition could express.
 *
 * Its properties are the task definition's revision and the static volume settings, so
 * CloudFormation calls it exactly when the deploy replaces the controller task (and a handover can
 * run inside it); a deploy that changes neither leaves it, and the service's snapshot, alone.
 * It depends on nothing of the service (the service depends on it), so nothing waits for a stable
 * service (issue 10.1).
 */
export class LaunchSnapshot extends Construct {
  public readonly resource: CustomResource;
  /** `Fn::GetAtt` of the whole `ManagedEBSVolume` object for the service's volume configuration. */
  public readonly managedEbsVolume: IResolvable;
  /** The chosen snapshot id, empty when the home starts empty. */
  public readonly snapshotId: string;
  public readonly provider: cr.Provider;

  constructor(scope: Construct, id: string, props: LaunchSnapshotProps) {
    super(scope, id);
    const { names } = props;
    const stack = Stack.of(this);

    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `jenkins-ecs ${names.lineage}: decides the controller's launch snapshot at deploy time and hands the home over when a deploy replaces the task`,
    });
    const statements = [
      // The launch decision reads; the handover writes its operation, fences and ends it: every
      // write a conditional transition of this lineage's item (src/continuity/handover.ts).
      recordStatement(stack, names, 'LaunchRecord', ['dynamodb:GetItem', 'dynamodb:PutItem']),
      // The handover stops the service (desiredCount 0) and, as the starter of a rollback,
      // starts it from the final snapshot (UpdateService with volumeConfigurations).
      new iam.PolicyStatement({ sid: 'LaunchDescribeService', actions: ['ecs:DescribeServices'], resources: [serviceArn(stack, props.cluster, names)] }),
      updateControllerServiceStatement('LaunchUpdateService', stack, props.cluster, serviceArn(stack, props.cluster, names), names),
      passInfrastructureRoleStatement('LaunchPassInfrastructureRole', props.infrastructureRole),
      // The holder's task status by ARN (a holder whose task stopped is fenced).
      new iam.PolicyStatement({
        sid: 'LaunchDescribeTasks',
        actions: ['ecs:DescribeTasks'],
        resources: [clusterTaskArns(stack, props.cluster)],
        conditions: { ArnEquals: { 'ecs:cluster': props.cluster.clusterArn } },
      }),
      // The pre-copy snapshot of the holder's volume: kind manual, the protocol's tag keys only.
      ...createSnapshotStatements(stack, names.lineage, 'LaunchPreCopy', HANDOVER_SNAPSHOT_KINDS),
      new iam.PolicyStatement({ sid: 'LaunchDescribeSnapshots', actions: ['ec2:DescribeSnapshots'], resources: ['*'] }),
    ];
    for (const statement of statements) role.addToPrincipalPolicy(statement);
    logGroup.grantWrite(role);
    acknowledgeWildcards(role, [
      ['Resource::*', 'ec2:DescribeSnapshots supports no resource-level permissions; the handler reads snapshots by id.'],
      [`Resource::${nagText(stack, clusterTaskArns(stack, props.cluster))}`, 'The holder task has a new id with every start; any task of the controller cluster, also conditioned on ecs:cluster.'],
      [`Resource::${nagArn(stack, 'volume/*', true)}`, 'Home volumes get new ids with every task; CreateSnapshot is limited to volumes tagged with this lineage.'],
      [`Resource::${nagArn(stack, 'snapshot/*', false)}`, 'New snapshots have no id yet; the statements require the lineage tag and kind=manual on create, or CreateAction = CreateSnapshot.'],
    ]);

    const entry = resolve(props.entry ?? resolve(PROJECT_ROOT, 'src/launch/handler.ts'));
    const handler = (fnId: string, exported: string): nodejs.NodejsFunction =>
      cachedNodejsFunction(this, fnId, {
        entry,
        handler: exported,
        ...LAMBDA_DEFAULTS,
        role,
        logGroup,
        memorySize: 256,
        // One isComplete drives the handover for its step budget, then decides (src/launch/timing.ts).
        timeout: Duration.millis(LAUNCH_LAMBDA_TIMEOUT_MS),
        description: `jenkins-ecs ${names.lineage}: launch snapshot and deploy handover (${exported})`,
      });
    const onEvent = handler('OnEvent', 'onEvent');
    const isComplete = handler('IsComplete', 'isComplete');

    const frameworkLogs = new logs.LogGroup(this, 'ProviderLogs', { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH });
    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: onEvent,
      isCompleteHandler: isComplete,
      queryInterval: LAUNCH_POLL,
      // The pauses only: each isComplete adds its own step budget (src/launch/timing.ts).
      totalTimeout: Duration.millis(LAUNCH_TOTAL_TIMEOUT_MS),
      logGroup: frameworkLogs,
      frameworkOnEventRole: frameworkRole(this, 'FrameworkOnEventRole', frameworkLogs, [onEvent, isComplete]),
      frameworkCompleteAndTimeoutRole: frameworkRole(this, 'FrameworkCompleteRole', frameworkLogs, [onEvent, isComplete]),
    });
    acknowledgeProvider(this.provider);
    // CDK lists each function's (and the waiter's) role in DependsOn next to the GetAtt of its
    // ARN; the order is right either way, and cfn-lint W3005 only calls the entry redundant.
    for (const c of this.node.findAll()) {
      if (c instanceof lambda.CfnFunction || c instanceof sfn.CfnStateMachine) c.addMetadata('cfn-lint', { config: { ignore_checks: ['W3005'] } });
    }

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.provider.serviceToken,
      resourceType: 'Custom::LaunchSnapshot',
      properties: {
        [LAUNCH_PROPERTIES.lineage]: names.lineage,
        [LAUNCH_PROPERTIES.tableName]: names.recordTable,
        [LAUNCH_PROPERTIES.cluster]: props.cluster.clusterName,
        [LAUNCH_PROPERTIES.service]: names.service,
        [LAUNCH_PROPERTIES.taskDefinition]: props.taskDefinition.taskDefinitionArn,
        [LAUNCH_PROPERTIES.managedEbsVolume]: props.managedEbsVolume,
        ...(props.home.seedSnapshotId !== undefined ? { [LAUNCH_PROPERTIES.seedSnapshotId]: props.home.seedSnapshotId } : {}),
        ...(props.home.initializationRateMiBps !== undefined
          ? { [LAUNCH_PROPERTIES.initializationRateMiBps]: props.home.initializationRateMiBps }
          : {}),
      },
    });
    this.managedEbsVolume = this.resource.getAtt('ManagedEBSVolume');
    this.snapshotId = this.resource.getAttString('SnapshotId');
  }
}

/** `AwsSolutions-IAM5[Resource::<Fn.Arn>:*]`: cdk-nag's id for an invoke grant on a function's versions. */
function invokeFinding(fn: lambda.IFunction): string {
  const stack = Stack.of(fn);
  return `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn.node.defaultChild as CfnElement)}.Arn>:*]`;
}

/**
 * A role for a Provider framework function, writing only to the framework's log group; the
 * framework grants it lambda:InvokeFunction on the handlers (and their versions, ":*").
 */
function frameworkRole(scope: Construct, id: string, logGroup: logs.ILogGroup, handlers: readonly lambda.IFunction[]): iam.Role {
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: 'jenkins-ecs: CDK custom resource provider framework (launch snapshot)',
  });
  logGroup.grantWrite(role);
  Validations.of(role).acknowledge(
    ...handlers.map((fn) => ({
      id: invokeFinding(fn),
      reason: 'The CDK Provider framework invokes our two launch-snapshot handlers, any version (":*"); nothing else.',
    })),
  );
  return role;
}

/** cdk-nag findings of the CDK Provider framework's own resources, each with its reason. */
function acknowledgeProvider(provider: cr.Provider): void {
  const own = ['framework-isComplete', 'framework-onTimeout']
    .map((id) => provider.node.tryFindChild(id))
    .filter((c): c is lambda.Function => c instanceof lambda.Function);
  Validations.of(provider).acknowledge(
    ...own.map((fn) => ({
      id: invokeFinding(fn),
      reason: 'The waiter state machine of the CDK Provider framework invokes the framework\'s own isComplete and onTimeout functions (any version); nothing else.',
    })),
    {
      id: 'AwsSolutions-SF1',
      reason: 'The waiter state machine only retries isComplete; the handlers log every decision to their own log group.',
    },
    {
      id: 'AwsSolutions-SF2',
      reason: 'X-Ray tracing of the Provider framework\'s waiter adds nothing to the handlers\' logs.',
    },
  );
}
