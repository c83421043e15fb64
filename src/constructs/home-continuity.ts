import { resolve } from 'node:path';
import {
  ArnFormat,
  Aws,
  CfnCondition,
  CfnElement,
  CfnParameter,
  Duration,
  Fn,
  Stack,
  Token,
  Validations,
} from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { JENKINS_HOME, POINTER_NONE, RUN_DIR, type DeploymentNames } from '../config/names.js';
import type { HomeConfig, SnapshotsConfig } from '../config/types.js';
import { SNAPSHOT_ID_PATTERN } from '../config/network.js';
import { TAGS } from '../continuity/model.js';
import { KEEPER_ENV, METRICS, RECONCILER_ENV } from '../continuity/settings.js';
import { JenkinsEcsConstructError } from './errors.js';
import { PROJECT_ROOT, cachedNodejsFunction } from './bundle-cache.js';
import { keeperImage } from './keeper-image.js';


/** Stale starts per hour that raise the StaleStart alarm; one per task replacement is normal. */
export const STALE_STARTS_ALARM_THRESHOLD = 3;

/** Task-local bind volume where the keeper leaves its verdict for the gate. */
export const RUN_VOLUME_NAME = 'jenkins-ecs-run';

/**
 * Smallest health-check grace period the controller service may have.
 *
 * A task that starts on a stale volume waits at the gate, answering nothing, until the
 * reconciler replaces it. That wait is the predecessor's final snapshot completing (incremental
 * thanks to the periodic snapshots: usually a few minutes, allow 5) plus the reconciler's delay
 * (seconds on the snapshot event; at worst the 5-minute schedule), so about 10 minutes. If the
 * grace ran out first, ECS would kill the waiting task as unhealthy, start another equally stale
 * one, and count both towards the deployment circuit breaker. 15 minutes covers the wait with
 * margin (the fresh replacement gets its own grace for attach + keeper decision + Jenkins boot),
 * and is still short enough that a Jenkins that truly hangs gets replaced.
 */
export const MIN_HEALTH_CHECK_GRACE_SECONDS = 900;

/**
 * Whether ECS accepts `rate` as a managed EBS volume's `volumeInitializationRate`: a whole number
 * of MiB/s from 100 to 300. Shared by HomeContinuity and JenkinsController (each words its own error).
 */
export function isValidInitializationRate(rate: number): boolean {
  return Number.isInteger(rate) && rate >= 100 && rate <= 300;
}

/** How often the reconciler runs even when no event arrives. */
const RECONCILE_EVERY = Duration.minutes(5);

export interface HomeContinuityProps {
  /** Names of the deployment (`deploymentNames(config.name)`). */
  readonly names: DeploymentNames;
  /** `controller.snapshots` of the resolved config. */
  readonly snapshots: SnapshotsConfig;
  /** `controller.home` of the resolved config: seed snapshot and initialization rate are used here. */
  readonly home: Pick<HomeConfig, 'seedSnapshotId' | 'initializationRateMiBps'>;
  /** Cluster of the controller service. */
  readonly cluster: ecs.ICluster;
  /** The controller service; its `CfnService` gets the pointer-driven `SnapshotId`. */
  readonly service: ecs.FargateService;
  /** Task definition of the controller service; the keeper container is added to it. */
  readonly taskDefinition: ecs.FargateTaskDefinition;
  /** The Jenkins container, whose entrypoint is the gate. */
  readonly jenkinsContainer: ecs.ContainerDefinition;
  /** ECS infrastructure role of the managed EBS volume; the reconciler passes it on UpdateService. */
  readonly infrastructureRole: iam.IRole;
  /** Log group for the keeper container (stream prefix `keeper`). */
  readonly logGroup: logs.ILogGroup;
  /**
   * Target group of the controller, for the "controller unhealthy" alarms.
   * @default - no unhealthy alarms
   */
  readonly targetGroup?: elbv2.ApplicationTargetGroup;
  /**
   * Topic that receives alarm and OK notifications.
   * @default - none, unless `createAlarmTopic` is true
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Create an encrypted SNS topic (with its own KMS key) for the alarms; subscribe to it afterwards.
   * Ignored when `alarmTopic` is given.
   * @default false
   */
  readonly createAlarmTopic?: boolean;
  /**
   * Keeper sidecar image.
   * @default - built from `src/keeper/main.ts` and `keeper/Dockerfile` (see keeper-image.ts)
   */
  readonly keeperImage?: ecs.ContainerImage;
  /**
   * Health-check command of the keeper container.
   * @default ["CMD", "node", "/app/keeper.js", "--health"]
   */
  readonly keeperHealthCheckCommand?: readonly string[];
  /**
   * TypeScript entry of the reconciler Lambda function (export `handler`).
   * @default - `src/reconciler/handler.ts` in this project (found from this module, not the working directory)
   */
  readonly reconcilerEntry?: string;
  /**
   * Retention of the reconciler's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Makes the controller's ECS-managed EBS home durable across task replacement
 * (docs/protocol.md): the keeper sidecar and its permissions, the run-dir volume the
 * gate reads, the reconciler Lambda function with its triggers, the deploy-time pointer on the
 * service's `SnapshotId`, and the alarms.
 */
export class HomeContinuity extends Construct {
  public readonly keeperContainer: ecs.ContainerDefinition;
  public readonly reconciler: nodejs.NodejsFunction;
  /** The SSM-typed stack parameter that resolves the pointer when a change set is created. */
  public readonly pointer: CfnParameter;
  public readonly alarms: readonly cloudwatch.Alarm[];
  /** The alarm topic, when one was given or created. */
  public readonly alarmTopic?: sns.ITopic;

