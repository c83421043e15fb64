// Construct tests of the home-continuity machinery: the keeper sidecar wiring, its IAM, the
// reconciler Lambda function and its triggers, the pointer on the service's SnapshotId, the
// state stack, the alarms, cdk-nag and cfn-lint. One app with two deployments is synthesized
// once and shared by every assertion (synths are the slow part of this suite):
// - "ci":   seed snapshot + initialization rate, load balancer target group, created alarm topic;
// - "bare": no seed, an initialization rate, no target group, no topic, explicit account/region.
// The service scaffolding mirrors JenkinsController (L1 VolumeConfigurations with the lineage
// tag) without depending on it; the keeper and reconciler entries are tiny fixtures so this file
// tests the wiring, not those programs.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App, Duration, Stack, Tags, Validations, type CfnElement } from 'aws-cdk-lib';
import { buildApp } from '../../src/app.js';
import { loadConfigFile } from '../../src/config/index.js';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { deploymentNames, JENKINS_HOME, RUN_DIR, type DeploymentNames } from '../../src/config/names.js';
import type { HomeConfig } from '../../src/config/types.js';
import { KEEPER_ENV, METRICS, RECONCILER_ENV } from '../../src/continuity/settings.js';
import {
  HomeContinuity,
  MIN_HEALTH_CHECK_GRACE_SECONDS,
  RUN_VOLUME_NAME,
  type HomeContinuityProps,
} from '../../src/constructs/home-continuity.js';
import { STALE_STARTS_ALARM_THRESHOLD } from '../../src/constructs/continuity-alarms.js';
import { JenkinsState, RECORD_TABLE_LOGICAL_ID } from '../../src/constructs/jenkins-state.js';
import { KEEPER_BUNDLE_FILE, keeperImage, stageKeeperImage } from '../../src/constructs/keeper-image.js';
import { clusterTaskArns } from '../../src/constructs/continuity-iam.js';
import { snapshotTagList } from '../../src/aws/ec2-adapter.js';

const FIXTURES = resolve('test/constructs/fixtures');
const KEEPER_FIXTURE = { entry: join(FIXTURES, 'keeper-main.ts'), dockerfile: join(FIXTURES, 'keeper.Dockerfile') };
const RECONCILER_FIXTURE = join(FIXTURES, 'reconciler-handler.ts');
const SEED = 'snap-0123456789abcdef0';
const SNAPSHOTS = { intervalMinutes: 15, keepLast: 12, keepDailyDays: 14 };

interface Scaffold {
  readonly names: DeploymentNames;
  readonly cluster: ecs.Cluster;
  readonly service: ecs.FargateService;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly jenkinsContainer: ecs.ContainerDefinition;
  readonly infrastructureRole: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
}

/** A controller service shaped like JenkinsController's (names, L1 volume configuration, tags). */
function scaffold(stack: Stack, name: string, home: Pick<HomeConfig, 'seedSnapshotId' | 'initializationRateMiBps'>, graceSeconds: number): Scaffold {
  const names = deploymentNames(name);
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0123456789abcdef0',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    privateSubnetIds: ['subnet-0123456789abcdef1', 'subnet-0123456789abcdef2'],
  });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, clusterName: names.cluster, containerInsightsV2: ecs.ContainerInsights.ENABLED });
  const infrastructureRole = new iam.Role(stack, 'InfrastructureRole', {
    assumedBy: new iam.ServicePrincipal('ecs.amazonaws.com'),
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonECSInfrastructureRolePolicyForVolumes')],
  });
  Validations.of(infrastructureRole).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonECSInfrastructureRolePolicyForVolumes]',
    reason: 'test scaffold (JenkinsController owns the real one)',
  });
  const logGroup = new logs.LogGroup(stack, 'Logs', { retention: logs.RetentionDays.ONE_MONTH });
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'TaskDefinition', {
    cpu: 2048,
    memoryLimitMiB: 4096,
    volumes: [{ name: names.homeVolume, configuredAtLaunch: true }],
  });
  Validations.of(taskDefinition).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'test scaffold: ecr:GetAuthorizationToken' });
  const jenkinsContainer = taskDefinition.addContainer('Jenkins', {
    containerName: names.jenkinsContainer,
    image: ecs.ContainerImage.fromRegistry('jenkins/jenkins:2.516.3-lts-jdk21'),
    user: '1000:1000',
    portMappings: [{ containerPort: 8080 }],
    stopTimeout: Duration.seconds(120),
    logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: names.jenkinsContainer }),
  });
  jenkinsContainer.addMountPoints({ containerPath: JENKINS_HOME, sourceVolume: names.homeVolume, readOnly: false });
  const service = new ecs.FargateService(stack, 'Service', {
    serviceName: names.service,
    cluster,
    taskDefinition,
    desiredCount: 1,
    minHealthyPercent: 0,
    maxHealthyPercent: 100,
    healthCheckGracePeriod: Duration.seconds(graceSeconds),
  });
  (service.node.defaultChild as ecs.CfnService).volumeConfigurations = [
    {
      name: names.homeVolume,
      managedEbsVolume: {
        roleArn: infrastructureRole.roleArn,
        encrypted: true,
        sizeInGiB: 50,
        volumeType: 'gp3',
        filesystemType: 'xfs',
        // What JenkinsController sets on its own; HomeContinuity must take over these two.
        snapshotId: home.seedSnapshotId,
        volumeInitializationRate: home.seedSnapshotId ? home.initializationRateMiBps : undefined,
        tagSpecifications: [{ resourceType: 'volume', tags: [{ key: 'jenkins-ecs:lineage', value: names.lineage }] }],
      },
    },
  ];
  const alb = new elbv2.ApplicationLoadBalancer(stack, 'LoadBalancer', { vpc, internetFacing: false, dropInvalidHeaderFields: true });
  Validations.of(alb).acknowledge({ id: 'AwsSolutions-ELB2', reason: 'test scaffold' });
  const targetGroup = new elbv2.ApplicationTargetGroup(stack, 'TargetGroup', {
    vpc,
    port: 8080,
    protocol: elbv2.ApplicationProtocol.HTTP,
    targetType: elbv2.TargetType.IP,
    healthCheck: { path: '/login' },
  });
  service.loadBalancerTarget({ containerName: names.jenkinsContainer, containerPort: 8080 }).attachToApplicationTargetGroup(targetGroup);
  alb.addListener('Http', { port: 80, open: false, defaultTargetGroups: [targetGroup] });
  return { names, cluster, service, taskDefinition, jenkinsContainer, infrastructureRole, logGroup, targetGroup };
}

