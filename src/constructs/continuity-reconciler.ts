import { resolve } from 'node:path';
import { CfnElement, Duration, Stack } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { DeploymentNames } from '../config/names.js';
import type { HomeConfig, SnapshotsConfig } from '../config/types.js';
import { TAGS } from '../continuity/model.js';
import { RECONCILER_ENV } from '../continuity/settings.js';
import { LAMBDA_DEFAULTS, PROJECT_ROOT, cachedNodejsFunction } from './bundle-cache.js';
import { acknowledgeWildcards, describeEbsStatement, nagArn, passInfrastructureRoleStatement, recordStatement, serviceArn, snapshotArns, updateControllerServiceStatement } from './continuity-iam.js';

/** How often the reconciler runs even when no event arrives. */
export const RECONCILE_EVERY = Duration.minutes(5);

export interface ReconcilerProps {
  /** Names of the deployment (`deploymentNames(config.name)`). */
  readonly names: DeploymentNames;
  /** `controller.snapshots` of the resolved config (retention settings). */
  readonly snapshots: SnapshotsConfig;
  /** `controller.home` of the resolved config: the initialization rate of a roll. */
  readonly home: Pick<HomeConfig, 'initializationRateMiBps'>;
  /** Cluster of the controller service. */
  readonly cluster: ecs.ICluster;
  /** ECS infrastructure role of the managed EBS volume; passed on UpdateService. */
  readonly infrastructureRole: iam.IRole;
  /**
   * Reserved concurrent executions. The reconciler is correct under concurrent runs (every
   * record transition is a conditional write), so this only caps cost; reserving fails in
   * accounts whose concurrency quota is 10 (docs/aws-facts: "decreases account's
   * UnreservedConcurrentExecution below its minimum value of [10]").
   * @default - none (config `reconciler.reservedConcurrency`)
   */
  readonly reservedConcurrency?: number;
  /**
   * TypeScript entry of the reconciler Lambda function (export `handler`).
   * @default - `src/reconciler/handler.ts` in this project
   */
  readonly entry?: string;
  /**
   * Retention of the reconciler's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The reconciler Lambda function (src/reconciler/handler.ts), its role and log group, and the
 * EventBridge rules and schedule that invoke it. Added directly to `scope` (HomeContinuity), so
 * the logical ids of its log group stay what they were before this file was split out.
 *
 * Nothing here references the controller service (no Ref, no GetAtt, no DependsOn, not even
 * transitively): CloudFormation would otherwise create the reconciler only once the service is
 * stable, and a first task that starts stale (a redeploy after teardown, a retried first create)
 * could never be rolled forward, so the create would fail on the circuit breaker (issue 10.1).
 * The service is named by its fixed name from deploymentNames instead.
 */
export function addReconciler(scope: Construct, props: ReconcilerProps): nodejs.NodejsFunction {
  const { names } = props;
  const stack = Stack.of(scope);
  const logGroup = new logs.LogGroup(scope, 'ReconcilerLogs', {
    retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
  });
  // An explicit role: only this log group, instead of the AWSLambdaBasicExecutionRole managed policy.
  const role = new iam.Role(scope, 'ReconcilerRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `jenkins-ecs ${names.lineage}: reconciler (rolls the controller service to the lineage head)`,
  });
  // Input-hashed code asset: an unchanged reconciler reuses the bundle of an earlier synth.
  const fn = cachedNodejsFunction(scope, 'Reconciler', {
    entry: resolve(props.entry ?? resolve(PROJECT_ROOT, 'src/reconciler/handler.ts')),
    handler: 'handler',
    ...LAMBDA_DEFAULTS,
    role,
    logGroup,
    memorySize: 256,
    // A run is a handful of API calls; a minute leaves room for throttling retries.
    timeout: Duration.minutes(1),
    reservedConcurrentExecutions: props.reservedConcurrency,
    description: `jenkins-ecs ${names.lineage}: keeps the controller service's snapshotId on the lineage head`,
    environment: {
      [RECONCILER_ENV.lineage]: names.lineage,
      [RECONCILER_ENV.cluster]: props.cluster.clusterName,
      // The fixed name, never the service's Ref or GetAtt: see the docblock above.
      [RECONCILER_ENV.service]: names.service,
      [RECONCILER_ENV.recordTable]: names.recordTable,
      [RECONCILER_ENV.keepLast]: String(props.snapshots.keepLast),
      [RECONCILER_ENV.keepDailyDays]: String(props.snapshots.keepDailyDays),
      ...(props.home.initializationRateMiBps !== undefined
        ? { [RECONCILER_ENV.initializationRateMiBps]: String(props.home.initializationRateMiBps) }
        : {}),
    },
  });

  const statements = [
    new iam.PolicyStatement({ sid: 'ReconcilerDescribeService', actions: ['ecs:DescribeServices'], resources: [serviceArn(stack, props.cluster, names)] }),
    updateControllerServiceStatement('ReconcilerRollService', stack, props.cluster, serviceArn(stack, props.cluster, names), names),
    recordStatement(stack, names, 'ReconcilerRecord', ['dynamodb:GetItem', 'dynamodb:PutItem']),
    passInfrastructureRoleStatement('ReconcilerPassInfrastructureRole', props.infrastructureRole),
    new iam.PolicyStatement({
      sid: 'ReconcilerPruneLineage',
      actions: ['ec2:DeleteSnapshot'],
      resources: [snapshotArns(stack)],
      conditions: { StringEquals: { [`aws:ResourceTag/${TAGS.lineage}`]: names.lineage } },
    }),
    describeEbsStatement('ReconcilerDescribeEbs'),
  ];
  for (const statement of statements) role.addToPrincipalPolicy(statement);
  logGroup.grantWrite(role);
  acknowledgeWildcards(role, [
    ['Resource::*', 'ec2:DescribeSnapshots and ec2:DescribeVolumes support no resource-level permissions.'],
    [`Resource::${nagArn(stack, 'snapshot/*', false)}`, 'Retention deletes old snapshots by id; limited to snapshots tagged with this lineage.'],
  ]);
  // The function must wait for its policy; the role itself is already implied by the GetAtt,
  // and listing it again is what cfn-lint W3005 reports.
  const policy = role.node.tryFindChild('DefaultPolicy')?.node.defaultChild;
  if (policy instanceof CfnElement) {
    (fn.node.defaultChild as lambda.CfnFunction).addOverride('DependsOn', [stack.getLogicalId(policy)]);
  }

  const target = new targets.LambdaFunction(fn, { retryAttempts: 4, maxEventAge: Duration.hours(1) });
  new events.Rule(scope, 'OnSnapshot', {
    description: `jenkins-ecs ${names.lineage}: an EBS snapshot finished (the head may have moved)`,
    // Tags are not in the event; the reconciler looks the snapshot up (see docs/aws-notes.md).
    eventPattern: { source: ['aws.ec2'], detailType: ['EBS Snapshot Notification'], detail: { event: ['createSnapshot'] } },
    targets: [target],
  });
  new events.Rule(scope, 'OnTaskChange', {
    description: `jenkins-ecs ${names.lineage}: a controller task changed state`,
    eventPattern: {
      source: ['aws.ecs'],
      detailType: ['ECS Task State Change'],
      detail: { clusterArn: [props.cluster.clusterArn], group: [`service:${names.service}`] },
    },
    targets: [target],
  });
  new events.Rule(scope, 'Schedule', {
    description: `jenkins-ecs ${names.lineage}: reconcile even when no event arrives`,
    schedule: events.Schedule.rate(RECONCILE_EVERY),
    targets: [target],
  });
  return fn;
}

