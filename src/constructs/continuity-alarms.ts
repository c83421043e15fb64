import { Aws, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { DeploymentNames } from '../config/names.js';
import type { SnapshotsConfig } from '../config/types.js';
import { METRICS } from '../continuity/settings.js';
import { RECONCILE_EVERY } from './continuity-reconciler.js';

/**
 * Stale starts per hour that raise the StaleStart alarm: one. v0.1 set 3, because every deploy and
 * restart cost a stale start then. With the handover (issue 12) a planned deploy or restart starts
 * its one task from the final snapshot and causes none (test/sim/handover.test.ts: StaleStarts per
 * planned deploy is 0), so any stale start is an unplanned replacement: a crash with periodic
 * snapshots since the last roll, a StopTask or forced new deployment, or a deploy that changed
 * service settings outside the LaunchSnapshot resource. Each is worth a look.
 */
export const STALE_STARTS_ALARM_THRESHOLD = 1;

export interface ContinuityAlarmsProps {
  /** Names of the deployment (`deploymentNames(config.name)`). */
  readonly names: DeploymentNames;
  /** `controller.snapshots` of the resolved config: the head-age threshold derives from the interval. */
  readonly snapshots: SnapshotsConfig;
  /** Cluster of the controller service. */
  readonly cluster: ecs.ICluster;
  /** The reconciler function, for the failing and silent alarms. */
  readonly reconciler: lambda.IFunction;
  /** Grace period of the controller service; the unhealthy alarms wait longer than it. */
  readonly healthCheckGraceSeconds: number;
  /**
   * Target group of the controller, for the "controller unhealthy" alarms.
   * @default - no unhealthy alarms
   */
  readonly targetGroup?: elbv2.ApplicationTargetGroup;
  /**
   * Topics that receive every alarm and OK notification.
   * @default - the alarms have no actions
   */
  readonly topics?: readonly sns.ITopic[];
}

/**
 * The continuity alarms (README "What to watch"). Added directly to `scope` (HomeContinuity), so
 * their logical ids, and those of the alarm topic and its key, stay what they were before this
 * file was split out.
 */
/** An encrypted SNS topic (with its own KMS key) that CloudWatch may publish to. */
export function createAlarmTopic(scope: Construct): sns.ITopic {
  const key = new kms.Key(scope, 'AlarmTopicKey', {
    description: 'jenkins-ecs: encrypts the alarm topic',
    enableKeyRotation: true,
  });
  // CloudWatch publishes to an encrypted topic only if the key lets it (not the AWS-managed key).
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
    }),
  );
  return new sns.Topic(scope, 'AlarmTopic', { masterKey: key, enforceSSL: true });
}