  constructor(scope: Construct, id: string, props: HomeContinuityProps) {
    super(scope, id);
    validate(props);
    const stack = Stack.of(this);
    const cfnService = props.service.node.defaultChild;
    if (!(cfnService instanceof ecs.CfnService)) {
      throw new JenkinsEcsConstructError('HomeContinuity: service has no CfnService default child; pass the L2 FargateService of the controller');
    }

    this.keeperContainer = this.addKeeper(props);
    this.grantKeeper(props);
    this.pointer = this.followPointer(props, cfnService);
    this.reconciler = this.addReconciler(props);

    this.alarmTopic = props.alarmTopic ?? (props.createAlarmTopic ? this.createAlarmTopic() : undefined);
    this.alarms = this.addAlarms(props);

    this.node.addValidation({
      validate: () => {
        const grace = stack.resolve(cfnService.healthCheckGracePeriodSeconds) as unknown;
        if (typeof grace === 'number' && grace >= MIN_HEALTH_CHECK_GRACE_SECONDS) return [];
        return [
          `HomeContinuity: the controller service's health-check grace period is ${String(grace)} s; ` +
            `set it to at least ${MIN_HEALTH_CHECK_GRACE_SECONDS} s so a task waiting at the gate is not killed as unhealthy`,
        ];
      },
    });
  }

  /** Keeper sidecar + the run-dir bind volume shared with the gate. */
  private addKeeper(props: HomeContinuityProps): ecs.ContainerDefinition {
    const { names, taskDefinition, jenkinsContainer } = props;
    const keeper = taskDefinition.addContainer(names.keeperContainer, {
      containerName: names.keeperContainer,
      image: props.keeperImage ?? keeperImage(),
      // If the keeper dies, nothing snapshots the home: the task must stop with it.
      essential: true,
      // The final snapshot happens in this window, after Jenkins has stopped (Fargate maximum).
      stopTimeout: Duration.seconds(120),
      logging: ecs.LogDrivers.awsLogs({ logGroup: props.logGroup, streamPrefix: 'keeper' }),
      healthCheck: {
        command: [...(props.keeperHealthCheckCommand ?? ['CMD', 'node', '/app/keeper.js', '--health'])],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(60),
      },
      environment: {
        [KEEPER_ENV.lineage]: names.lineage,
        [KEEPER_ENV.cluster]: props.cluster.clusterName,
        [KEEPER_ENV.intervalMinutes]: String(props.snapshots.intervalMinutes),
        [KEEPER_ENV.homePath]: JENKINS_HOME,
        [KEEPER_ENV.runDir]: RUN_DIR,
        [KEEPER_ENV.jenkinsContainer]: names.jenkinsContainer,
      },
    });
    // Read-write: `sync -f` must reach the home's filesystem; the keeper writes nothing there.
    keeper.addMountPoints({ sourceVolume: names.homeVolume, containerPath: JENKINS_HOME, readOnly: false });

    // A bind volume with no host path is task-local scratch on Fargate: it starts empty with
    // every task, so a marker can never outlive the decision that wrote it.
    taskDefinition.addVolume({ name: RUN_VOLUME_NAME });
    keeper.addMountPoints({ sourceVolume: RUN_VOLUME_NAME, containerPath: RUN_DIR, readOnly: false });
    // Jenkins only reads the markers; read-only so nothing in it can authorize itself.
    jenkinsContainer.addMountPoints({ sourceVolume: RUN_VOLUME_NAME, containerPath: RUN_DIR, readOnly: true });
    jenkinsContainer.addEnvironment(KEEPER_ENV.runDir, RUN_DIR);

    // START, never HEALTHY: dependency waits are capped at 120 s, the gate waits as long as it
    // takes. The dependency also reverses at shutdown: Jenkins stops first, the keeper last.
    jenkinsContainer.addContainerDependencies({ container: keeper, condition: ecs.ContainerDependencyCondition.START });
    Validations.of(taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason: 'The keeper environment holds names, paths and an interval only; no secrets.',
    });
    return keeper;
  }

