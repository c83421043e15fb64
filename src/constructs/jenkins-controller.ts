import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import { deploymentNames, JENKINS_HOME } from '../config/names.js';
import { controllerGraceSeconds } from '../config/grace.js';
import { SNAPSHOT_ID_PATTERN } from '../config/network.js';
import type { ControllerConfig } from '../config/types.js';
import { TAGS } from '../continuity/model.js';
import { controllerImage } from './controller-image.js';
import { JenkinsEcsConstructError } from './errors.js';
import { isValidInitializationRate } from './home-continuity.js';

/**
 * Seconds ECS ignores failing health checks after a task starts, for a home of `sizeGiB`: long
 * enough for a task waiting at the gate on a pending head, then a Jenkins boot (issue 10.8; the
 * budget and its trade-off are in src/config/grace.ts). Never below MIN_HEALTH_CHECK_GRACE_SECONDS
 * (= MIN_GRACE_SECONDS there), the least HomeContinuity accepts.
 */
export function controllerHealthCheckGraceSeconds(sizeGiB: number): number {
  return controllerGraceSeconds(sizeGiB);
}

/** The Jenkins HTTP port inside the task (UI, API and WebSocket agents). */
export const JENKINS_HTTP_PORT = 8080;

/** Name of the Cloud Map service the controller registers as. */
export const CONTROLLER_DISCOVERY_NAME = 'controller';

/** Environment variables the construct owns; `environment` may not override them. */
const RESERVED_ENV = ['JENKINS_URL', 'JENKINS_ADMIN_ID', 'JENKINS_ADMIN_PASSWORD', 'CASC_JENKINS_CONFIG'];

export interface JenkinsControllerProps {
  /** Deployment name (the config's `name`): physical names and the lineage come from it. */
  readonly name: string;
  /** Cluster to run the controller service in. */
  readonly cluster: ecs.ICluster;
  /** Controller sizing, image version and home volume settings. */
  readonly controller: ControllerConfig;
  /** Role the Jenkins (and sidecar) containers run as. */
  readonly taskRole: iam.IRole;
  /** Security group of the controller task. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** Secret holding JSON `{ "username": ..., "password": ... }` for the Jenkins admin. */
  readonly adminSecret: secretsmanager.ISecret;
  /** Public URL of Jenkins (JCasC `unclassified.location.url`). */
  readonly jenkinsUrl: string;
  /** Private DNS namespace the controller registers in, as `controller.<namespace>`. */
  readonly cloudMapNamespace: servicediscovery.IPrivateDnsNamespace;
  /**
   * Extra environment variables for the Jenkins container.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Extra JCasC files (file name → YAML text) baked into the image next to `casc/jenkins.yaml`.
   * @default - none
   */
  readonly extraCascFiles?: Readonly<Record<string, string>>;
  /**
   * Allow `aws ecs execute-command` into the controller task.
   * @default false
   */
  readonly enableExecuteCommand?: boolean;
  /**
   * Retention of the controller log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Subnets for the controller task.
   * @default - the cluster VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Container image for Jenkins.
   * @default - built at deploy time from jenkins/controller (plus `extraCascFiles`)
   */
  readonly image?: ecs.ContainerImage;
}

/**
 * The Jenkins controller: one Fargate task whose JENKINS_HOME is an ECS-managed EBS volume,
 * created by an explicit infrastructure role, registered in Cloud Map for the agents.
 */
export class JenkinsController extends Construct {
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  public readonly jenkinsContainer: ecs.ContainerDefinition;
  public readonly service: ecs.FargateService;
  /** The L1 service, for overrides of `VolumeConfigurations` (e.g. the launch snapshot's SnapshotId). */
  public readonly cfnService: ecs.CfnService;
  public readonly cluster: ecs.ICluster;
  /** Role ECS uses to create, attach and delete the home volume. */
  public readonly infrastructureRole: iam.Role;
  public readonly logGroup: logs.LogGroup;
  /** Task-definition volume name that ECS configures at launch with the EBS home. */
  public readonly homeVolumeName: string;
  /** URL agents use to reach the controller inside the VPC (WebSocket over HTTP). */
  public readonly privateUrl: string;

