import { CfnOutput, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { DeploymentNames } from '../config/names.js';
import type { MigrationConfig } from '../config/types.js';
import { TAGS } from '../continuity/model.js';
import { MIGRATE_CONTAINER, MIGRATE_ENV, MIGRATE_LABELS, MIGRATE_MOUNTS, MIGRATE_SOURCE_VOLUME, NFS_PORT } from '../migrate/events.js';
import { MIGRATION_TASK_CPU, MIGRATION_TASK_MEMORY_MIB } from '../migrate/preflight.js';
import { acknowledgeWildcards, clusterTaskArns, nagArn, nagText, snapshotArns } from './continuity-iam.js';
import { migrationImage } from './migration-image.js';
import { MigrationOperatorPolicy } from './migration-operator-policy.js';

export interface MigrationTaskProps {
  readonly names: DeploymentNames;
  /** The deployment's cluster; its VPC holds the EFS mount targets. */
  readonly cluster: ecs.ICluster;
  /** The file system (and access point) to copy from. */
  readonly source: MigrationConfig;
  /**
   * Role ECS uses to create the task's EBS volume (the controller's: it already has the home key).
   * `jenkins-ecs migrate` passes it in RunTask's volume configuration.
   */
  readonly infrastructureRole: iam.IRole;
  /**
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * @default - built at deploy time from migrate/Dockerfile with the bundle of src/migrate/main.ts
   */
  readonly image?: ecs.ContainerImage;
}

/**
 * The one-off task `jenkins-ecs migrate --from-efs` runs: it mounts the old EFS home read-only
 * (TLS, IAM authorization), copies it into a fresh ECS-managed EBS volume that RunTask configures
 * with the home's settings, verifies, and snapshots the volume as kind=seed. The stack only
 * registers it; nothing runs until the CLI starts it.
 *
 * The EFS side needs one rule from the user: on the mount targets' security group, inbound TCP
 * 2049 from {@link securityGroup} (output `MigrationSecurityGroupId`).
 */
export class MigrationTask extends Construct {
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  /** The security group RunTask gives the task: HTTPS out (AWS APIs, image pull) and NFS into the VPC. */
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly logGroup: logs.LogGroup;
  /** What `jenkins-ecs migrate --from-efs` needs on top of the operator policy (output `MigrationOperatorPolicyArn`). */
  public readonly operatorPolicy: MigrationOperatorPolicy;

  constructor(scope: Construct, id: string, props: MigrationTaskProps) {
    super(scope, id);
    const { names, source } = props;
    const stack = Stack.of(this);
    const vpc = props.cluster.vpc;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc,
      securityGroupName: names.migrationTask,
      description: `jenkins-ecs migrate (${names.lineage}): NFS to EFS, HTTPS to AWS APIs`,
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(ec2.Peer.ipv4(vpc.vpcCidrBlock), ec2.Port.tcp(NFS_PORT), 'NFS (TLS) to the EFS mount targets');
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs, ECR and CloudWatch Logs');
    Validations.of(this.securityGroup).acknowledge({
      id: 'AwsSolutions-EC23',
      reason: 'No inbound rule at all; the only 0.0.0.0/0 rule is egress HTTPS to AWS endpoints through the NAT gateway.',
    });

    const fileSystemArn = stack.formatArn({ service: 'elasticfilesystem', resource: 'file-system', resourceName: source.efsFileSystemId });
    const taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `jenkins-ecs migrate (${names.lineage}): read ${source.efsFileSystemId}, snapshot the seed`,
    });
    const volumes = stack.formatArn({ service: 'ec2', resource: 'volume', resourceName: '*' });
    const snapshots = snapshotArns(stack);
    const statements = [
      // Read-only: ClientMount without ClientWrite. Root access so root is not squashed and every
      // owner's files can be read (a file system policy may otherwise deny it).
      new iam.PolicyStatement({
        sid: 'MigrateReadSourceFileSystem',
        actions: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientRootAccess'],
        resources: [fileSystemArn],
        conditions: {
          Bool: { 'aws:SecureTransport': 'true', 'elasticfilesystem:AccessedViaMountTarget': 'true' },
          ...(source.efsAccessPointId
            ? {
                StringEquals: {
                  'elasticfilesystem:AccessPointArn': stack.formatArn({ service: 'elasticfilesystem', resource: 'access-point', resourceName: source.efsAccessPointId }),
                },
              }
            : {}),
        },
      }),
      // The volume side of CreateSnapshot: RunTask tags the volume with the lineage.
      new iam.PolicyStatement({
        sid: 'MigrateSnapshotLineageVolume',
        actions: ['ec2:CreateSnapshot'],
        resources: [volumes],
        conditions: { StringEquals: { [`aws:ResourceTag/${TAGS.lineage}`]: names.lineage } },
      }),
      // The snapshot side: born with the lineage and kind=seed, and no tag outside the protocol's.
      new iam.PolicyStatement({
        sid: 'MigrateSnapshotSeed',
        actions: ['ec2:CreateSnapshot'],
        resources: [snapshots],
        conditions: {
          StringEquals: { [`aws:RequestTag/${TAGS.lineage}`]: names.lineage, [`aws:RequestTag/${TAGS.kind}`]: 'seed' },
          'ForAllValues:StringEquals': { 'aws:TagKeys': [TAGS.lineage, TAGS.kind, TAGS.task, TAGS.source] },
        },
      }),
      new iam.PolicyStatement({
        sid: 'MigrateTagSnapshotOnCreate',
        actions: ['ec2:CreateTags'],
        resources: [snapshots],
        conditions: { StringEquals: { 'ec2:CreateAction': 'CreateSnapshot' } },
      }),
      new iam.PolicyStatement({
        sid: 'MigrateDescribeOwnTask',
        actions: ['ecs:DescribeTasks'],
        // A new task id every run: any task of the cluster, also conditioned on ecs:cluster.
        resources: [clusterTaskArns(stack, props.cluster)],
        conditions: { ArnEquals: { 'ecs:cluster': props.cluster.clusterArn } },
      }),
      new iam.PolicyStatement({
        sid: 'MigrateWaitForSeed',
        actions: ['ec2:DescribeSnapshots'],
        resources: ['*'],
      }),
    ];
    for (const statement of statements) taskRole.addToPrincipalPolicy(statement);
    acknowledgeWildcards(taskRole, [
      ['Resource::*', 'ec2:DescribeSnapshots supports no resource-level permissions.'],
      [`Resource::${nagText(stack, clusterTaskArns(stack, props.cluster))}`, 'The task describes itself, with a new id every run; any task of the deployment cluster, also conditioned on ecs:cluster.'],
      [`Resource::${nagArn(stack, 'volume/*', true)}`, 'The task volume gets a new id every run; CreateSnapshot is limited to volumes tagged with this lineage.'],
      [`Resource::${nagArn(stack, 'snapshot/*', false)}`, 'A new snapshot has no id yet; it must carry this lineage and kind=seed, and only protocol tag keys.'],
    ]);

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      family: names.migrationTask,
      cpu: MIGRATION_TASK_CPU,
      memoryLimitMiB: MIGRATION_TASK_MEMORY_MIB,
      taskRole,
      runtimePlatform: { operatingSystemFamily: ecs.OperatingSystemFamily.LINUX, cpuArchitecture: ecs.CpuArchitecture.X86_64 },
      volumes: [
        {
          name: MIGRATE_SOURCE_VOLUME,
          efsVolumeConfiguration: {
            fileSystemId: source.efsFileSystemId,
            transitEncryption: 'ENABLED',
            authorizationConfig: { iam: 'ENABLED', ...(source.efsAccessPointId ? { accessPointId: source.efsAccessPointId } : {}) },
          },
        },
        // RunTask supplies it: size, type, IOPS, throughput, file system, KMS key and tags of the home.
        { name: names.homeVolume, configuredAtLaunch: true },
      ],
    });
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const container = this.taskDefinition.addContainer('Migrate', {
      containerName: MIGRATE_CONTAINER,
      image: props.image ?? migrationImage(),
      essential: true,
      readonlyRootFilesystem: true,
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: MIGRATE_CONTAINER }),
      environment: {
        [MIGRATE_ENV.lineage]: names.lineage,
        [MIGRATE_ENV.cluster]: names.cluster,
        [MIGRATE_ENV.sourceMount]: MIGRATE_MOUNTS.source,
        [MIGRATE_ENV.target]: MIGRATE_MOUNTS.target,
      },
      // What `jenkins-ecs migrate` launches the task with, found next to the task definition.
      dockerLabels: {
        [MIGRATE_LABELS.infrastructureRole]: props.infrastructureRole.roleArn,
        [MIGRATE_LABELS.securityGroup]: this.securityGroup.securityGroupId,
      },
    });
    container.addMountPoints(
      { sourceVolume: MIGRATE_SOURCE_VOLUME, containerPath: MIGRATE_MOUNTS.source, readOnly: true },
      { sourceVolume: names.homeVolume, containerPath: MIGRATE_MOUNTS.target, readOnly: false },
    );
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason: 'The environment holds names and paths only; no secrets.',
    });
    Validations.of(this.taskDefinition.obtainExecutionRole()).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ecr:GetAuthorizationToken has no resource-level permissions; image pulls are scoped to the asset repository.',
    });

    this.operatorPolicy = new MigrationOperatorPolicy(this, 'OperatorPolicy', {
      names,
      cluster: props.cluster,
      source,
      taskDefinition: this.taskDefinition,
      infrastructureRole: props.infrastructureRole,
      logGroup: this.logGroup,
    });

    new CfnOutput(stack, 'MigrationSecurityGroupId', {
      value: this.securityGroup.securityGroupId,
      description: `Allow inbound TCP ${NFS_PORT} from this group on the EFS mount targets' security group, then run jenkins-ecs migrate`,
    });
  }
}
