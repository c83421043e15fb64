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

/** Stale starts per hour that raise the StaleStart alarm; one per task replacement is normal. */
export const STALE_STARTS_ALARM_THRESHOLD = 3;

export interface ContinuityAlarmsProps {
  /** Names of the deployment (`deploymentNames(config.name)`). */
  readonly names: DeploymentNames;
  /** `controller.snapshots` of the resolved config: the head-age threshold derives from the interval. */
  readonly snapshots: SnapshotsConfig;
  /** Cluster of the controller service. */
  readonly cluster: ecs.ICluster;
  /** The controller service (its CPU metric tells whether a task runs). */
  readonly service: ecs.IBaseService;
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
   * Topic that receives alarm and OK notifications.
   * @default - the alarms have no actions
   */
  readonly topic?: sns.ITopic;
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
        alarmDescription: `jenkins-ecs ${names.lineage}: no healthy Jenkins controller behind the load balancer for ${periods * period.toMinutes()} minutes`,
        metric: props.targetGroup.metrics.healthyHostCount({ statistic: 'Minimum', period }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: periods,
        // The load balancer stops reporting when no target is registered: that is "no healthy host".
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
      new cloudwatch.Alarm(scope, 'ControllerUnhealthyHost', {
        alarmDescription: `jenkins-ecs ${names.lineage}: a Jenkins controller target failed health checks for ${periods * period.toMinutes()} minutes`,
        metric: props.targetGroup.metrics.unhealthyHostCount({ statistic: 'Maximum', period }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: periods,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  // Head age matters only while a controller task runs (scaled to 0, the head ages by design).
  // ECS reports CPUUtilization only while the service has tasks. While it does, a missing head
  // age means the reconciler is silent (it emits every 5 minutes), which counts as breaching.
  // That FILL also fills a series with no data point at all in the window is unverified; if it
  // does not, a silent reconciler leaves this alarm in OK (missing = not breaching), and the
  // ReconcilerSilent and ReconcilerFailing alarms are the signal.
  const thresholdSeconds = 2 * props.snapshots.intervalMinutes * 60;
  const running = new cloudwatch.Metric({
    namespace: 'AWS/ECS',
    metricName: 'CPUUtilization',
    dimensionsMap: { ClusterName: props.cluster.clusterName, ServiceName: props.service.serviceName },
    statistic: 'SampleCount',
    period,
  });
  const headAge = new cloudwatch.MathExpression({
    label: 'Head age while the controller runs (s)',
    expression: `IF(FILL(running, 0) > 0, FILL(age, ${thresholdSeconds + 1}), 0)`,
    usingMetrics: { running, age: lineageMetric(METRICS.headAgeSeconds, 'Maximum') },
    period,
  });
  alarms.push(
    new cloudwatch.Alarm(scope, 'HeadTooOld', {
      alarmDescription: `jenkins-ecs ${names.lineage}: the newest snapshot is older than 2 x ${props.snapshots.intervalMinutes} min while Jenkins runs; a crash now would lose more than one interval`,
      metric: headAge,
      threshold: thresholdSeconds,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
    new cloudwatch.Alarm(scope, 'SnapshotFailed', {
      alarmDescription: `jenkins-ecs ${names.lineage}: a snapshot of the Jenkins home failed`,
      metric: lineageMetric(METRICS.snapshotFailures, 'Sum'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
    // Liveness rests on the reconciler: a run that keeps failing must be seen, not only retried.
    new cloudwatch.Alarm(scope, 'ReconcilerFailing', {
      alarmDescription: `jenkins-ecs ${names.lineage}: the reconciler failed in 3 consecutive 5-minute periods; the service may not follow the head`,
      metric: props.reconciler.metricErrors({ statistic: 'Sum', period }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
    // The schedule alone invokes it every 5 minutes, so no invocation for 15 minutes means the
    // rules or the function are broken; this does not rely on FILL above.
    new cloudwatch.Alarm(scope, 'ReconcilerSilent', {
      alarmDescription: `jenkins-ecs ${names.lineage}: the reconciler has not run for 15 minutes though it is scheduled every 5`,
      metric: props.reconciler.metricInvocations({ statistic: 'Sum', period: Duration.minutes(15) }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    }),
    // A stale start is how every task replacement ends in v1 (the new task starts from the
    // pointer it was deployed with, waits at the gate, and the reconciler rolls it forward), so a
    // single one is normal. Several in an hour mean tasks keep coming up stale: the roll is not
    // taking effect (pointer, IAM, volume configuration), which is worth waking someone for.
    new cloudwatch.Alarm(scope, 'StaleStart', {
      alarmDescription: `jenkins-ecs ${names.lineage}: ${STALE_STARTS_ALARM_THRESHOLD} or more controller tasks started on a stale home within an hour (one per deploy or restart is expected); the service is not converging on the head`,
      metric: lineageMetric(METRICS.staleStarts, 'Sum').with({ period: Duration.hours(1) }),
      threshold: STALE_STARTS_ALARM_THRESHOLD,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
  );
  if (props.topic) {
    const action = new cwActions.SnsAction(props.topic);
    for (const alarm of alarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }
  return alarms;
}