  constructor(scope: Construct, id: string, props: JenkinsControllerProps) {
    super(scope, id);
    validateControllerProps(props);
    const names = deploymentNames(props.name);
    const home = props.controller.home;
    this.cluster = props.cluster;
    this.homeVolumeName = names.homeVolume;
    this.privateUrl = controllerPrivateUrl(props.cloudMapNamespace.namespaceName);

    this.infrastructureRole = new iam.Role(this, 'InfrastructureRole', {
      assumedBy: new iam.ServicePrincipal('ecs.amazonaws.com'),
      description: `ECS infrastructure role for the ${names.service} EBS home volume`,
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonECSInfrastructureRolePolicyForVolumes'),
      ],
    });
    Validations.of(this.infrastructureRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonECSInfrastructureRolePolicyForVolumes]',
      reason:
        'AWS-maintained policy made for this role: it only manages volumes tagged AmazonECSCreated/AmazonECSManaged, which ECS sets itself.',
    });
    if (home.kmsKeyArn) this.grantKeyToInfrastructureRole(home.kmsKeyArn);

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      family: names.service,
      cpu: props.controller.cpu,
      memoryLimitMiB: props.controller.memoryMiB,
      taskRole: props.taskRole,
      runtimePlatform: {
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
      },
      // Only one configured-at-launch volume per revision; the service supplies it.
      volumes: [{ name: names.homeVolume, configuredAtLaunch: true }],
    });

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.jenkinsContainer = this.taskDefinition.addContainer('Jenkins', {
      containerName: names.jenkinsContainer,
      image:
        props.image ??
        controllerImage({ jenkinsVersion: props.controller.jenkinsVersion, extraCascFiles: props.extraCascFiles }),
      essential: true,
      // The home volume's files belong to the image's jenkins user; see docs/aws-notes.md.
      user: '1000:1000',
      portMappings: [{ containerPort: JENKINS_HTTP_PORT, name: 'http', protocol: ecs.Protocol.TCP }],
      // Fargate maximum: Jenkins gets time for a clean shutdown before the keeper's final snapshot.
      stopTimeout: Duration.seconds(120),
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: names.jenkinsContainer }),
      environment: { ...props.environment, JENKINS_URL: props.jenkinsUrl },
      secrets: {
        JENKINS_ADMIN_ID: ecs.Secret.fromSecretsManager(props.adminSecret, 'username'),
        JENKINS_ADMIN_PASSWORD: ecs.Secret.fromSecretsManager(props.adminSecret, 'password'),
      },
    });
    this.jenkinsContainer.addMountPoints({
      containerPath: JENKINS_HOME,
      sourceVolume: names.homeVolume,
      readOnly: false,
    });
    Validations.of(this.taskDefinition.obtainExecutionRole()).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ecr:GetAuthorizationToken has no resource-level permissions; image pulls are scoped to the asset repository.',
    });
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'Only non-secret settings (URLs, names) are plain environment variables; the admin credentials come from Secrets Manager as ECS secrets.',
    });

    this.service = new ecs.FargateService(this, 'Service', {
      serviceName: names.service,
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: 1,
      // One writer per home: never run old and new tasks side by side.
      minHealthyPercent: 0,
      maxHealthyPercent: 100,
      // A rollback returns to the previous task definition; the gate still refuses a stale home.
      circuitBreaker: { enable: true, rollback: true },
      platformVersion: ecs.FargatePlatformVersion.LATEST,
      // A single stateful task must not be moved between AZs by ECS; see docs/aws-notes.md.
      availabilityZoneRebalancing: ecs.AvailabilityZoneRebalancing.DISABLED,
      healthCheckGracePeriod: Duration.seconds(controllerHealthCheckGraceSeconds(home.sizeGiB)),
      enableExecuteCommand: props.enableExecuteCommand ?? false,
      securityGroups: [props.securityGroup],
      assignPublicIp: false,
      vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      cloudMapOptions: {
        cloudMapNamespace: props.cloudMapNamespace,
        name: CONTROLLER_DISCOVERY_NAME,
        dnsRecordType: servicediscovery.DnsRecordType.A,
        dnsTtl: Duration.seconds(10),
      },
    });
    this.cfnService = this.service.node.defaultChild as ecs.CfnService;
    this.cfnService.volumeConfigurations = [
      {
        name: names.homeVolume,
        managedEbsVolume: {
          roleArn: this.infrastructureRole.roleArn,
          encrypted: true,
          kmsKeyId: home.kmsKeyArn,
          volumeType: home.volumeType,
          sizeInGiB: home.sizeGiB,
          iops: home.volumeType === 'gp2' ? undefined : home.iops,
          throughput: home.volumeType === 'gp3' ? home.throughputMiBps : undefined,
          filesystemType: home.fileSystem,
          snapshotId: home.seedSnapshotId,
          // ECS accepts an initialization rate only together with a snapshot.
          volumeInitializationRate: home.seedSnapshotId ? home.initializationRateMiBps : undefined,
          tagSpecifications: [
            {
              resourceType: 'volume',
              // ECS adds its own AmazonECSCreated/AmazonECSManaged tags; these only add ours.
              tags: [
                { key: TAGS.lineage, value: names.lineage },
                { key: TAGS.service, value: names.service },
              ],
            },
          ],
        },
      },
    ];
    // Keep the role (and its policy) until the service and its tasks are gone: a task whose
    // infrastructure role disappears hangs in DEPROVISIONING; see docs/aws-notes.md.
    this.service.node.addDependency(this.infrastructureRole);
    // cfn-lint W3005 calls the role's DependsOn redundant next to the RoleArn GetAtt; it is kept on
    // purpose so the order survives if RoleArn ever stops being a direct reference.
    this.cfnService.addMetadata('cfn-lint', { config: { ignore_checks: ['W3005'] } });

    if (props.enableExecuteCommand) {
      Validations.of(props.taskRole).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'ECS Exec needs ssmmessages channels, which have no resource-level permissions.',
      });
    }
  }

  private grantKeyToInfrastructureRole(keyArn: string): void {
    const viaEc2 = { 'kms:ViaService': `ec2.${Stack.of(this).region}.amazonaws.com` };
    // An imported key's policy cannot be edited here: these are the IAM-side statements, and
    // the key policy must also allow the account (see README "Deploying to AWS" and docs/aws-notes.md).
    // DescribeKey without kms:ViaService: ECS itself describes the key (as this role) when it
    // validates the volume configuration, and that call does not come via EC2. Describing a key
    // reveals its metadata only, never key material.
    this.infrastructureRole.addToPolicy(
      new iam.PolicyStatement({ sid: 'HomeVolumeKeyDescribe', actions: ['kms:DescribeKey'], resources: [keyArn] }),
    );
    this.infrastructureRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'HomeVolumeKeyUse',
        // Decrypt is our addition (docs/aws-notes.md): the EBS user guide lists it for volumes
        // created from encrypted snapshots, which is every restore here.
        actions: ['kms:GenerateDataKey*', 'kms:ReEncryptTo', 'kms:ReEncryptFrom', 'kms:Decrypt'],
        resources: [keyArn],
        conditions: { StringEquals: viaEc2 },
      }),
    );
    this.infrastructureRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'HomeVolumeKeyGrant',
        actions: ['kms:CreateGrant'],
        resources: [keyArn],
        conditions: { StringEquals: viaEc2, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
    );
    Validations.of(this.infrastructureRole).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason: 'EBS encryption needs both GenerateDataKey variants; limited to the one home key and to calls made via EC2.',
    });
  }
}

