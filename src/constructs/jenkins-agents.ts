/**
 * Ephemeral Fargate build agents for the Jenkins amazon-ecs plugin: one task definition per
 * template, agent roles, security group, log group, the controller's launch permissions, and the
 * JCasC cloud fragment plus the environment values it references. The plugin is handed each task
 * definition's family (`taskDefinitionOverride`) and only looks it up and runs it, so the
 * controller cannot register or deregister task definitions and no revisions pile up (upstream
 * amazon-ecs-plugin #149, #263, #267). Agents dial the controller's private URL over WebSocket.
 */
import { Annotations, Lazy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { AGENT_CONTAINER_NAME, AGENT_ENV, AgentsCascError, labelSlug, planAgentClouds, renderAgentsCasc, type AgentCloudPlan } from '../config/agents-casc.js';
import type { AgentConfig } from '../config/types.js';
import { JenkinsEcsConstructError } from './errors.js';
import { nagText } from './continuity-iam.js';

export interface JenkinsAgentsProps {
  /** Deployment name (config `name`); part of every agent cloud name and task family. */
  readonly name: string;
  readonly vpc: ec2.IVpc;
  /** Cluster the agent tasks run in. An `ecs.Cluster` gets FARGATE and FARGATE_SPOT enabled. */
  readonly cluster: ecs.ICluster;
  /** Role of the controller task: receives the permissions the plugin needs to launch agents. */
  readonly controllerTaskRole: iam.IRole;
  /** Security group of the controller: admits the agents on `controllerPort`. */
  readonly controllerSecurityGroup: ec2.ISecurityGroup;
  /** Config `agents[]`, defaults applied. */
  readonly agents: readonly AgentConfig[];
  /** URL agents use to reach the controller, e.g. `http://controller.<namespace>:8080/`. */
  readonly jenkinsUrl: string;
  /** Retention of the agent log group. */
  readonly logRetention: logs.RetentionDays;
  /**
   * Subnets for agent tasks.
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Jenkins HTTP port on the controller; agents connect to it (WebSocket).
   * @default 8080
   */
  readonly controllerPort?: number;
  /**
   * Task role per agent label, for builds that need their own AWS permissions (see also
   * `agentTaskRole`).
   * @default - every label uses the shared `taskRole`, which has no permissions
   */
  readonly taskRoles?: Readonly<Record<string, iam.IRole>>;
}

export class JenkinsAgents extends Construct {
  /** The `jenkins.clouds` JCasC fragment; deploy-time values only as `${VAR}`. */
  public readonly cascYaml: string;
  /** Values for every `${VAR}` in `cascYaml`, to set on the controller's Jenkins container. */
  public readonly environment: Record<string, string>;
  public readonly securityGroup: ec2.SecurityGroup;
  /** Shared agent task role (no permissions) for labels without a role of their own. */
  public readonly taskRole: iam.Role;
  /** Pulls the agent image and writes agent logs. */
  public readonly executionRole: iam.Role;
  public readonly logGroup: logs.LogGroup;
  /** Jenkins cloud name and ECS task family per agent template. */
  public readonly clouds: readonly AgentCloudPlan[];
  /** The task definition of each agent label; the plugin runs the latest revision of its family. */
  public readonly taskDefinitions: ReadonlyMap<string, ecs.FargateTaskDefinition>;

  /** Roles given in `taskRoles` or created by `agentTaskRole`, by label. */
  private readonly ownRoles = new Map<string, iam.IRole>();
  private readonly trustedBy: iam.IPrincipal;
  private passRole?: iam.PolicyStatement;

  constructor(scope: Construct, id: string, props: JenkinsAgentsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const port = props.controllerPort ?? 8080;
    const labels = new Set(props.agents.map((a) => a.label));
    for (const [label, role] of Object.entries(props.taskRoles ?? {})) {
      this.ownRoles.set(label, role);
      if (!labels.has(label)) {
        throw new JenkinsEcsConstructError(
          `JenkinsAgents taskRoles has the label ${JSON.stringify(label)}, which no agent uses ` +
            `(labels: ${[...labels].map((l) => JSON.stringify(l)).join(', ') || 'none'}); remove it or fix the spelling`,
        );
      }
    }
    // Agents dial this with WebSocket; a bare host or a non-HTTP scheme leaves them unable to connect.
    if (!Token.isUnresolved(props.jenkinsUrl) && !/^https?:\/\/[^/\s]+/.test(props.jenkinsUrl)) {
      throw new JenkinsEcsConstructError(
        `JenkinsAgents jenkinsUrl: got ${JSON.stringify(props.jenkinsUrl)}; give the controller URL agents can reach, e.g. http://controller.ci.jenkins.internal:8080/`,
      );
    }
    try {
      this.clouds = planAgentClouds(props.name, props.agents);
      this.cascYaml = renderAgentsCasc(props.name, props.agents);
    } catch (e) {
      if (e instanceof AgentsCascError) throw new JenkinsEcsConstructError(`JenkinsAgents agents: ${e.message}`);
      throw e;
    }

    // FARGATE_SPOT must be a cluster capacity provider for Spot templates; enabling is idempotent.
    if (props.cluster instanceof ecs.Cluster) {
      props.cluster.enableFargateCapacityProviders();
    } else if (props.agents.some((a) => a.capacity === 'spot')) {
      Annotations.of(this).addWarningV2(
        'jenkins-ecs:agents-imported-cluster',
        'Spot agent templates need the FARGATE_SPOT capacity provider on the imported cluster; this construct cannot add it, so check the cluster.',
      );
    }

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Jenkins build agents: no inbound; outbound for builds and the controller',
      allowAllOutbound: true,
    });
    props.controllerSecurityGroup.addIngressRule(this.securityGroup, ec2.Port.tcp(port), 'Jenkins agents (WebSocket)');

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention });

    const ecsTasks = new iam.ServicePrincipal('ecs-tasks.amazonaws.com');
    this.executionRole = new iam.Role(this, 'ExecutionRole', {
      assumedBy: ecsTasks,
      description: 'Jenkins agents: image pull and log delivery',
    });
    this.logGroup.grantWrite(this.executionRole);
    this.grantEcrPulls(props.agents);

    // Only ECS tasks of this account may assume agent task roles (confused-deputy guard).
    this.trustedBy = ecsTasks.withConditions({
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'ecs', resource: '*' }) },
    });
    this.taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: this.trustedBy,
      description: 'Jenkins agents: default build permissions (none)',
    });

    this.taskDefinitions = new Map(this.clouds.map((c) => [c.agent.label, this.defineTask(c)]));
    this.addControllerPermissions(props);

    const subnets = props.vpc.selectSubnets(props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS });
    if (subnets.subnetIds.length === 0) {
      throw new JenkinsEcsConstructError(
        'JenkinsAgents vpcSubnets selects no subnets; agents need private subnets with egress (pass vpcSubnets or use a VPC that has them)',
      );
    }
    this.environment = {
      [AGENT_ENV.clusterArn]: props.cluster.clusterArn,
      [AGENT_ENV.region]: stack.region,
      [AGENT_ENV.subnets]: subnets.subnetIds.join(','),
      [AGENT_ENV.securityGroups]: this.securityGroup.securityGroupId,
      [AGENT_ENV.jenkinsUrl]: props.jenkinsUrl,
    };
  }

  /**
   * The task definition of one template, in the family the plugin is told to run. Its task role is
   * resolved late: agentTaskRole() may give the label its own role after construction. A change
   * (image, size, role) is a new revision that CloudFormation registers and the old one it
   * deregisters; the controller keeps running, since it names the family, not a revision.
   */
  private defineTask(c: AgentCloudPlan): ecs.FargateTaskDefinition {
    const label = c.agent.label;
    const taskRole = iam.Role.fromRoleArn(
      this,
      `TaskRoleOf-${c.cloudName}`,
      Lazy.string({ produce: () => (this.ownRoles.get(label) ?? this.taskRole).roleArn }),
      { mutable: false },
    );
    const td = new ecs.FargateTaskDefinition(this, `TaskDefinition-${c.cloudName}`, {
      family: c.family,
      cpu: c.agent.cpu,
      memoryLimitMiB: c.agent.memoryMiB,
      runtimePlatform: { operatingSystemFamily: ecs.OperatingSystemFamily.LINUX, cpuArchitecture: ecs.CpuArchitecture.X86_64 },
      executionRole: this.executionRole,
      taskRole,
    });
    td.addContainer(AGENT_CONTAINER_NAME, {
      image: ecs.ContainerImage.fromRegistry(c.agent.image),
      essential: true,
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: labelSlug(label) }),
      // The inbound-agent entrypoint turns this into -webSocket: the agent dials jenkinsUrl over
      // HTTP, so no tunnel and no TCP port 50000. JENKINS_URL must not be set (the plugin passes
      // -url itself in the command override); see docs/aws-notes.md.
      environment: { JENKINS_WEB_SOCKET: 'true' },
    });
    Validations.of(td).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason: 'The one environment variable, JENKINS_WEB_SOCKET=true, is a fixed switch of the inbound agent, not a secret.',
    });
    return td;
  }

  /**
   * The task role of the agents with this label, for giving their builds AWS permissions:
   * the role from `taskRoles`, else one created for this label on the first call (no
   * permissions until you add some). Permissions added to it never reach other labels.
   */
  public agentTaskRole(label: string): iam.IRole {
    const cloud = this.clouds.find((c) => c.agent.label === label);
    if (!cloud) {
      throw new JenkinsEcsConstructError(
        `JenkinsAgents.agentTaskRole(${JSON.stringify(label)}): no agent has this label; ` +
          `known labels: ${this.clouds.map((c) => JSON.stringify(c.agent.label)).join(', ') || 'none'}`,
      );
    }
    let role = this.ownRoles.get(label);
    if (!role) {
      role = new iam.Role(this, `TaskRole-${cloud.cloudName}`, {
        assumedBy: this.trustedBy,
        description: `Jenkins agents with label ${label}: build permissions`,
      });
      this.ownRoles.set(label, role);
      this.passRole?.addResources(role.roleArn);
    }
    return role;
  }

  /** Every role the controller may pass to agent tasks (so far; agentTaskRole adds more). */
  private passableRoles(): iam.IRole[] {
    const roles: iam.IRole[] = [this.executionRole, this.taskRole];
    for (const role of this.ownRoles.values()) if (!roles.includes(role)) roles.push(role);
    return roles;
  }

  private addControllerPermissions(props: JenkinsAgentsProps): void {
    if (this.clouds.length === 0) return;
    const stack = Stack.of(this);
    const onCluster = { ArnEquals: { 'ecs:cluster': props.cluster.clusterArn } };
    // Exact families: the task definitions defined in this construct.
    const families = this.clouds.map((c) => stack.formatArn({ service: 'ecs', resource: 'task-definition', resourceName: `${c.family}:*` }));
    // Long ARN format (the only one since 2021): task/<cluster name>/<id>.
    const tasks = stack.formatArn({ service: 'ecs', resource: 'task', resourceName: `${props.cluster.clusterName}/*` });

    const policy = new iam.Policy(this, 'ControllerLaunchPolicy', {
      roles: [props.controllerTaskRole],
      statements: [
        new iam.PolicyStatement({ sid: 'RunAgentTasks', actions: ['ecs:RunTask'], resources: families, conditions: onCluster }),
        new iam.PolicyStatement({
          sid: 'WatchAndStopAgentTasks',
          actions: ['ecs:DescribeTasks', 'ecs:StopTask'],
          resources: [tasks],
          conditions: onCluster,
        }),
        // The plugin's lookup of taskDefinitionOverride. No Register, Deregister or
        // ListTagsForResource: with an override the plugin never calls them (AMAZON_ECS_API_CALLS).
        new iam.PolicyStatement({ sid: 'DescribeAgentTaskDefinitions', actions: ['ecs:DescribeTaskDefinition'], resources: ['*'] }),
        new iam.PolicyStatement({
          sid: 'TagOnRunTask',
          actions: ['ecs:TagResource'],
          resources: [tasks],
          conditions: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
        }),
        (this.passRole = new iam.PolicyStatement({
          sid: 'PassAgentRoles',
          actions: ['iam:PassRole'],
          resources: this.passableRoles().map((r) => r.roleArn),
          conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
        })),
      ],
    });
    // Deliberately absent: ecs:ListClusters and ecs:DescribeClusters (only the plugin's config UI
    // dropdowns call them; JCasC gives the cluster ARN), ecs:ListTaskDefinitions,
    // ecs:ListContainerInstances / DescribeContainerInstances (EC2 launch type only), ec2:Describe*
    // (subnets and security groups are passed as ids). Checked against ECSService/ECSCloud.
    const ack = (finding: string, reason: string): void => Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    ack(
      'Resource::*',
      'ecs:DescribeTaskDefinition has no resource type in the Service Authorization Reference, so it takes Resource *; ' +
        'it only reads. What can be launched is limited by RunTask (the agent families, this cluster) and PassRole (agent roles only).',
    );
    for (const c of this.clouds) {
      ack(
        `Resource::${nagText(stack, families[this.clouds.indexOf(c)] as string)}`,
        `Any revision of the ${c.family} family this stack defines for agent label ${c.agent.label}; CloudFormation registers a new revision when the template changes.`,
      );
    }
    ack(
      `Resource::${nagText(stack, tasks)}`,
      'Agent task ids are generated at runtime; the statement is also conditioned on ecs:cluster = the agent cluster.',
    );
  }

  /** Private ECR images need pull rights on the execution role; public registries need none. */
  private grantEcrPulls(agents: readonly AgentConfig[]): void {
    const repos = new Map<string, string>();
    for (const a of agents) {
      const m = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)/.exec(a.image);
      if (m) repos.set(`${m[1]}/${m[2]}/${m[3]}`, Stack.of(this).formatArn({ service: 'ecr', account: m[1], region: m[2], resource: 'repository', resourceName: m[3] }));
    }
    if (repos.size === 0) return;
    this.executionRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'], resources: [...repos.values()] }),
    );
    this.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
    Validations.of(this.executionRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ecr:GetAuthorizationToken has no resource-level permissions; image pulls are limited to the agent repositories.',
    });
  }
}
