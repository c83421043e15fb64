import { Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { JENKINS_HOME, RUN_DIR, type DeploymentNames } from '../config/names.js';
import type { HomeConfig, NotificationsConfig, SnapshotsConfig } from '../config/types.js';
import { MIN_GRACE_SECONDS } from '../config/grace.js';
import { SNAPSHOT_ID_PATTERN } from '../config/network.js';
import { KEEPER_ENV } from '../continuity/settings.js';
import { JenkinsEcsConstructError } from './errors.js';
import { addContinuityAlarms, createAlarmTopic } from './continuity-alarms.js';
import {
  acknowledgeWildcards,
  clusterTaskArns,
  createSnapshotStatements,
  describeEbsStatement,
  KEEPER_SNAPSHOT_KINDS,
  nagArn,
  nagText,
  recordStatement,
} from './continuity-iam.js';
import { addReconciler } from './continuity-reconciler.js';
import { HandoffBucket } from './handoff-bucket.js';
import { keeperImage } from './keeper-image.js';
import { LaunchSnapshot } from './launch-snapshot.js';

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
 * and is still short enough that a Jenkins that truly hangs gets replaced. JenkinsController
 * derives a longer one from the home's size (src/config/grace.ts, issue 10.8).
 */
export const MIN_HEALTH_CHECK_GRACE_SECONDS = MIN_GRACE_SECONDS;

/**
 * Whether ECS accepts `rate` as a managed EBS volume's `volumeInitializationRate`: a whole number
 * of MiB/s from 100 to 300. Shared by HomeContinuity and JenkinsController (each words its own error).
 */
export function isValidInitializationRate(rate: number): boolean {
  return Number.isInteger(rate) && rate >= 100 && rate <= 300;
}

export interface HomeContinuityProps {
  /** Names of the deployment (`deploymentNames(config.name)`). */
  readonly names: DeploymentNames;
  /** `controller.snapshots` of the resolved config. */
  readonly snapshots: SnapshotsConfig;
  /**
   * `controller.home` of the resolved config: seed snapshot and initialization rate (the launch),
   * and the customer managed key the handoff bucket shares with the home volume.
   */
  readonly home: Pick<HomeConfig, 'seedSnapshotId' | 'initializationRateMiBps' | 'kmsKeyArn'>;
  /** Cluster of the controller service. */
  readonly cluster: ecs.ICluster;
  /** The controller service; its `CfnService` gets the volume configuration from `LaunchSnapshot`. */
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
   * @default false (a topic is created anyway when `notifications.emails` is not empty)
   */
  readonly createAlarmTopic?: boolean;
  /**
   * Config `notifications`: e-mail addresses subscribed to the created alarm topic, and an
   * existing topic that also gets every alarm and OK notification. An existing topic encrypted
   * with a customer-managed key must let cloudwatch.amazonaws.com use that key.
   * @default - no subscriptions, no existing topic
   */
  readonly notifications?: NotificationsConfig;
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
   * Reserved concurrent executions of the reconciler (config `reconciler.reservedConcurrency`).
   * @default - none: the reconciler is correct under concurrent runs, and reserving fails in
   * accounts whose Lambda concurrency quota is 10
   */
  readonly reconcilerReservedConcurrency?: number;
  /**
   * TypeScript entry of the LaunchSnapshot handler (exports `onEvent` and `isComplete`).
   * @default - `src/launch/handler.ts` in this project
   */
  readonly launchEntry?: string;
  /**
   * Retention of the reconciler's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Makes the controller's ECS-managed EBS home durable across task replacement
 * (docs/protocol.md): the keeper sidecar and its permissions, the run-dir volume the
 * gate reads, the reconciler Lambda function with its triggers, the LaunchSnapshot resource that
 * decides the service's snapshot at deploy time, and the alarms.
 */
export class HomeContinuity extends Construct {
  public readonly keeperContainer: ecs.ContainerDefinition;
  /** Where the stopping keeper ships the handoff's delta (docs/design/handoff.md). */
  public readonly handoffBucket: HandoffBucket;
  public readonly reconciler: nodejs.NodejsFunction;
  /** The deploy-time decision of the snapshot the service launches from. */
  public readonly launch: LaunchSnapshot;
  public readonly alarms: readonly cloudwatch.Alarm[];
  /** The alarm topic, when one was given or created. */
  public readonly alarmTopic?: sns.ITopic;
  /** Every topic the alarms notify: `alarmTopic` and the existing `notifications.topicArn`. */
  public readonly alarmTopics: readonly sns.ITopic[];

  constructor(scope: Construct, id: string, props: HomeContinuityProps) {
    super(scope, id);
    validate(props);
    const stack = Stack.of(this);
    const cfnService = props.service.node.defaultChild;
    if (!(cfnService instanceof ecs.CfnService)) {
      throw new JenkinsEcsConstructError('HomeContinuity: service has no CfnService default child; pass the L2 FargateService of the controller');
    }
    // The reconciler and its rules name the service by its fixed name (never by Ref: issue 10.1).
    if (cfnService.serviceName !== props.names.service) {
      throw new JenkinsEcsConstructError(
        `HomeContinuity: the controller service is named ${JSON.stringify(cfnService.serviceName ?? null)}; ` +
          `set serviceName: "${props.names.service}" (deploymentNames(name).service), which the reconciler and the CLI use to find it`,
      );
    }

    this.handoffBucket = new HandoffBucket(this, 'HandoffBucket', { homeKeyArn: props.home.kmsKeyArn });
    this.keeperContainer = this.addKeeper(props);
    this.grantKeeper(props);
    this.launch = this.followLaunch(props, cfnService);
    this.reconciler = addReconciler(this, {
      ...props,
      entry: props.reconcilerEntry,
      reservedConcurrency: props.reconcilerReservedConcurrency,
    });

    const emails = props.notifications?.emails ?? [];
    // E-mail subscriptions need a topic of our own, whatever createAlarmTopic says.
    const create = (props.createAlarmTopic ?? false) || emails.length > 0;
    this.alarmTopic = props.alarmTopic ?? (create ? createAlarmTopic(this) : undefined);
    for (const email of emails) this.alarmTopic?.addSubscription(new subscriptions.EmailSubscription(email));
    const existing = props.notifications?.topicArn;
    this.alarmTopics = [
      ...(this.alarmTopic ? [this.alarmTopic] : []),
      ...(existing ? [sns.Topic.fromTopicArn(this, 'NotificationTopic', existing)] : []),
    ];
    this.alarms = addContinuityAlarms(this, {
      ...props,
      reconciler: this.reconciler,
      // The unhealthy alarms wait longer than the service's actual grace period.
      healthCheckGraceSeconds: Math.max(MIN_HEALTH_CHECK_GRACE_SECONDS, Number(stack.resolve(cfnService.healthCheckGracePeriodSeconds)) || 0),
      topics: this.alarmTopics,
    });

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
        [KEEPER_ENV.recordTable]: names.recordTable,
        [KEEPER_ENV.handoffBucket]: this.handoffBucket.bucketName,
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
      reason: 'The keeper environment holds names (the handoff bucket\'s included), paths and an interval only; no secrets.',
    });
    return keeper;
  }

  /** Keeper permissions on the controller task role, each scoped to this lineage. */
  private grantKeeper(props: HomeContinuityProps): void {
    const { names } = props;
    const stack = Stack.of(this);
    const role = props.taskDefinition.taskRole;
    // Snapshots carry the protocol's tags and nothing else, with a kind the keeper takes: the task
    // role is shared with Jenkins (and its script console), which must not forge `kind=seed` to
    // escape retention, nor add keys such as `promoted-at`.
    const statements = [
      ...createSnapshotStatements(stack, names.lineage, 'Keeper', KEEPER_SNAPSHOT_KINDS),
      // No CreateTags/DeleteTags on volumes: the holder is a lease in the lineage record, not a tag.
      new iam.PolicyStatement({
        sid: 'KeeperDescribeOwnTask',
        actions: ['ecs:DescribeTasks'],
        // Task ids change with every start: any task of this cluster (long ARN format).
        resources: [clusterTaskArns(stack, props.cluster)],
        conditions: { ArnEquals: { 'ecs:cluster': props.cluster.clusterArn } },
      }),
      describeEbsStatement('KeeperDescribeEbs'),
      recordStatement(stack, names, 'KeeperRecord', ['dynamodb:GetItem', 'dynamodb:PutItem']),
      ...this.handoffBucket.keeperStatements(names.lineage),
    ];
    for (const statement of statements) role.addToPrincipalPolicy(statement);
    acknowledgeWildcards(role, [
      ['Resource::*', 'ec2:DescribeSnapshots and ec2:DescribeVolumes support no resource-level permissions.'],
      [`Resource::${nagText(stack, clusterTaskArns(stack, props.cluster))}`, 'The keeper describes its own task, whose id is new with every start; any task of the controller cluster, also conditioned on ecs:cluster.'],
      [`Resource::${nagArn(stack, 'volume/*', true)}`, 'Home volumes get new ids with every task; CreateSnapshot is limited to volumes tagged with this lineage.'],
      [`Resource::${nagArn(stack, 'snapshot/*', false)}`, 'New snapshots have no id yet; the statements require the lineage tag on create or CreateAction = CreateSnapshot.'],
      [
        `Resource::${nagText(stack, this.handoffBucket.lineageObjects(names.lineage))}`,
        'Delta keys are <lineage>/<final snapshot id>.delta and the snapshot id is new with every handover: objects under this lineage\'s prefix of the handoff bucket only, Put and Get only.',
      ],
    ]);
  }

  /**
   * The service's `ManagedEBSVolume` comes from the LaunchSnapshot custom resource, which reads the
   * lineage record when the deploy replaces the controller task (launch-snapshot.ts,
   * src/continuity/launch.ts): the recorded launch while the service exists, else the completed
   * head, else the seed, else no snapshot. It replaces v0.1's SSM-typed `PointerSnapshotId` stack
   * parameter, which CloudFormation resolved when the change set was created and which needed the
   * pointer parameter to exist first.
   */
  private followLaunch(props: HomeContinuityProps, cfnService: ecs.CfnService): LaunchSnapshot {
    const configs = cfnService.volumeConfigurations;
    const first = Array.isArray(configs) ? (configs[0] as ecs.CfnService.ServiceVolumeConfigurationProperty | undefined) : undefined;
    const volume = first?.managedEbsVolume;
    if (volume === undefined || Token.isUnresolved(volume)) {
      throw new JenkinsEcsConstructError(
        'HomeContinuity: the controller service has no literal VolumeConfigurations[0].ManagedEBSVolume; set it on the CfnService (JenkinsController does) before adding HomeContinuity',
      );
    }
    // SnapshotId and VolumeInitializationRate are the resource's to decide.
    const { snapshotId: _snapshot, volumeInitializationRate: _rate, ...rest } = volume as ecs.CfnService.ServiceManagedEBSVolumeConfigurationProperty;
    const launch = new LaunchSnapshot(this, 'LaunchSnapshot', {
      names: props.names,
      cluster: props.cluster,
      taskDefinition: props.taskDefinition,
      managedEbsVolume: cfnKeys(rest) as Record<string, unknown>,
      home: props.home,
      infrastructureRole: props.infrastructureRole,
      entry: props.launchEntry,
      logRetention: props.logRetention,
    });
    // Assigned, not overridden: a property override would deep-merge the GetAtt into the object.
    cfnService.volumeConfigurations = [{ ...first, managedEbsVolume: launch.managedEbsVolume }, ...(configs as unknown[]).slice(1)] as ecs.CfnService.ServiceVolumeConfigurationProperty[];
    return launch;
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

/** An L1 property object with CloudFormation's keys (roleArn → RoleArn), undefined values dropped. */
function cfnKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cfnKeys);
  if (value === null || typeof value !== 'object' || Token.isUnresolved(value)) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), cfnKeys(v)]),
  );
}