  /** Keeper permissions on the controller task role, each scoped to this lineage. */
  private grantKeeper(props: HomeContinuityProps): void {
    const { names } = props;
    const stack = Stack.of(this);
    const role = props.taskDefinition.taskRole;
    const volumes = stack.formatArn({ service: 'ec2', resource: 'volume', resourceName: '*' });
    const snapshots = snapshotArns(stack);
    const statements = [
      // The volume side of CreateSnapshot: only volumes of this lineage (the service's volume
      // TagSpecifications put the lineage tag on every home volume).
      new iam.PolicyStatement({
        sid: 'KeeperSnapshotLineageVolume',
        actions: ['ec2:CreateSnapshot'],
        resources: [volumes],
        conditions: { StringEquals: { [`aws:ResourceTag/${TAGS.lineage}`]: names.lineage } },
      }),
      // The snapshot side: the new snapshot must carry the lineage tag from birth.
      new iam.PolicyStatement({
        sid: 'KeeperSnapshotTaggedWithLineage',
        actions: ['ec2:CreateSnapshot'],
        resources: [snapshots],
        conditions: { StringEquals: { [`aws:RequestTag/${TAGS.lineage}`]: names.lineage } },
      }),
      // Tags on snapshots only as part of CreateSnapshot: the keeper cannot retag history.
      new iam.PolicyStatement({
        sid: 'KeeperTagSnapshotsOnCreate',
        actions: ['ec2:CreateTags'],
        resources: [snapshots],
        conditions: { StringEquals: { 'ec2:CreateAction': 'CreateSnapshot' } },
      }),
      // The holder tag, on lineage volumes, and no other tag.
      new iam.PolicyStatement({
        sid: 'KeeperSetHolder',
        actions: ['ec2:CreateTags'],
        resources: [volumes],
        conditions: {
          StringEquals: {
            [`aws:ResourceTag/${TAGS.lineage}`]: names.lineage,
            [`aws:RequestTag/${TAGS.holder}`]: names.lineage,
          },
          'ForAllValues:StringEquals': { 'aws:TagKeys': [TAGS.holder] },
        },
      }),
      new iam.PolicyStatement({
        sid: 'KeeperClearHolder',
        actions: ['ec2:DeleteTags'],
        resources: [volumes],
        conditions: {
          StringEquals: { [`aws:ResourceTag/${TAGS.lineage}`]: names.lineage },
          'ForAllValues:StringEquals': { 'aws:TagKeys': [TAGS.holder] },
          // DeleteTags without a tag list deletes every tag, ECS's AmazonECSManaged included, and
          // ForAllValues holds on an empty list: require the list.
          Null: { 'aws:TagKeys': 'false' },
        },
      }),
      new iam.PolicyStatement({
        sid: 'KeeperDescribeOwnTask',
        actions: ['ecs:DescribeTasks'],
        // Task ids change with every start; the ecs:cluster condition is what limits this.
        resources: ['*'],
        conditions: { ArnEquals: { 'ecs:cluster': props.cluster.clusterArn } },
      }),
      describeEbsStatement('KeeperDescribeEbs'),
    ];
    for (const statement of statements) role.addToPrincipalPolicy(statement);
    acknowledgeWildcards(role, [
      ['Resource::*', 'ec2:DescribeSnapshots and ec2:DescribeVolumes support no resource-level permissions; ecs:DescribeTasks (own task, new id each start) is limited by the ecs:cluster condition.'],
      [`Resource::${nagArn(stack, 'volume/*', true)}`, 'Home volumes get new ids with every task; the statements are limited to volumes tagged with this lineage.'],
      [`Resource::${nagArn(stack, 'snapshot/*', false)}`, 'New snapshots have no id yet; the statements require the lineage tag on create or CreateAction = CreateSnapshot.'],
    ]);
  }