function continuityProps(s: Scaffold, home: HomeContinuityProps['home'], extra: Partial<HomeContinuityProps>): HomeContinuityProps {
  return {
    names: s.names,
    snapshots: SNAPSHOTS,
    home,
    cluster: s.cluster,
    service: s.service,
    taskDefinition: s.taskDefinition,
    jenkinsContainer: s.jenkinsContainer,
    infrastructureRole: s.infrastructureRole,
    logGroup: s.logGroup,
    keeperImage: keeperImage(KEEPER_FIXTURE),
    reconcilerEntry: RECONCILER_FIXTURE,
    ...extra,
  };
}

// ---- the shared app: synthesized once ----
const app = new App();
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
const ciState = new JenkinsState(app, 'CiState', { deploymentName: 'ci' });
Tags.of(ciState).add('team', 'ci-platform');
const ciStack = new Stack(app, 'Ci', { stackName: deploymentNames('ci').stack });
ciStack.addStackDependency(ciState);
const ciHome = { seedSnapshotId: SEED, initializationRateMiBps: 200 };
const ci = scaffold(ciStack, 'ci', ciHome, MIN_HEALTH_CHECK_GRACE_SECONDS);
const ciContinuity = new HomeContinuity(ciStack, 'HomeContinuity', continuityProps(ci, ciHome, { targetGroup: ci.targetGroup, createAlarmTopic: true }));

// An explicit environment: cdk-nag then names ARNs with the literal region and account, which
// the construct's acknowledgements must follow.
const bareStack = new Stack(app, 'Bare', { stackName: deploymentNames('bare').stack, env: { account: '123456789012', region: 'eu-west-1' } });
const bareHome = { initializationRateMiBps: 150 };
const bare = scaffold(bareStack, 'bare', bareHome, 1200);
new HomeContinuity(bareStack, 'HomeContinuity', continuityProps(bare, bareHome, {}));

const assembly = app.synth();
const ciT = Template.fromStack(ciStack);
const bareT = Template.fromStack(bareStack);
const stateT = Template.fromStack(ciState);

function containers(t: Template): Record<string, Record<string, unknown>> {
  const defs = Object.values(t.findResources('AWS::ECS::TaskDefinition'));
  assert.equal(defs.length, 1);
  const list = (defs[0]!.Properties as { ContainerDefinitions: Record<string, unknown>[] }).ContainerDefinitions;
  return Object.fromEntries(list.map((c) => [c.Name as string, c]));
}

interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Effect: string;
}
function policyStatements(t: Template, policyLogicalIdPrefix: string): Statement[] {
  const policies = t.findResources('AWS::IAM::Policy');
  const out: Statement[] = [];
  for (const [id, p] of Object.entries(policies)) {
    if (id.startsWith(policyLogicalIdPrefix)) {
      out.push(...((p.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement));
    }
  }
  return out;
}
function bySid(statements: Statement[], sid: string): Statement {
  const found = statements.filter((s) => s.Sid === sid);
  assert.equal(found.length, 1, `exactly one statement ${sid}`);
  return found[0]!;
}
const ciKeeper = policyStatements(ciT, 'TaskDefinitionTaskRoleDefaultPolicy');
const ciReconciler = policyStatements(ciT, 'HomeContinuityReconcilerRoleDefaultPolicy');

/** Runs cfn-lint (pip cfn-lint 1.x, on PATH or in the pyenv shims) and fails on any finding. */
function cfnLint(files: readonly string[]): void {
  const shims = join(homedir(), '.pyenv', 'shims');
  const PATH = existsSync(shims) ? `${process.env.PATH ?? ''}:${shims}` : process.env.PATH;
  const res = spawnSync('cfn-lint', ['--', ...files], { encoding: 'utf8', env: { ...process.env, PATH } });
  assert.equal(res.error, undefined, 'cfn-lint must be on PATH (pip cfn-lint 1.x)');
  assert.equal(res.status, 0, res.stdout + res.stderr);
}

describe('state stack and launch snapshot', () => {
  test('the state stack is named jenkins-ecs-<name>-state and holds only the record table, pinned to logical id RecordTable', () => {
    assert.equal(ciState.stackName, 'jenkins-ecs-ci-state');
    assert.equal(RECORD_TABLE_LOGICAL_ID, 'RecordTable');
    const resources = stateT.toJSON().Resources as Record<string, unknown>;
    assert.deepEqual(Object.keys(resources), ['RecordTable']);
  });

  test('a tag from above reaches the table (a tag change updates a table in place, no data lost)', () => {
    stateT.hasResourceProperties('AWS::DynamoDB::Table', { Tags: [{ Key: 'team', Value: 'ci-platform' }] });
  });

  test('the state stack refuses a rename', () => {
    const other = new App();
    assert.throws(() => new JenkinsState(other, 'B', { deploymentName: 'ci', stackName: 'mine' }), /leave stackName unset/);
  });

  test('a controller service under another name than deploymentNames(name).service is refused (the reconciler finds it by that name)', () => {
    const other = new App();
    const stack = new Stack(other, 'Other');
    const s = scaffold(stack, 'other', {}, MIN_HEALTH_CHECK_GRACE_SECONDS);
    assert.throws(
      () => new HomeContinuity(stack, 'HomeContinuity', continuityProps({ ...s, names: deploymentNames('renamed') }, {}, {})),
      /the controller service is named "jenkins-ecs-other-controller"; set serviceName: "jenkins-ecs-renamed-controller"/,
    );
  });

  test('the main stack depends on the state stack, so cdk deploy creates the record table before the main stack reads it', () => {
    const main = assembly.getStackArtifact(ciStack.artifactId);
    assert.ok(main.dependencies.some((d) => d.id === ciState.artifactId));
  });

  test('no SSM-typed stack parameter and no pointer condition are left in the main stack', () => {
    const params = (ciT.toJSON().Parameters ?? {}) as Record<string, unknown>;
    assert.deepEqual(Object.keys(params).filter((k) => k !== 'BootstrapVersion'), []);
    assert.equal((ciT.toJSON() as { Conditions?: unknown }).Conditions, undefined);
  });

  test('the service takes its ManagedEBSVolume from the LaunchSnapshot resource, which gets the static settings, the seed and the rate', () => {
    const launchId = ciStack.getLogicalId(ciContinuity.launch.resource.node.defaultChild as CfnElement);
    ciT.hasResourceProperties('AWS::ECS::Service', {
      VolumeConfigurations: [{ Name: 'jenkins-home', ManagedEBSVolume: { 'Fn::GetAtt': [launchId, 'ManagedEBSVolume'] } }],
    });
    ciT.hasResourceProperties('Custom::LaunchSnapshot', {
      SeedSnapshotId: SEED,
      InitializationRateMiBps: 200,
      ManagedEBSVolume: Match.objectEquals({
        RoleArn: ciStack.resolve(ci.infrastructureRole.roleArn),
        Encrypted: true,
        SizeInGiB: 50,
        VolumeType: 'gp3',
        FilesystemType: 'xfs',
        TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'jenkins-ecs:lineage', Value: 'ci' }] }],
      }),
    });
  });

  test('without a seed the resource gets no seed, only the rate (applied only with a snapshot)', () => {
    bareT.hasResourceProperties('Custom::LaunchSnapshot', { SeedSnapshotId: Match.absent(), InitializationRateMiBps: 150 });
  });
});