/** `http://controller.<namespace>:8080/`: where agents reach the controller inside the VPC. */
export function controllerPrivateUrl(namespaceName: string): string {
  return `http://${CONTROLLER_DISCOVERY_NAME}.${namespaceName}:${JENKINS_HTTP_PORT}/`;
}

function validateControllerProps(props: JenkinsControllerProps): void {
  const home = props.controller.home;
  const fail = (message: string): never => {
    throw new JenkinsEcsConstructError(message);
  };
  if (home.throughputMiBps !== undefined && home.volumeType !== 'gp3') {
    fail(
      `controller.home.throughputMiBps: got ${home.throughputMiBps} with volumeType ${home.volumeType}; throughput applies to gp3 only, remove it or use gp3`,
    );
  }
  if ((home.volumeType === 'io1' || home.volumeType === 'io2') && home.iops === undefined) {
    fail(`controller.home.iops: required for volumeType ${home.volumeType}; set e.g. iops: 3000`);
  }
  const rate = home.initializationRateMiBps;
  if (rate !== undefined && !Token.isUnresolved(rate) && !isValidInitializationRate(rate)) {
    fail(`controller.home.initializationRateMiBps: got ${rate}; allowed 100..300 MiB/s, whole numbers`);
  }
  const seed = home.seedSnapshotId;
  if (seed !== undefined && !Token.isUnresolved(seed) && !SNAPSHOT_ID_PATTERN.test(seed)) {
    fail(`controller.home.seedSnapshotId: got "${seed}"; expected a snapshot id like snap-0123456789abcdef0`);
  }
  for (const key of Object.keys(props.environment ?? {})) {
    if (RESERVED_ENV.includes(key)) {
      fail(`environment: "${key}" is set by JenkinsController itself; remove it from environment`);
    }
  }
}