  /**
   * The service's `SnapshotId` follows the pointer at deploy time.
   *
   * Design: the pointer lives in the state stack (jenkins-state.ts), which is deployed first.
   * Here an `AWS::SSM::Parameter::Value<String>` stack parameter reads it; CloudFormation resolves
   * it when it creates each change set, so a `cdk deploy` sends the service to the snapshot the
   * reconciler (or a restore) last wrote, never back to an older one baked into the template.
   * - pointer `none` (no lineage snapshot yet): the seed snapshot if configured, else no
   *   snapshot at all (an empty home); the initialization rate only applies with a snapshot.
   * - otherwise: the pointer.
   * The reconciler can move the pointer between change-set creation and execution; the deploy
   * then starts a stale task, which the gate holds and the reconciler rolls forward, exactly as
   * after any other stop. The pointer saves a task start; correctness rests on the gate.
   */
  private followPointer(props: HomeContinuityProps, cfnService: ecs.CfnService): CfnParameter {
    const pointer = new CfnParameter(this, 'Pointer', {
      type: 'AWS::SSM::Parameter::Value<String>',
      default: props.names.pointerParameter,
      description: 'SSM parameter holding the snapshot id the controller home is created from (jenkins-ecs pointer). Leave the default.',
    });
    pointer.overrideLogicalId('PointerSnapshotId');
    const pointerIsNone = new CfnCondition(this, 'PointerIsNone', {
      expression: Fn.conditionEquals(pointer.valueAsString, POINTER_NONE),
    });
    pointerIsNone.overrideLogicalId('PointerIsNone');

    const seed = props.home.seedSnapshotId;
    const rate = props.home.initializationRateMiBps;
    const path = 'VolumeConfigurations.0.ManagedEBSVolume';
    cfnService.addPropertyOverride(
      `${path}.SnapshotId`,
      Fn.conditionIf(pointerIsNone.logicalId, seed ?? Aws.NO_VALUE, pointer.valueAsString),
    );
    if (rate !== undefined) {
      // ECS accepts a rate only together with a snapshot (see docs/aws-notes.md).
      cfnService.addPropertyOverride(
        `${path}.VolumeInitializationRate`,
        seed !== undefined ? rate : Fn.conditionIf(pointerIsNone.logicalId, Aws.NO_VALUE, rate),
      );
    } else {
      cfnService.addPropertyDeletionOverride(`${path}.VolumeInitializationRate`);
    }
    return pointer;
  }