describe('keeper sidecar and gate wiring', () => {
  const c = containers(ciT);
  const keeper = c.keeper!;
  const jenkins = c.jenkins!;

  test('the keeper is essential, stops last with the Fargate maximum of 120 s, logs to awslogs and has a health check', () => {
    assert.equal(keeper.Essential, true);
    assert.equal(keeper.StopTimeout, 120);
    assert.deepEqual((keeper.LogConfiguration as { LogDriver: string }).LogDriver, 'awslogs');
    assert.deepEqual(keeper.HealthCheck, {
      Command: ['CMD', 'node', '/app/keeper.js', '--health'],
      Interval: 30,
      Timeout: 5,
      Retries: 3,
      StartPeriod: 60,
    });
  });

  test('the keeper gets its settings from the KEEPER_ENV names', () => {
    const env = Object.fromEntries((keeper.Environment as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]));
    assert.deepEqual(env, {
      [KEEPER_ENV.lineage]: 'ci',
      [KEEPER_ENV.cluster]: ciStack.resolve(ci.cluster.clusterName),
      [KEEPER_ENV.intervalMinutes]: '15',
      [KEEPER_ENV.homePath]: JENKINS_HOME,
      [KEEPER_ENV.runDir]: RUN_DIR,
      [KEEPER_ENV.jenkinsContainer]: 'jenkins',
      [KEEPER_ENV.recordTable]: 'jenkins-ecs-ci-lineage',
      [KEEPER_ENV.handoffBucket]: ciStack.resolve(ciContinuity.handoffBucket.bucketName),
    });
  });

  test('keeper and Jenkins mount the home at the same path and share a task-local run dir that Jenkins can only read', () => {
    assert.deepEqual(keeper.MountPoints, [
      { ContainerPath: JENKINS_HOME, SourceVolume: 'jenkins-home', ReadOnly: false },
      { ContainerPath: RUN_DIR, SourceVolume: RUN_VOLUME_NAME, ReadOnly: false },
    ]);
    assert.deepEqual(jenkins.MountPoints, [
      { ContainerPath: JENKINS_HOME, SourceVolume: 'jenkins-home', ReadOnly: false },
      { ContainerPath: RUN_DIR, SourceVolume: RUN_VOLUME_NAME, ReadOnly: true },
    ]);
    ciT.hasResourceProperties('AWS::ECS::TaskDefinition', {
      // No Host: a Fargate bind volume private to the task, empty at every start.
      Volumes: [{ Name: 'jenkins-home', ConfiguredAtLaunch: true }, Match.exact({ Name: RUN_VOLUME_NAME })],
    });
  });

  test('Jenkins depends on the keeper with condition START only (never HEALTHY: dependency waits cap at 120 s)', () => {
    assert.deepEqual(jenkins.DependsOn, [{ ContainerName: 'keeper', Condition: 'START' }]);
    for (const container of Object.values(c)) {
      for (const dep of (container.DependsOn as { Condition: string }[] | undefined) ?? []) {
        assert.notEqual(dep.Condition, 'HEALTHY');
      }
    }
  });

  test('the service grace period covers a stale wait at the gate, and a shorter one is refused at synth', () => {
    assert.ok(MIN_HEALTH_CHECK_GRACE_SECONDS >= 600);
    ciT.hasResourceProperties('AWS::ECS::Service', { HealthCheckGracePeriodSeconds: MIN_HEALTH_CHECK_GRACE_SECONDS });
    // Bundling skipped: this app only has to reach validation.
    const small = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(small, 'Short');
    const s = scaffold(stack, 'short', {}, 60);
    new HomeContinuity(stack, 'HomeContinuity', continuityProps(s, {}, { keeperImage: ecs.ContainerImage.fromRegistry('keeper:test') }));
    assert.throws(() => small.synth(), /grace period is 60 s; set it to at least 900 s/);
  });

  test('props outside the protocol ranges are refused with every problem named at once', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Bad');
    const s = scaffold(stack, 'bad', {}, 900);
    assert.throws(
      () =>
        new HomeContinuity(stack, 'HomeContinuity', {
          ...continuityProps(s, { seedSnapshotId: 'snapshot-1', initializationRateMiBps: 50 }, {}),
          snapshots: { intervalMinutes: 3, keepLast: 12, keepDailyDays: 14 },
        }),
      (err: Error) =>
        err.name === 'JenkinsEcsConstructError' &&
        /snapshots\.intervalMinutes is 3/.test(err.message) &&
        /initializationRateMiBps is 50/.test(err.message) &&
        /seedSnapshotId is "snapshot-1"/.test(err.message),
    );
  });
});