export function addContinuityAlarms(scope: Construct, props: ContinuityAlarmsProps): cloudwatch.Alarm[] {
  const { names } = props;
  // Every description says what happened and what to do, in that order (issue 10.7).
  const text = (what: string, todo: string): string => `jenkins-ecs ${names.lineage}: ${what}. What to do: ${todo}.`;
  const period = RECONCILE_EVERY;
  const lineageMetric = (metricName: string, statistic: string): cloudwatch.Metric =>
    new cloudwatch.Metric({
      namespace: METRICS.namespace,
      metricName,
      dimensionsMap: { [METRICS.dimension]: names.lineage },
      statistic,
      period,
    });
  const alarms: cloudwatch.Alarm[] = [];

  if (props.targetGroup) {
    // Longer than the grace period: a task waiting at the gate is unhealthy by design.
    const periods = Math.ceil(props.healthCheckGraceSeconds / period.toSeconds()) + 1;
    alarms.push(
      new cloudwatch.Alarm(scope, 'ControllerNoHealthyHost', {
        alarmDescription: text(
          `no healthy Jenkins controller behind the load balancer for ${periods * period.toMinutes()} minutes`,
          `run \`jenkins-ecs status\`; a task waiting at the gate names its reason in the keeper's "gate decision" log line; otherwise read the Jenkins log stream (${names.jenkinsContainer}/...) for a boot failure`,
        ),
        metric: props.targetGroup.metrics.healthyHostCount({ statistic: 'Minimum', period }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: periods,
        // The load balancer stops reporting when no target is registered: that is "no healthy host".
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
      new cloudwatch.Alarm(scope, 'ControllerUnhealthyHost', {
        alarmDescription: text(
          `a Jenkins controller target failed health checks for ${periods * period.toMinutes()} minutes`,
          'check that /login answers 200 inside the task (Jenkins log stream: out of memory, a plugin failing to load); `jenkins-ecs status` shows whether the task is gated',
        ),
        metric: props.targetGroup.metrics.unhealthyHostCount({ statistic: 'Maximum', period }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: periods,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  // Head age matters only while a controller task runs (scaled to 0, the head ages by design);
  // ECS reports CPUUtilization only while the service has tasks. The reconciler emits the head
  // age only when a head exists, so a missing age is a fresh deployment (empty lineage, or a
  // seed that is not the head yet) and must stay silent: FILL(age, 0), missing = not breaching.
  // A silent reconciler is ReconcilerSilent's and ReconcilerFailing's job, not this alarm's.
  const thresholdSeconds = 2 * props.snapshots.intervalMinutes * 60;
  const running = new cloudwatch.Metric({
    namespace: 'AWS/ECS',
    metricName: 'CPUUtilization',
    dimensionsMap: { ClusterName: props.cluster.clusterName, ServiceName: props.names.service },
    statistic: 'SampleCount',
    period,
  });
  const headAge = new cloudwatch.MathExpression({
    label: 'Head age while the controller runs (s)',
    expression: 'IF(FILL(running, 0) > 0, FILL(age, 0), 0)',
    usingMetrics: { running, age: lineageMetric(METRICS.headAgeSeconds, 'Maximum') },
    period,
  });
  alarms.push(
    new cloudwatch.Alarm(scope, 'HeadTooOld', {
      alarmDescription: text(
        `the head (newest snapshot of the home) is older than 2 x ${props.snapshots.intervalMinutes} min while Jenkins runs; a crash now would lose more than one interval`,
        'read the keeper log stream (keeper/...) for snapshot errors or throttling; take one now with `jenkins-ecs snapshot --wait`',
      ),
      metric: headAge,
      threshold: thresholdSeconds,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
    new cloudwatch.Alarm(scope, 'SnapshotFailed', {
      alarmDescription: text(
        'a snapshot of the Jenkins home ended in error (the reconciler drops it from the lineage)',
        'one failure is retried by the next periodic snapshot; if it repeats, check the KMS key policy and EBS snapshot quotas, then `jenkins-ecs snapshot --wait`',
      ),
      metric: lineageMetric(METRICS.snapshotFailures, 'Sum'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
    // Liveness rests on the reconciler: a run that keeps failing must be seen, not only retried.
    new cloudwatch.Alarm(scope, 'ReconcilerFailing', {
      alarmDescription: text(
        'the reconciler failed in 3 consecutive 5-minute periods; the service may not follow the head, and a gated task is not rolled forward',
        `read the reconciler log group (errors name the AWS call and code); fix the cause (IAM, throttling, a missing resource) and it recovers on the next run`,
      ),
      metric: props.reconciler.metricErrors({ statistic: 'Sum', period }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
    // The schedule alone invokes it every 5 minutes, so no invocation for 15 minutes means the
    // rules or the function are broken; this does not rely on FILL above.
    new cloudwatch.Alarm(scope, 'ReconcilerSilent', {
      alarmDescription: text(
        'the reconciler has not run for 15 minutes though it is scheduled every 5',
        'check that the EventBridge rules of the stack are enabled and that the function is not throttled (Lambda concurrency quota); redeploy the stack if a rule was deleted',
      ),
      metric: props.reconciler.metricInvocations({ statistic: 'Sum', period: Duration.minutes(15) }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    }),
    // A stale start is how an unplanned task replacement ends (the new task starts from the
    // launch snapshot it was deployed with, waits at the gate, and the reconciler rolls it forward).
    // Planned deploys and restarts go through the handover and cause none, so one in an hour means
    // the controller was replaced outside it (see STALE_STARTS_ALARM_THRESHOLD).
    new cloudwatch.Alarm(scope, 'StaleStart', {
      alarmDescription: text(
        'a controller task started on a stale home: the controller was replaced outside the handover (a crash, a StopTask or forced new deployment, or a deploy that changed service settings); planned deploys and `jenkins-ecs restart` cause none',
        'run `jenkins-ecs status` (head, launch, service snapshot, the stopped task\'s reason); read the reconciler log for "rolled the service" lines and UpdateService errors; use `jenkins-ecs restart` for planned restarts',
      ),
      metric: lineageMetric(METRICS.staleStarts, 'Sum').with({ period: Duration.hours(1) }),
      threshold: STALE_STARTS_ALARM_THRESHOLD,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
  );
  for (const topic of props.topics ?? []) {
    const action = new cwActions.SnsAction(topic);
    for (const alarm of alarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }
  return alarms;
}