  private addReconciler(props: HomeContinuityProps): nodejs.NodejsFunction {
    const { names } = props;
    const stack = Stack.of(this);
    const logGroup = new logs.LogGroup(this, 'ReconcilerLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    // An explicit role: only this log group, instead of the AWSLambdaBasicExecutionRole managed policy.
    const role = new iam.Role(this, 'ReconcilerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `jenkins-ecs ${names.lineage}: reconciler (rolls the controller service to the lineage head)`,
    });
    // Input-hashed code asset: an unchanged reconciler reuses the bundle of an earlier synth.
    const fn = cachedNodejsFunction(this, 'Reconciler', {
      entry: resolve(props.reconcilerEntry ?? resolve(PROJECT_ROOT, 'src/reconciler/handler.ts')),
      handler: 'handler',
      // Not 20.x: Lambda deprecated nodejs20.x on 2026-04-30 (cfn-lint W2531) and will refuse to
      // create it from 2027-02-01. The bundle targets Node 20 syntax, so it runs on either.
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      role,
      logGroup,
      memorySize: 256,
      // A run is a handful of API calls; a minute leaves room for throttling retries.
      timeout: Duration.minutes(1),
      // One reconciler at a time, so two runs never race to roll the same head.
      reservedConcurrentExecutions: 1,
      description: `jenkins-ecs ${names.lineage}: keeps the controller service's snapshotId on the lineage head`,
      environment: {
        [RECONCILER_ENV.lineage]: names.lineage,
        [RECONCILER_ENV.cluster]: props.cluster.clusterName,
        [RECONCILER_ENV.service]: props.service.serviceName,
        [RECONCILER_ENV.pointerParameter]: names.pointerParameter,
        [RECONCILER_ENV.keepLast]: String(props.snapshots.keepLast),
        [RECONCILER_ENV.keepDailyDays]: String(props.snapshots.keepDailyDays),
        ...(props.home.initializationRateMiBps !== undefined
          ? { [RECONCILER_ENV.initializationRateMiBps]: String(props.home.initializationRateMiBps) }
          : {}),
      },
      bundling: {
        // Synth and tests run without Docker: esbuild from node_modules.
        forceDockerBundling: false,
        target: 'node20',
        format: nodejs.OutputFormat.CJS,
        // Ship the SDK version the adapters are tested against, not whatever the runtime carries.
        bundleAwsSDK: true,
        // Unminified, so the code in the console reads like the source.
        minify: false,
      },
    });

    const pointerArn = stack.formatArn({
      service: 'ssm',
      resource: 'parameter',
      // The name starts with "/", which the ARN does not repeat.
      resourceName: names.pointerParameter.replace(/^\//, ''),
    });
    const statements = [
      new iam.PolicyStatement({
        sid: 'ReconcilerRollService',
        actions: ['ecs:UpdateService', 'ecs:DescribeServices'],
        resources: [props.service.serviceArn],
      }),
      new iam.PolicyStatement({
        sid: 'ReconcilerPassInfrastructureRole',
        actions: ['iam:PassRole'],
        resources: [props.infrastructureRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs.amazonaws.com' } },
      }),
      new iam.PolicyStatement({
        sid: 'ReconcilerPruneLineage',
        actions: ['ec2:DeleteSnapshot'],
        resources: [snapshotArns(stack)],
        conditions: { StringEquals: { [`aws:ResourceTag/${TAGS.lineage}`]: names.lineage } },
      }),
      new iam.PolicyStatement({
        sid: 'ReconcilerPointer',
        actions: ['ssm:GetParameter', 'ssm:PutParameter'],
        resources: [pointerArn],
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
    new events.Rule(this, 'OnSnapshot', {
      description: `jenkins-ecs ${names.lineage}: an EBS snapshot finished (the head may have moved)`,
      // Tags are not in the event; the reconciler looks the snapshot up (see docs/aws-notes.md).
      eventPattern: { source: ['aws.ec2'], detailType: ['EBS Snapshot Notification'], detail: { event: ['createSnapshot'] } },
      targets: [target],
    });
    new events.Rule(this, 'OnTaskChange', {
      description: `jenkins-ecs ${names.lineage}: a controller task changed state`,
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: { clusterArn: [props.cluster.clusterArn], group: [`service:${props.service.serviceName}`] },
      },
      targets: [target],
    });
    new events.Rule(this, 'Schedule', {
      description: `jenkins-ecs ${names.lineage}: reconcile even when no event arrives`,
      schedule: events.Schedule.rate(RECONCILE_EVERY),
      targets: [target],
    });
    return fn;
  }

  private createAlarmTopic(): sns.ITopic {
    const key = new kms.Key(this, 'AlarmTopicKey', {
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
    return new sns.Topic(this, 'AlarmTopic', { masterKey: key, enforceSSL: true });
  }

  private addAlarms(props: HomeContinuityProps): cloudwatch.Alarm[] {
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
      const periods = Math.ceil(MIN_HEALTH_CHECK_GRACE_SECONDS / period.toSeconds()) + 1;
      alarms.push(
        new cloudwatch.Alarm(this, 'ControllerNoHealthyHost', {
          alarmDescription: `jenkins-ecs ${names.lineage}: no healthy Jenkins controller behind the load balancer for ${periods * period.toMinutes()} minutes`,
          metric: props.targetGroup.metrics.healthyHostCount({ statistic: 'Minimum', period }),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: periods,
          // The load balancer stops reporting when no target is registered: that is "no healthy host".
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        }),
        new cloudwatch.Alarm(this, 'ControllerUnhealthyHost', {
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
      new cloudwatch.Alarm(this, 'HeadTooOld', {
        alarmDescription: `jenkins-ecs ${names.lineage}: the newest snapshot is older than 2 x ${props.snapshots.intervalMinutes} min while Jenkins runs; a crash now would lose more than one interval`,
        metric: headAge,
        threshold: thresholdSeconds,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'SnapshotFailed', {
        alarmDescription: `jenkins-ecs ${names.lineage}: a snapshot of the Jenkins home failed`,
        metric: lineageMetric(METRICS.snapshotFailures, 'Sum'),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      // Liveness rests on the reconciler: a run that keeps failing must be seen, not only retried.
      new cloudwatch.Alarm(this, 'ReconcilerFailing', {
        alarmDescription: `jenkins-ecs ${names.lineage}: the reconciler failed in 3 consecutive 5-minute periods; the service may not follow the head`,
        metric: this.reconciler.metricErrors({ statistic: 'Sum', period }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      // The schedule alone invokes it every 5 minutes, so no invocation for 15 minutes means the
      // rules or the function are broken; this does not rely on FILL above.
      new cloudwatch.Alarm(this, 'ReconcilerSilent', {
        alarmDescription: `jenkins-ecs ${names.lineage}: the reconciler has not run for 15 minutes though it is scheduled every 5`,
        metric: this.reconciler.metricInvocations({ statistic: 'Sum', period: Duration.minutes(15) }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
      // A stale start is how every task replacement ends in v1 (the new task starts from the
      // pointer it was deployed with, waits at the gate, and the reconciler rolls it forward), so a
      // single one is normal. Several in an hour mean tasks keep coming up stale: the roll is not
      // taking effect (pointer, IAM, volume configuration), which is worth waking someone for.
      new cloudwatch.Alarm(this, 'StaleStart', {
        alarmDescription: `jenkins-ecs ${names.lineage}: ${STALE_STARTS_ALARM_THRESHOLD} or more controller tasks started on a stale home within an hour (one per deploy or restart is expected); the service is not converging on the head`,
        metric: lineageMetric(METRICS.staleStarts, 'Sum').with({ period: Duration.hours(1) }),
        threshold: STALE_STARTS_ALARM_THRESHOLD,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    if (this.alarmTopic) {
      const action = new cwActions.SnsAction(this.alarmTopic);
      for (const alarm of alarms) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
    return alarms;
  }
}

function validate(props: HomeContinuityProps): void {
  const { intervalMinutes, keepLast, keepDailyDays } = props.snapshots;
  const problems: string[] = [];
  if (!Number.isInteger(intervalMinutes) || intervalMinutes < 5 || intervalMinutes > 1440) {
    problems.push(`snapshots.intervalMinutes is ${intervalMinutes}; use a whole number of minutes from 5 to 1440`);
  }
  if (!Number.isInteger(keepLast) || keepLast < 1) {
    problems.push(`snapshots.keepLast is ${keepLast}; keep at least 1 snapshot`);
  }
  if (!Number.isInteger(keepDailyDays) || keepDailyDays < 0) {
    problems.push(`snapshots.keepDailyDays is ${keepDailyDays}; use a whole number of days, 0 or more`);
  }
  const rate = props.home.initializationRateMiBps;
  if (rate !== undefined && !isValidInitializationRate(rate)) {
    problems.push(`home.initializationRateMiBps is ${rate}; ECS accepts 100 to 300 MiB/s, or leave it unset`);
  }
  const seed = props.home.seedSnapshotId;
  if (seed !== undefined && !Token.isUnresolved(seed) && !SNAPSHOT_ID_PATTERN.test(seed)) {
    problems.push(`home.seedSnapshotId is "${seed}"; use a snapshot id like snap-0123456789abcdef0`);
  }
  if (problems.length > 0) {
    throw new JenkinsEcsConstructError(`HomeContinuity: ${problems.join('; ')}`);
  }
}

/** All snapshots of this region: snapshot ARNs carry no account. */
function snapshotArns(stack: Stack): string {
  return stack.formatArn({ service: 'ec2', resource: 'snapshot', resourceName: '*', account: '', arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
}

function describeEbsStatement(sid: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid,
    actions: ['ec2:DescribeSnapshots', 'ec2:DescribeVolumes'],
    resources: ['*'],
  });
}

/**
 * An EC2 ARN as cdk-nag spells it in a finding id: pseudo parameters as `<AWS::Region>` etc.,
 * concrete values when the stack has an explicit environment.
 */
function nagArn(stack: Stack, resource: string, withAccount: boolean): string {
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = withAccount ? (Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account) : '';
  const partition = Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition;
  return `arn:${partition}:ec2:${region}:${account}:${resource}`;
}

/** cdk-nag AwsSolutions-IAM5 acknowledgements for the wildcards above, on the role's policy. */
function acknowledgeWildcards(role: iam.IRole, findings: readonly (readonly [string, string])[]): void {
  for (const [finding, reason] of findings) {
    Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
  }
}