describe('keeper permissions (controller task role)', () => {
  const volumeArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':volume/*']] };
  const snapshotArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:', { Ref: 'AWS::Region' }, '::snapshot/*']] };

  test('CreateSnapshot only from volumes tagged with the lineage, into snapshots tagged with it', () => {
    const fromVolume = bySid(ciKeeper, 'KeeperSnapshotLineageVolume');
    assert.deepEqual([fromVolume.Action, fromVolume.Resource, fromVolume.Condition], [
      'ec2:CreateSnapshot',
      volumeArn,
      { StringEquals: { 'aws:ResourceTag/jenkins-ecs:lineage': 'ci' } },
    ]);
    const toSnapshot = bySid(ciKeeper, 'KeeperSnapshotTaggedWithLineage');
    assert.deepEqual([toSnapshot.Action, toSnapshot.Resource, toSnapshot.Condition], [
      'ec2:CreateSnapshot',
      snapshotArn,
      keeperSnapshotTags,
    ]);
  });

  // The task role is shared with Jenkins: no kind=seed (escapes retention), no extra tag key.
  const keeperSnapshotTags = {
    StringEquals: { 'aws:RequestTag/jenkins-ecs:lineage': 'ci', 'aws:RequestTag/jenkins-ecs:kind': ['periodic', 'final'] },
    'ForAllValues:StringEquals': { 'aws:TagKeys': ['jenkins-ecs:lineage', 'jenkins-ecs:kind', 'jenkins-ecs:task', 'jenkins-ecs:source'] },
  };

  test('snapshot tags only as part of CreateSnapshot, with the same tag restrictions', () => {
    const s = bySid(ciKeeper, 'KeeperTagSnapshotsOnCreate');
    assert.deepEqual([s.Action, s.Resource, s.Condition], [
      'ec2:CreateTags',
      snapshotArn,
      { ...keeperSnapshotTags, StringEquals: { ...keeperSnapshotTags.StringEquals, 'ec2:CreateAction': 'CreateSnapshot' } },
    ]);
  });

  test('the allowed snapshot tag keys are exactly the keys the EC2 adapter sends', () => {
    const sent = snapshotTagList({ lineage: 'ci', kind: 'periodic', task: 'arn:t', source: 'snap-1' }).map((t) => t.Key);
    assert.deepEqual(sent, keeperSnapshotTags['ForAllValues:StringEquals']['aws:TagKeys']);
  });

  test('no tag writes on volumes at all (the holder is a lease in the record), and CreateTags only on new snapshots', () => {
    const onVolumes = ciKeeper.filter((st) => [st.Action].flat().some((a) => a === 'ec2:CreateTags' || a === 'ec2:DeleteTags') && JSON.stringify(st.Resource) !== JSON.stringify(snapshotArn));
    assert.deepEqual(onVolumes.map((st) => st.Sid), []);
  });

  test('DescribeTasks only within the controller cluster; describe calls without resource-level support', () => {
    const tasks = bySid(ciKeeper, 'KeeperDescribeOwnTask');
    assert.deepEqual([tasks.Action, tasks.Resource, tasks.Condition], [
      'ecs:DescribeTasks',
      ciStack.resolve(clusterTaskArns(ciStack, ci.cluster)),
      { ArnEquals: { 'ecs:cluster': ciStack.resolve(ci.cluster.clusterArn) } },
    ]);
    const describe = bySid(ciKeeper, 'KeeperDescribeEbs');
    assert.deepEqual([describe.Action, describe.Resource, describe.Condition], [
      ['ec2:DescribeSnapshots', 'ec2:DescribeVolumes'],
      '*',
      undefined,
    ]);
  });

  test('the keeper gets nothing beyond its own statements and the describe calls (no unconditioned EC2 write)', () => {
    for (const s of ciKeeper) {
      const actions = ([] as string[]).concat(s.Action);
      const writes = actions.filter((a) => /^ec2:(Create|Delete)/.test(a));
      if (writes.length > 0) assert.ok(s.Condition, `${s.Sid ?? '?'} has a condition`);
    }
  });
});

describe('reconciler Lambda function', () => {
  const fnId = Object.keys(ciT.findResources('AWS::Lambda::Function')).find((id) => id.startsWith('HomeContinuityReconciler'))!;

  test('is bundled locally by esbuild (no Docker) into an asset with index.js', () => {
    const fn = ciT.findResources('AWS::Lambda::Function')[fnId]!;
    const key = ciStack.resolve((fn.Properties as { Code: { S3Key: unknown } }).Code.S3Key) as string;
    const dir = join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`);
    assert.ok(readdirSync(dir).includes('index.js'), `bundle in ${dir}`);
  });

  test('reserves no concurrency by default, has a bounded timeout, its env from RECONCILER_ENV and a log group with retention', () => {
    ciT.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      ReservedConcurrentExecutions: Match.absent(),
      Timeout: 60,
      Environment: {
        Variables: {
          [RECONCILER_ENV.lineage]: 'ci',
          [RECONCILER_ENV.cluster]: ciStack.resolve(ci.cluster.clusterName),
          // The fixed name, not the service's Ref (issue 10.1).
          [RECONCILER_ENV.service]: 'jenkins-ecs-ci-controller',
          [RECONCILER_ENV.recordTable]: 'jenkins-ecs-ci-lineage',
          [RECONCILER_ENV.keepLast]: '12',
          [RECONCILER_ENV.keepDailyDays]: '14',
          [RECONCILER_ENV.initializationRateMiBps]: '200',
        },
      },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^HomeContinuityReconcilerLogs') } },
    });
    ciT.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test('is triggered by snapshot notifications, by task changes of this cluster and service only, and every 5 minutes', () => {
    const target = Match.arrayWith([Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] } })]);
    ciT.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.ec2'], 'detail-type': ['EBS Snapshot Notification'], detail: { event: ['createSnapshot'] } },
      Targets: target,
    });
    ciT.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        detail: {
          clusterArn: [ciStack.resolve(ci.cluster.clusterArn)],
          group: ['service:jenkins-ecs-ci-controller'],
        },
      },
      Targets: target,
    });
    ciT.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)', Targets: target });
    ciT.resourcePropertiesCountIs('AWS::Lambda::Permission', { Principal: 'events.amazonaws.com' }, 3);
  });

  test('may update and describe this service only, and pass only the infrastructure role, only to ECS', () => {
    const service = ciStack.resolve(ciStack.formatArn({ service: 'ecs', resource: 'service', resourceName: `${ci.cluster.clusterName}/jenkins-ecs-ci-controller` }));
    const roll = bySid(ciReconciler, 'ReconcilerRollService');
    assert.deepEqual([roll.Action, roll.Resource, roll.Condition], [
      'ecs:UpdateService',
      service,
      {
        ArnEquals: { 'ecs:cluster': ciStack.resolve(ci.cluster.clusterArn) },
        ArnLikeIfExists: { 'ecs:task-definition': ciStack.resolve(ciStack.formatArn({ service: 'ecs', resource: 'task-definition', resourceName: 'jenkins-ecs-ci-controller:*' })) },
      },
    ]);
    const describe = bySid(ciReconciler, 'ReconcilerDescribeService');
    assert.deepEqual([describe.Action, describe.Resource, describe.Condition], ['ecs:DescribeServices', service, undefined]);
    const pass = bySid(ciReconciler, 'ReconcilerPassInfrastructureRole');
    assert.deepEqual([pass.Action, pass.Resource, pass.Condition], [
      'iam:PassRole',
      ciStack.resolve(ci.infrastructureRole.roleArn),
      { StringEquals: { 'iam:PassedToService': 'ecs.amazonaws.com' } },
    ]);
  });

  test('deletes only lineage snapshots, has no SSM permission (the v0.1 pointer is gone), describes EBS without resource scope', () => {
    const prune = bySid(ciReconciler, 'ReconcilerPruneLineage');
    assert.deepEqual([prune.Action, prune.Condition], ['ec2:DeleteSnapshot', { StringEquals: { 'aws:ResourceTag/jenkins-ecs:lineage': 'ci' } }]);
    assert.deepEqual(ciReconciler.filter((s) => [s.Action].flat().some((a) => a.startsWith('ssm:'))).map((s) => s.Sid), []);
    const describe = bySid(ciReconciler, 'ReconcilerDescribeEbs');
    assert.deepEqual([describe.Action, describe.Resource], [['ec2:DescribeSnapshots', 'ec2:DescribeVolumes'], '*']);
    for (const s of ciReconciler) {
      assert.ok(![s.Action].flat().some((a) => a.endsWith('*') || a === 'ecs:UpdateService' && s.Resource === '*'), `${s.Sid ?? '?'} is narrow`);
    }
  });
});

describe('alarms', () => {
  const lineageDims = [{ Name: METRICS.dimension, Value: 'ci' }];

  test('a snapshot failure alarms on the first occurrence', () => {
    ciT.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRICS.namespace,
      MetricName: METRICS.snapshotFailures,
      Dimensions: lineageDims,
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  test('one stale start within an hour alarms: planned deploys and restarts go through the handover and cause none', () => {
    ciT.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRICS.namespace,
      MetricName: METRICS.staleStarts,
      Dimensions: lineageDims,
      Statistic: 'Sum',
      Period: 3600,
      Threshold: STALE_STARTS_ALARM_THRESHOLD,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    assert.equal(STALE_STARTS_ALARM_THRESHOLD, 1);
  });

  test('head older than 2 x interval alarms only while the controller runs, and stays silent while no head exists', () => {
    ciT.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 2 * 15 * 60,
      ComparisonOperator: 'GreaterThanThreshold',
      Metrics: Match.arrayWith([
        // No head age (a fresh deployment, no head yet) counts as 0, never as old.
        Match.objectLike({ Expression: 'IF(FILL(running, 0) > 0, FILL(age, 0), 0)', ReturnData: true }),
        Match.objectLike({
          Id: 'running',
          MetricStat: Match.objectLike({
            Metric: {
              Namespace: 'AWS/ECS',
              MetricName: 'CPUUtilization',
              Dimensions: Match.arrayWith([{ Name: 'ServiceName', Value: 'jenkins-ecs-ci-controller' }]),
            },
          }),
        }),
        Match.objectLike({
          Id: 'age',
          MetricStat: Match.objectLike({
            Metric: { Namespace: METRICS.namespace, MetricName: METRICS.headAgeSeconds, Dimensions: lineageDims },
            Stat: 'Maximum',
            Period: 300,
          }),
        }),
      ]),
    });
  });

  test('controller unhealthy: no healthy or an unhealthy target for longer than the grace period', () => {
    const periods = Math.ceil(MIN_HEALTH_CHECK_GRACE_SECONDS / 300) + 1;
    ciT.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'HealthyHostCount',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: periods,
      TreatMissingData: 'breaching',
    });
    ciT.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'UnHealthyHostCount',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: periods,
    });
    // Without a target group there is nothing to watch: only the continuity alarms.
    bareT.resourceCountIs('AWS::CloudWatch::Alarm', 5);
  });

  test('a reconciler that keeps failing alarms (the service follows the head only through it)', () => {
    ciT.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: ciStack.resolve(ciContinuity.reconciler.functionName) }],
      Statistic: 'Sum',
      Threshold: 1,
      EvaluationPeriods: 3,
    });
  });

  test('a reconciler that stops running at all (no invocation in 15 minutes) alarms', () => {
    ciT.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Invocations',
      Dimensions: [{ Name: 'FunctionName', Value: ciStack.resolve(ciContinuity.reconciler.functionName) }],
      Statistic: 'Sum',
      Period: 900,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  test('a created alarm topic is KMS-encrypted and notified on alarm and OK', () => {
    ciT.resourceCountIs('AWS::CloudWatch::Alarm', 7);
    const topic = ciStack.resolve((ciContinuity.alarmTopic as { topicArn: string }).topicArn);
    ciT.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    ciT.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    ciT.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { AlarmActions: [topic], OKActions: [topic] }, 7);
    bareT.resourceCountIs('AWS::SNS::Topic', 0);
  });
});

describe('checks on the synthesized templates', () => {
  test('cdk-nag AwsSolutions reports nothing unacknowledged (synth would have thrown)', () => {
    // The app carries AwsSolutionsChecks; acknowledged findings are those of the scaffold above
    // and, in the construct, each next to its resource with a reason.
    assert.ok(assembly.stacks.length >= 3);
  });

  test('cfn-lint finds nothing in the state stack and the main stacks', { timeout: 120_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'home-continuity-lint-'));
    try {
      const files = [
        ['state.json', stateT],
        ['ci.json', ciT],
        ['bare.json', bareT],
      ].map(([file, t]) => {
        const path = join(dir, file as string);
        writeFileSync(path, JSON.stringify((t as Template).toJSON()));
        return path;
      });
      cfnLint(files);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('stateful resources keep their logical ids', () => {
    const ids = Object.keys(ciT.toJSON().Resources as Record<string, unknown>);
    for (const id of ['HomeContinuityReconcilerLogsCD20E366', 'HomeContinuityAlarmTopicKeyCCD9F122', 'HomeContinuityAlarmTopicFE51807D']) {
      assert.ok(ids.includes(id), `${id} in ${ids.filter((i) => i.startsWith('HomeContinuity')).join(', ')}`);
    }
  });
});

describe('keeper image staging', () => {
  test('bundles the entry with esbuild next to the Dockerfile, in a content-addressed folder', () => {
    const root = mkdtempSync(join(tmpdir(), 'keeper-stage-'));
    try {
      const first = stageKeeperImage({ ...KEEPER_FIXTURE, stagingRoot: root });
      assert.deepEqual(readdirSync(first, { recursive: true }).map(String).sort(), ['Dockerfile', 'dist', KEEPER_BUNDLE_FILE]);
      const run = spawnSync(process.execPath, [join(first, KEEPER_BUNDLE_FILE), '--health'], { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(JSON.parse(run.stdout), { msg: 'keeper fixture', args: ['--health'] });
      assert.equal(stageKeeperImage({ ...KEEPER_FIXTURE, stagingRoot: root }), first);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('a missing entry is refused with the path and the fix', () => {
    assert.throws(
      () => stageKeeperImage({ entry: join(FIXTURES, 'nope.ts'), dockerfile: KEEPER_FIXTURE.dockerfile }),
      /entry ".*nope\.ts" does not exist; run synth from the project root or pass entry explicitly/,
    );
  });
});

describe('composed by buildApp with homeContinuity (the real keeper and reconciler code)', () => {
  // One more synth: examples/production.yaml through the app entry, cdk-nag on, real bundles.
  const loaded = loadConfigFile('examples/production.yaml');
  if (!loaded.ok) throw new Error(`examples/production.yaml does not validate: ${JSON.stringify(loaded.errors)}`);
  const outdir = mkdtempSync(join(tmpdir(), 'home-continuity-app-'));
  const built = buildApp(loaded.config, { app: new App({ outdir }), env: { region: 'us-east-1' }, homeContinuity: true });
  const composed = built.app.synth();

  test('synthesizes with no unacknowledged cdk-nag finding, the state stack first', () => {
    assert.ok(built.stateStack);
    assert.equal(built.stateStack.stackName, 'jenkins-ecs-ci-prod-state');
    const main = composed.getStackArtifact(built.stack.artifactId);
    assert.ok(main.dependencies.some((d) => d.id === built.stateStack!.artifactId));
    const t = Template.fromStack(built.stack);
    t.hasResourceProperties('Custom::LaunchSnapshot', {
      InitializationRateMiBps: 300,
      ManagedEBSVolume: Match.objectLike({
        TagSpecifications: Match.arrayWith([Match.objectLike({ Tags: Match.arrayWith([{ Key: 'jenkins-ecs:lineage', Value: 'ci-prod' }]) })]),
      }),
    });
    t.hasResourceProperties('AWS::ECS::Service', {
      HealthCheckGracePeriodSeconds: Match.anyValue(),
      VolumeConfigurations: [{ Name: 'jenkins-home', ManagedEBSVolume: { 'Fn::GetAtt': [Match.stringLikeRegexp('LaunchSnapshot'), 'ManagedEBSVolume'] } }],
    });
  });

  test('the keeper image context holds the real keeper bundle where keeper/Dockerfile copies it from', () => {
    const dockerfile = readFileSync('keeper/Dockerfile', 'utf8');
    assert.match(dockerfile, new RegExp(`^COPY ${KEEPER_BUNDLE_FILE.replace('.', '\\.')} /app/keeper\\.js$`, 'm'));
    const images = readdirSync(outdir).filter((d) => d.startsWith('asset.') && existsSync(join(outdir, d, KEEPER_BUNDLE_FILE)));
    assert.equal(images.length, 1);
    assert.equal(readFileSync(join(outdir, images[0]!, 'Dockerfile'), 'utf8'), dockerfile);
    // The health check the task definition runs is one the keeper answers.
    assert.match(readFileSync(join(outdir, images[0]!, KEEPER_BUNDLE_FILE), 'utf8'), /--health/);
  });

  test('stateful resources of the deployed composition keep their logical ids', () => {
    const resources = Template.fromStack(built.stack).toJSON().Resources as Record<string, { Type: string }>;
    assert.equal(resources.JenkinsHomeContinuityReconcilerLogs61445C8F?.Type, 'AWS::Logs::LogGroup');
    assert.equal((Template.fromStack(built.stateStack!).toJSON().Resources as Record<string, { Type: string }>).RecordTable?.Type, 'AWS::DynamoDB::Table');
  });

  test('the reconciler bundle carries the AWS SDK it was tested with, not the runtime one', () => {
    const t = Template.fromStack(built.stack);
    const fns = t.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler', Runtime: 'nodejs24.x' } });
    const keys = Object.values(fns).map((f) => built.stack.resolve((f.Properties as { Code: { S3Key: unknown } }).Code.S3Key) as string);
    const bundles = keys.map((k) => join(outdir, `asset.${k.replace(/\.zip$/, '')}`, 'index.js')).filter((p) => existsSync(p));
    assert.equal(bundles.length, 1);
    const code = readFileSync(bundles[0]!, 'utf8');
    assert.match(code, /UpdateServiceCommand/);
    assert.doesNotMatch(code, /require\("@aws-sdk\/client-ecs"\)/);
  });

  test('the state stack and the main stack are cfn-lint clean', { timeout: 120_000 }, () => {
    cfnLint([join(outdir, built.stateStack!.templateFile), join(outdir, built.stack.templateFile)]);
  });
});
