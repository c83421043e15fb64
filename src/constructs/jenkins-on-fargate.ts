import { CfnOutput, type CfnOutputProps, CfnResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import { FactName } from 'aws-cdk-lib/region-info';
import { deploymentNames } from '../config/names.js';
import type { JenkinsEcsConfig } from '../config/types.js';
import { JenkinsEcsConstructError } from './errors.js';
import { controllerPrivateUrl, JENKINS_HTTP_PORT, JenkinsController } from './jenkins-controller.js';
import { JenkinsAgents } from './jenkins-agents.js';
import { HomeContinuity } from './home-continuity.js';
import { MigrationTask } from './migration-task.js';
import { OperatorPolicy } from './operator-policy.js';
import { createOrImportVpc } from './deployment-vpc.js';

/** Jenkins admin user created by JCasC; the generated secret stores it next to the password. */
/** The main stack's output keys, exactly as `cdk deploy --outputs-file` and the console show them. */
export const JENKINS_OUTPUT_KEYS = ['Url', 'AdminSecretArn', 'ClusterName', 'ServiceName', 'LogGroupName', 'OperatorPolicyArn'] as const;
export type JenkinsOutputKey = (typeof JENKINS_OUTPUT_KEYS)[number];

export const ADMIN_USER_NAME = 'admin';

export interface JenkinsOnFargateProps {
  /** The validated jenkins-ecs configuration. */
  readonly config: JenkinsEcsConfig;
  /**
   * Allow `aws ecs execute-command` into the controller task.
   * @default false
   */
  readonly enableExecuteCommand?: boolean;
  /**
   * Use this VPC instead of creating one or looking up `config.vpc.id`.
   * @default - `config.vpc.id` looked up (needs account and region), else a new VPC
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Retention of the log groups (controller, VPC flow logs).
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Add the home-continuity machinery (keeper sidecar, gate run dir, reconciler, the service's
   * snapshotId from the lineage record, alarms). Without it a restarted task comes back with stale
   * data. The stack then uses the record table of the JenkinsState stack, so deploy that first.
   * @default true
   */
  readonly homeContinuity?: boolean;
}

/**
 * Everything a Jenkins-on-Fargate deployment needs: network, cluster, load balancer, DNS,
 * admin secret and the controller with its EBS home.
 */
export class JenkinsOnFargate extends Construct {
  public readonly vpc: ec2.IVpc;
  public readonly cluster: ecs.Cluster;
  public readonly cloudMapNamespace: servicediscovery.PrivateDnsNamespace;
  public readonly controllerSecurityGroup: ec2.SecurityGroup;
  public readonly controllerTaskRole: iam.Role;
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  public readonly loadBalancerSecurityGroup: ec2.SecurityGroup;
  public readonly targetGroup: elbv2.ApplicationTargetGroup;
  public readonly adminSecret: secretsmanager.Secret;
  public readonly controller: JenkinsController;
  /** Keeper sidecar, reconciler, record-driven SnapshotId and alarms of the EBS home (when enabled). */
  public readonly continuity?: HomeContinuity;
  /** Fargate build agents (amazon-ecs plugin); `agents.agentTaskRole(label)` gives builds AWS permissions. */
  public readonly agents: JenkinsAgents;
  /** The one-off task of `jenkins-ecs migrate --from-efs` (only with `migration` in the config). */
  public readonly migration?: MigrationTask;
  /** Managed policy for the people and jobs that run the `jenkins-ecs` CLI against this deployment. */
  public readonly operatorPolicy: OperatorPolicy;
  /** Where users reach Jenkins. */
  public readonly url: string;
  /** Where agents reach the controller inside the VPC: `http://controller.<namespace>:8080/`. */
  public readonly privateUrl: string;

  constructor(scope: Construct, id: string, props: JenkinsOnFargateProps) {
    super(scope, id);
    const config = props.config;
    const access = config.access;
    const names = deploymentNames(config.name);
    const retention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    if (access.hostedZoneId && !access.domainName) {
      throw new JenkinsEcsConstructError(
        `access.hostedZoneId: got "${access.hostedZoneId}" without access.domainName; set the domain name the record should have`,
      );
    }

    // Order matters for readers and for the agents wiring: vpc → cluster → controller security
    // group → controller task role → agents → controller.
    this.vpc = props.vpc ?? createOrImportVpc(this, config, retention);

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      clusterName: names.cluster,
      vpc: this.vpc,
      // Agents run on FARGATE or FARGATE_SPOT through capacity provider strategies.
      enableFargateCapacityProviders: true,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    this.cloudMapNamespace = new servicediscovery.PrivateDnsNamespace(this, 'Namespace', {
      name: `${config.name}.jenkins.internal`,
      vpc: this.vpc,
      description: `Private names of the ${names.stack} Jenkins controller`,
    });
    this.privateUrl = controllerPrivateUrl(this.cloudMapNamespace.namespaceName);

    this.controllerSecurityGroup = new ec2.SecurityGroup(this, 'ControllerSecurityGroup', {
      vpc: this.vpc,
      description: `Jenkins controller ${names.service}: HTTP from the load balancer only`,
      // Pulls images and plugins' dependencies, calls AWS APIs and the Jenkins update center.
      allowAllOutbound: true,
    });
    this.controllerTaskRole = new iam.Role(this, 'ControllerTaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `Task role of the Jenkins controller ${names.service}`,
    });

    // Agents slot: the agents construct adds JCasC files and environment for the controller here.
    this.agents = new JenkinsAgents(this, 'Agents', {
      name: config.name,
      vpc: this.vpc,
      cluster: this.cluster,
      controllerTaskRole: this.controllerTaskRole,
      controllerSecurityGroup: this.controllerSecurityGroup,
      agents: config.agents,
      jenkinsUrl: this.privateUrl,
      controllerPort: JENKINS_HTTP_PORT,
      logRetention: retention,
    });
    const extraCascFiles: Record<string, string> = { 'agents.yaml': this.agents.cascYaml };
    const controllerEnvironment: Record<string, string> = { ...this.agents.environment };

    this.loadBalancerSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: this.vpc,
      description: `Load balancer of ${names.stack}: HTTP(S) from the allowed CIDR ranges`,
      allowAllOutbound: false,
    });
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      internetFacing: !access.internal,
      vpcSubnets: { subnetType: access.internal ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PUBLIC },
      securityGroup: this.loadBalancerSecurityGroup,
      dropInvalidHeaderFields: true,
    });
    this.logAccessLogs(this.createAccessLogBucket(), 'alb');

    const zone = access.hostedZoneId
      ? route53.HostedZone.fromHostedZoneAttributes(this, 'HostedZone', {
          hostedZoneId: access.hostedZoneId,
          // The zone's apex is not in the config; records are written with the full domain name.
          zoneName: access.domainName ?? '',
        })
      : undefined;
    const certificate = this.certificate(access.certificateArn, access.domainName, zone);
    const https = certificate !== undefined;
    for (const cidr of access.allowedCidrs) {
      const peer = cidr.includes(':') ? ec2.Peer.ipv6(cidr) : ec2.Peer.ipv4(cidr);
      this.loadBalancerSecurityGroup.addIngressRule(peer, ec2.Port.tcp(80), `HTTP from ${cidr}`);
      if (https) this.loadBalancerSecurityGroup.addIngressRule(peer, ec2.Port.tcp(443), `HTTPS from ${cidr}`);
    }
    if (access.allowedCidrs.some((c) => c === '0.0.0.0/0' || c === '::/0')) {
      Validations.of(this.loadBalancerSecurityGroup).acknowledge({
        id: 'AwsSolutions-EC23',
        reason: 'access.allowedCidrs opens Jenkins to the internet on purpose; Jenkins itself requires a login.',
      });
    }

    const host = access.domainName ?? this.loadBalancer.loadBalancerDnsName;
    this.url = https ? `https://${host}/` : `http://${host}/`;

    this.adminSecret = new secretsmanager.Secret(this, 'AdminSecret', {
      description: `Jenkins admin login of ${names.stack} (JCasC reads it at every boot)`,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: ADMIN_USER_NAME }),
        generateStringKey: 'password',
        passwordLength: 32,
        excludePunctuation: true,
      },
    });
    Validations.of(this.adminSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Jenkins applies the admin password only at boot through JCasC; rotating it would need a controller restart, so it is rotated by hand.',
    });

    this.controller = new JenkinsController(this, 'Controller', {
      name: config.name,
      cluster: this.cluster,
      controller: config.controller,
      taskRole: this.controllerTaskRole,
      securityGroup: this.controllerSecurityGroup,
      adminSecret: this.adminSecret,
      jenkinsUrl: this.url,
      cloudMapNamespace: this.cloudMapNamespace,
      environment: controllerEnvironment,
      extraCascFiles,
      enableExecuteCommand: props.enableExecuteCommand,
      logRetention: retention,
    });

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'ControllerTargetGroup', {
      vpc: this.vpc,
      port: JENKINS_HTTP_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      // Jenkins answers 503 on every URL while booting and 200 on /login once loaded.
      healthCheck: {
        path: '/login',
        healthyHttpCodes: '200',
        interval: Duration.seconds(30),
        timeout: Duration.seconds(10),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 5,
      },
      // Only one task: waiting long for in-flight requests only delays the next start.
      deregistrationDelay: Duration.seconds(15),
    });
    this.controller.service
      .loadBalancerTarget({ containerName: names.jenkinsContainer, containerPort: JENKINS_HTTP_PORT })
      .attachToApplicationTargetGroup(this.targetGroup);

    if (https) {
      this.loadBalancer.addListener('HttpsListener', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [certificate],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        open: false,
        defaultTargetGroups: [this.targetGroup],
      });
      this.loadBalancer.addListener('HttpListener', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        open: false,
        defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
      });
    } else {
      this.loadBalancer.addListener('HttpListener', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        open: false,
        defaultTargetGroups: [this.targetGroup],
      });
    }

    if (zone && access.domainName) {
      new route53.ARecord(this, 'AliasRecord', {
        zone,
        recordName: `${access.domainName}.`,
        target: route53.RecordTarget.fromAlias(new route53Targets.LoadBalancerTarget(this.loadBalancer)),
      });
    }

    if (props.homeContinuity ?? true) {
      // After the listeners: the alarms read the target group's load balancer.
      this.continuity = new HomeContinuity(this, 'HomeContinuity', {
        names,
        snapshots: config.controller.snapshots,
        home: config.controller.home,
        cluster: this.cluster,
        service: this.controller.service,
        taskDefinition: this.controller.taskDefinition,
        jenkinsContainer: this.controller.jenkinsContainer,
        infrastructureRole: this.controller.infrastructureRole,
        logGroup: this.controller.logGroup,
        targetGroup: this.targetGroup,
        logRetention: retention,
        notifications: config.notifications,
        reconcilerReservedConcurrency: config.reconciler.reservedConcurrency,
      });
    }

    if (config.migration) {
      this.migration = new MigrationTask(this, 'Migration', {
        names,
        cluster: this.cluster,
        source: config.migration,
        infrastructureRole: this.controller.infrastructureRole,
        logRetention: retention,
      });
    }

    // Stable output keys (`Url`, not `JenkinsUrl3601F543`): the README, `cdk deploy --outputs-file`
    // and scripts read them by name. One JenkinsOnFargate per stack, so the keys cannot collide.
    const output = (key: JenkinsOutputKey, props: CfnOutputProps) => new CfnOutput(this, key, props).overrideLogicalId(key);
    output('Url', { value: this.url, description: 'Jenkins URL' });
    output('AdminSecretArn', {
      value: this.adminSecret.secretArn,
      description: 'Secrets Manager secret with the Jenkins admin username and password',
    });
    output('ClusterName', { value: this.cluster.clusterName, description: 'ECS cluster of the controller and the agents' });
    output('ServiceName', { value: this.controller.service.serviceName, description: 'ECS service of the controller' });
    output('LogGroupName', { value: this.controller.logGroup.logGroupName, description: 'controller log group (Jenkins and keeper streams)' });

    this.operatorPolicy = new OperatorPolicy(this, 'Operator', {
      names,
      cluster: this.cluster,
      service: this.controller.service,
      infrastructureRole: this.controller.infrastructureRole,
      homeKeyArn: config.controller.home.kmsKeyArn,
    });
    output('OperatorPolicyArn', {
      value: this.operatorPolicy.policy.managedPolicyArn,
      description: 'Managed policy to attach to whoever runs the jenkins-ecs CLI (status, snapshots, snapshot, restore, restart, migrate --from-snapshot)',
    });
  }

  private createAccessLogBucket(): s3.Bucket {
    const bucket = new s3.Bucket(this, 'AccessLogBucket', {
      // ALB access logs support only SSE-S3 on the target bucket.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket only receives load balancer access logs; logging access to the log bucket itself would recurse.',
    });
    return bucket;
  }

  /**
   * ALB access logs that also work in a region-agnostic stack (CDK's logAccessLogs needs a
   * concrete region). Older regions deliver as a regional ELB account, newer ones as the log
   * delivery service principal: grant both; unknown regions map to this account (harmless).
   */
  private logAccessLogs(bucket: s3.Bucket, prefix: string): void {
    const stack = Stack.of(this);
    const alb = this.loadBalancer;
    alb.setAttribute('access_logs.s3.enabled', 'true');
    alb.setAttribute('access_logs.s3.bucket', bucket.bucketName);
    alb.setAttribute('access_logs.s3.prefix', prefix);
    const objects = bucket.arnForObjects(`${prefix}/AWSLogs/${stack.account}/*`);
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlbAccessLogsRegionalAccount',
        actions: ['s3:PutObject'],
        principals: [new iam.AccountPrincipal(stack.regionalFact(FactName.ELBV2_ACCOUNT, stack.account))],
        resources: [objects],
      }),
    );
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlbAccessLogsDelivery',
        actions: ['s3:PutObject'],
        principals: [new iam.ServicePrincipal('logdelivery.elasticloadbalancing.amazonaws.com')],
        resources: [objects],
      }),
    );
    // The ALB checks bucket access when the attribute is set: create the policy first.
    const policy = bucket.policy?.node.defaultChild;
    const lb = alb.node.defaultChild;
    if (policy instanceof CfnResource && lb instanceof CfnResource) lb.addResourceDependency(policy);
  }

  private certificate(
    certificateArn: string | undefined,
    domainName: string | undefined,
    zone: route53.IHostedZone | undefined,
  ): elbv2.IListenerCertificate | undefined {
    if (certificateArn) return elbv2.ListenerCertificate.fromArn(certificateArn);
    if (!domainName) return undefined;
    // Without a zone, ACM waits until someone adds the validation CNAME by hand (README, "Deploying to AWS").
    const cert = new acm.Certificate(this, 'Certificate', {
      domainName,
      validation: acm.CertificateValidation.fromDns(zone),
    });
    return elbv2.ListenerCertificate.fromCertificateManager(cert);
  }
}
