import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';
import { buildApp } from '../../src/app.js';
import { cascVariables } from '../../src/config/agents-casc.js';
import { AMAZON_ECS_API_CALLS } from '../../src/config/amazon-ecs-api.js';
import { parseConfig } from '../../src/config/index.js';
import type { AgentConfig } from '../../src/config/types.js';
import { JenkinsAgents, type JenkinsAgentsProps } from '../../src/constructs/jenkins-agents.js';
import { JenkinsEcsConstructError } from '../../src/constructs/errors.js';

// The composed stack (buildApp → JenkinsOnFargate, cdk-nag on: any unacknowledged finding fails
// the synth) is synthesized once and shared by every assertion. Prop checks that need no template
// (taskRoles, validation errors) build a small standalone scaffold and never synthesize it.

const linux: AgentConfig = { label: 'linux', cpu: 1024, memoryMiB: 2048, image: 'jenkins/inbound-agent:latest-jdk21', capacity: 'spot', maxAgents: 10 };
const large: AgentConfig = {
  label: 'build.large',
  cpu: 4096,
  memoryMiB: 8192,
  image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/ci/agent:2',
  capacity: 'on-demand',
  maxAgents: 3,
};

interface Scaffold {
  stack: Stack;
  vpc: ec2.Vpc;
  cluster: ecs.Cluster;
  controllerRole: iam.Role;
  controllerSg: ec2.SecurityGroup;
}

function scaffold(): Scaffold {
  const stack = new Stack(new App(), 'Agents');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  const controllerRole = new iam.Role(stack, 'ControllerTaskRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  const controllerSg = new ec2.SecurityGroup(stack, 'ControllerSg', { vpc, allowAllOutbound: true });
  return { stack, vpc, cluster, controllerRole, controllerSg };
}

function props(t: Scaffold, extra: Partial<JenkinsAgentsProps> = {}): JenkinsAgentsProps {
  return {
    name: 'ci',
    vpc: t.vpc,
    cluster: t.cluster,
    controllerTaskRole: t.controllerRole,
    controllerSecurityGroup: t.controllerSg,
    agents: [linux, large],
    jenkinsUrl: 'http://controller.ci.internal:8080/',
    logRetention: logs.RetentionDays.ONE_MONTH,
    ...extra,
  };
}

const parsed = parseConfig({ name: 'ci', agents: [linux, large] });
if (!parsed.ok) throw new Error(`test config rejected: ${JSON.stringify(parsed.errors)}`);
const outdir = mkdtempSync(join(tmpdir(), 'agents-test-'));
const built = buildApp(parsed.config, { app: new App({ outdir }), env: { account: '123456789012', region: 'eu-west-1' } });
const stack = built.stack;
const jenkins = built.jenkins;
const agents = jenkins.agents;
// A CDK user giving the build.large agents their own permissions, after construction.
const buildRole = agents.agentTaskRole('build.large');
buildRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::ci-artifacts/*'] }));
Validations.of(buildRole).acknowledge({ id: 'AwsSolutions-IAM5[Resource::arn:aws:s3:::ci-artifacts/*]', reason: 'test: builds read artifacts, objects of this one bucket only' });

const template = Template.fromStack(stack);
const resolve = (v: unknown): unknown => stack.resolve(v);
const logicalId = (c: IConstruct): string => stack.getLogicalId((c.node.defaultChild ?? c) as CfnElement);

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };
type Resource = { Properties: Record<string, unknown> };
const launchPolicy = template.findResources('AWS::IAM::Policy')[logicalId(agents.node.findChild('ControllerLaunchPolicy'))] as Resource;
const launchStatements = (launchPolicy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
const statement = (sid: string): Statement => {
  const st = launchStatements.find((x) => x.Sid === sid);
  assert.ok(st, `statement ${sid}`);
  return st;
};
const actions = (st: Statement): string[] => (Array.isArray(st.Action) ? st.Action : [st.Action]);
const resources = (st: Statement): unknown[] => (Array.isArray(st.Resource) ? st.Resource : [st.Resource]);
const policiesOf = (role: IConstruct): Resource[] =>
  Object.values(template.findResources('AWS::IAM::Policy') as Record<string, Resource>).filter((p) =>
    JSON.stringify(p.Properties.Roles).includes(`"${logicalId(role)}"`),
  );

/** Every IAM statement in the template, wherever it lives (policies, inline role policies, managed policies). */
function allStatements(): Statement[] {
  const out: Statement[] = [];
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const r of Object.values(template.findResources(type))) out.push(...(r.Properties.PolicyDocument.Statement as Statement[]));
  }
  for (const r of Object.values(template.findResources('AWS::IAM::Role'))) {
    for (const p of (r.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]) out.push(...p.PolicyDocument.Statement);
  }
  return out;
}

function jenkinsEnvironment(): Map<string, unknown> {
  const td = Object.values(template.findResources('AWS::ECS::TaskDefinition')).find((r) =>
    (r.Properties.ContainerDefinitions as { Name: string }[]).some((c) => c.Name === 'jenkins'),
  );
  assert.ok(td, 'controller task definition');
  const c = (td.Properties.ContainerDefinitions as { Name: string; Environment?: { Name: string; Value: unknown }[] }[]).find((d) => d.Name === 'jenkins');
  return new Map((c?.Environment ?? []).map((e) => [e.Name, e.Value]));
}

describe('JenkinsAgents in the composed stack (cdk-nag clean: the synth would fail otherwise)', () => {
  test('every ${VAR} the agents JCasC fragment uses is set on the controller Jenkins container', () => {
    const vars = cascVariables(agents.cascYaml);
    assert.ok(vars.length >= 5);
    const env = jenkinsEnvironment();
    for (const v of vars) assert.ok(env.has(v), `agents.yaml uses \${${v}} but the jenkins container does not set it`);
    assert.deepEqual(Object.keys(agents.environment).sort(), vars);
  });

  test('the container gets the cluster ARN, private subnets, agent SG and the private controller URL', () => {
    const env = jenkinsEnvironment();
    assert.deepEqual(env.get('AGENT_CLUSTER_ARN'), resolve(jenkins.cluster.clusterArn));
    assert.deepEqual(env.get('AGENT_SECURITY_GROUPS'), resolve(agents.securityGroup.securityGroupId));
    assert.deepEqual(env.get('AGENT_REGION'), 'eu-west-1');
    assert.deepEqual(env.get('AGENT_JENKINS_URL'), resolve(jenkins.privateUrl));
    assert.match(JSON.stringify(env.get('AGENT_JENKINS_URL')), /http:\/\/controller\..*:8080\//);
    const privateSubnets = jenkins.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds;
    assert.ok(privateSubnets.length >= 2);
    assert.deepEqual(env.get('AGENT_SUBNETS'), resolve(privateSubnets.join(',')));
  });

  test('each template has its task definition in the stack: the family the plugin runs, size, platform, roles, logs, WebSocket', () => {
    const defs = template.findResources('AWS::ECS::TaskDefinition');
    for (const [cloud, role] of [[agents.clouds[0], agents.taskRole], [agents.clouds[1], buildRole]] as const) {
      assert.ok(cloud);
      const td = agents.taskDefinitions.get(cloud.agent.label);
      assert.ok(td, cloud.agent.label);
      const p = (defs[logicalId(td)] as Resource).Properties;
      assert.equal(p.Family, cloud.family);
      assert.equal(p.Cpu, String(cloud.agent.cpu));
      assert.equal(p.Memory, String(cloud.agent.memoryMiB));
      assert.deepEqual(p.RequiresCompatibilities, ['FARGATE']);
      assert.equal(p.NetworkMode, 'awsvpc');
      assert.deepEqual(p.RuntimePlatform, { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' });
      assert.deepEqual(p.ExecutionRoleArn, resolve(agents.executionRole.roleArn));
      assert.deepEqual(p.TaskRoleArn, resolve(role.roleArn), 'the label\'s own role, even one added after construction');
      const [c, ...more] = p.ContainerDefinitions as Record<string, unknown>[];
      assert.equal(more.length, 0, 'one container: the plugin overrides its command');
      assert.equal(c?.Name, 'agent');
      assert.equal(c?.Image, cloud.agent.image);
      assert.deepEqual(c?.Environment, [{ Name: 'JENKINS_WEB_SOCKET', Value: 'true' }]);
      const log = c?.LogConfiguration as { LogDriver: string; Options: Record<string, unknown> };
      assert.equal(log.LogDriver, 'awslogs');
      assert.deepEqual(log.Options['awslogs-group'], resolve(agents.logGroup.logGroupName));
      assert.equal(log.Options['awslogs-stream-prefix'], cloud.agent.label.replace(/[^A-Za-z0-9_-]/g, '_'));
      assert.match(agents.cascYaml, new RegExp(`taskDefinitionOverride: ${cloud.family}\\n`));
    }
  });

  test('the agents fragment is baked into the controller image as its own JCasC file', () => {
    assert.match(agents.cascYaml, /^jenkins:\n {2}clouds:/m);
  });

  test('the cluster has the FARGATE and FARGATE_SPOT capacity providers', () => {
    template.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: Match.arrayWith(['FARGATE', 'FARGATE_SPOT']),
    });
    const associations = template.findResources('AWS::ECS::ClusterCapacityProviderAssociations');
    for (const a of Object.values(associations)) {
      const cps = a.Properties.CapacityProviders as string[];
      assert.equal(new Set(cps).size, cps.length, 'no duplicate capacity providers');
    }
  });

  test('the launch policy is attached to the controller task role', () => {
    assert.deepEqual(launchPolicy.Properties.Roles, [resolve(jenkins.controllerTaskRole.roleName)]);
  });

  test('RunTask is allowed only for the agent task families, and only on the agent cluster', () => {
    const st = statement('RunAgentTasks');
    assert.deepEqual(actions(st), ['ecs:RunTask']);
    const arns = resources(st).map((r) => JSON.stringify(resolve(r)));
    assert.equal(arns.length, 2);
    assert.match(arns[0] ?? '', /:eu-west-1:123456789012:task-definition\/jenkins-ecs-ci-linux-agent:\*"/);
    assert.match(arns[1] ?? '', /:eu-west-1:123456789012:task-definition\/jenkins-ecs-ci-build_large-agent:\*"/);
    assert.deepEqual(st.Condition, { ArnEquals: { 'ecs:cluster': resolve(jenkins.cluster.clusterArn) } });
  });

  test('StopTask and DescribeTasks are limited to tasks of the agent cluster', () => {
    const st = statement('WatchAndStopAgentTasks');
    assert.deepEqual(actions(st).sort(), ['ecs:DescribeTasks', 'ecs:StopTask']);
    assert.deepEqual(st.Condition, { ArnEquals: { 'ecs:cluster': resolve(jenkins.cluster.clusterArn) } });
    assert.deepEqual(resources(st).map(resolve), [
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecs:eu-west-1:123456789012:task/', { Ref: logicalId(jenkins.cluster) }, '/*']] },
    ]);
  });

  test('only DescribeTaskDefinition (no resource type in the reference) gets Resource *', () => {
    const st = statement('DescribeAgentTaskDefinitions');
    assert.deepEqual(actions(st), ['ecs:DescribeTaskDefinition']);
    assert.deepEqual(resources(st), ['*']);
    const starred = launchStatements.filter((x) => resources(x).includes('*')).map((x) => x.Sid);
    assert.deepEqual(starred, ['DescribeAgentTaskDefinitions']);
  });

  test('the controller can neither register nor deregister task definitions: the stack defines them', () => {
    const granted = (st: Statement): string[] => actions(st).filter((a) => /^ecs:(RegisterTaskDefinition|DeregisterTaskDefinition|ListTagsForResource|\*)$/i.test(a));
    const controllerPolicies = policiesOf(jenkins.controllerTaskRole);
    assert.ok(controllerPolicies.length >= 1);
    for (const p of controllerPolicies) {
      for (const st of (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement) assert.deepEqual(granted(st), [], JSON.stringify(st));
    }
    const role = template.findResources('AWS::IAM::Role')[logicalId(jenkins.controllerTaskRole)] as Resource;
    for (const p of (role.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]) {
      for (const st of p.PolicyDocument.Statement) assert.deepEqual(granted(st), []);
    }
    assert.equal(role.Properties.ManagedPolicyArns, undefined);
  });

  test('the plugin calls this stack uses are exactly the ones the launch policy grants (AMAZON_ECS_API_CALLS)', () => {
    const used = AMAZON_ECS_API_CALLS.filter((c) => c.used).map((c) => c.action).sort();
    assert.deepEqual([...new Set(launchStatements.flatMap(actions))].sort(), used);
    const unused = AMAZON_ECS_API_CALLS.filter((c) => !c.used).map((c) => c.action);
    assert.ok(unused.includes('ecs:RegisterTaskDefinition') && unused.includes('ecs:DeregisterTaskDefinition'));
  });

  test('TagResource is allowed only on agent tasks, while RunTask creates them', () => {
    const st = statement('TagOnRunTask');
    assert.deepEqual(actions(st), ['ecs:TagResource']);
    assert.deepEqual(st.Condition, { StringEquals: { 'ecs:CreateAction': 'RunTask' } });
    assert.equal(resources(st).length, 1);
  });

  test('PassRole covers exactly the agent execution and task roles (including one added later), passed to ECS tasks only', () => {
    const st = statement('PassAgentRoles');
    assert.deepEqual(actions(st), ['iam:PassRole']);
    assert.deepEqual(
      resources(st).map((r) => JSON.stringify(r)).sort(),
      [agents.executionRole.roleArn, agents.taskRole.roleArn, buildRole.roleArn].map((a) => JSON.stringify(resolve(a))).sort(),
    );
    assert.deepEqual(st.Condition, { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
  });

  test('no IAM statement in the stack grants *, ecs:* or iam:*, or PassRole on Resource *', () => {
    const all = allStatements();
    assert.ok(all.length > 10);
    for (const st of all) {
      const acts = actions(st);
      assert.ok(!acts.includes('*') && !acts.includes('ecs:*') && !acts.includes('iam:*'), JSON.stringify(st));
      if (acts.some((a) => a === 'iam:PassRole' || a === 'iam:Pass*')) assert.ok(!resources(st).includes('*'), JSON.stringify(st));
    }
  });

  test('discovery calls the plugin makes only from its config UI are not granted', () => {
    const granted = new Set(launchStatements.flatMap(actions));
    for (const a of ['ecs:ListClusters', 'ecs:DescribeClusters', 'ecs:ListTaskDefinitions', 'ecs:ListContainerInstances', 'ecs:DescribeContainerInstances', 'ec2:DescribeSubnets']) {
      assert.equal(granted.has(a), false, a);
    }
  });

  test('the shared agent task role has no permissions; the per-label role has only what was added to it', () => {
    const shared = template.findResources('AWS::IAM::Role')[logicalId(agents.taskRole)] as Resource;
    assert.equal(shared.Properties.Policies, undefined);
    assert.equal(shared.Properties.ManagedPolicyArns, undefined);
    assert.deepEqual(policiesOf(agents.taskRole), []);
    const own = policiesOf(buildRole);
    assert.equal(own.length, 1);
    assert.deepEqual(
      (own[0]?.Properties.PolicyDocument as { Statement: Statement[] }).Statement.flatMap(actions),
      ['s3:GetObject'],
    );
  });

  test('agent roles are separate from the controller role and trusted only by ECS tasks of this account', () => {
    for (const role of [agents.taskRole, agents.executionRole, buildRole]) {
      assert.notDeepEqual(resolve(role.roleArn), resolve(jenkins.controllerTaskRole.roleArn));
    }
    for (const role of [agents.taskRole, buildRole]) {
      const trust = JSON.stringify((template.findResources('AWS::IAM::Role')[logicalId(role)] as Resource).Properties.AssumeRolePolicyDocument);
      assert.match(trust, /ecs-tasks\.amazonaws\.com/);
      assert.match(trust, /"aws:SourceAccount":"123456789012"/);
    }
  });

  test('the execution role writes agent logs and pulls only the private ECR repository named in agents[]', () => {
    const text = JSON.stringify(policiesOf(agents.executionRole));
    assert.match(text, /logs:PutLogEvents/);
    assert.match(text, /ecr:BatchGetImage/);
    assert.match(text, /:ecr:eu-west-1:123456789012:repository\/ci\/agent"/);
    assert.match(text, /ecr:GetAuthorizationToken/);
  });

  test('the agent security group has no ingress and allows outbound traffic for builds', () => {
    const sg = template.findResources('AWS::EC2::SecurityGroup')[logicalId(agents.securityGroup)] as Resource;
    assert.equal(sg.Properties.SecurityGroupIngress, undefined);
    assert.deepEqual(sg.Properties.SecurityGroupEgress, [{ CidrIp: '0.0.0.0/0', Description: 'Allow all outbound traffic by default', IpProtocol: '-1' }]);
    const ingressFromAnywhere = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).filter(
      (r) => JSON.stringify(r.Properties.GroupId) === JSON.stringify(resolve(agents.securityGroup.securityGroupId)),
    );
    assert.deepEqual(ingressFromAnywhere, []);
  });

  test('the controller security group admits the agents on 8080 only', () => {
    const fromAgents = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).filter(
      (r) => JSON.stringify(r.Properties.SourceSecurityGroupId) === JSON.stringify(resolve(agents.securityGroup.securityGroupId)),
    );
    assert.deepEqual(
      fromAgents.map((r) => r.Properties),
      [
        {
          GroupId: resolve(jenkins.controllerSecurityGroup.securityGroupId),
          SourceSecurityGroupId: resolve(agents.securityGroup.securityGroupId),
          IpProtocol: 'tcp',
          FromPort: 8080,
          ToPort: 8080,
          Description: 'Jenkins agents (WebSocket)',
        },
      ],
    );
  });

  test('agent logs keep the configured retention; the log group logical id is pinned', () => {
    const id = logicalId(agents.logGroup);
    assert.equal(id, 'JenkinsAgentsLogsD4A6C78A');
    assert.equal(typeof (template.findResources('AWS::Logs::LogGroup')[id] as Resource).Properties.RetentionInDays, 'number');
  });

  test('each cdk-nag acknowledgement in the agents construct sits on its resource and gives a reason', () => {
    const acks = agents.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map((m) => ({ path: c.node.path, data: m.data as Record<string, string> })));
    const ids = acks.flatMap((a) => Object.keys(a.data));
    assert.ok(ids.some((id) => id.endsWith('AwsSolutions-IAM5[Resource::*]')), ids.join(', '));
    assert.ok(acks.every((a) => a.path !== agents.node.path), 'acknowledged on the resource, not on the whole construct');
    for (const a of acks) for (const [id, reason] of Object.entries(a.data)) assert.ok(reason.length > 40, `${id} on ${a.path} needs a reason`);
  });

  test('agentTaskRole returns the same role on every call and refuses unknown labels', () => {
    assert.equal(agents.agentTaskRole('build.large'), buildRole);
    assert.throws(
      () => agents.agentTaskRole('windows'),
      (e: unknown) => e instanceof JenkinsEcsConstructError && /"windows".*known labels: "linux", "build.large"/.test(e.message),
    );
  });
});

describe('JenkinsAgents props (no synth)', () => {
  test('a role in taskRoles becomes that label\'s task role and is passable, the others keep the shared role', () => {
    const t = scaffold();
    const own = new iam.Role(t.stack, 'Own', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    const a = new JenkinsAgents(t.stack, 'A', props(t, { taskRoles: { 'build.large': own } }));
    assert.equal(a.agentTaskRole('build.large'), own);
    const taskRoleArn = (label: string): unknown =>
      t.stack.resolve((a.taskDefinitions.get(label)?.node.defaultChild as ecs.CfnTaskDefinition).taskRoleArn);
    assert.deepEqual(taskRoleArn('build.large'), t.stack.resolve(own.roleArn));
    assert.deepEqual(taskRoleArn('linux'), t.stack.resolve(a.taskRole.roleArn));
    const doc = JSON.stringify(t.stack.resolve((a.node.findChild('ControllerLaunchPolicy') as iam.Policy).document));
    assert.ok(doc.includes(JSON.stringify(t.stack.resolve(own.roleArn))));
  });

  test('a taskRoles entry for a label no agent has is refused, naming the label', () => {
    const t = scaffold();
    assert.throws(
      () => new JenkinsAgents(t.stack, 'A', props(t, { taskRoles: { winodws: t.controllerRole } })),
      (e: unknown) => e instanceof JenkinsEcsConstructError && /taskRoles has the label "winodws"/.test(e.message),
    );
  });

  test('labels that would share a task family are refused at construction', () => {
    const t = scaffold();
    assert.throws(
      () => new JenkinsAgents(t.stack, 'A', props(t, { agents: [linux, { ...linux, label: 'a.b' }, { ...linux, label: 'a_b' }] })),
      (e: unknown) => e instanceof JenkinsEcsConstructError && /"a\.b" and "a_b"/.test(e.message),
    );
  });

  test('a jenkinsUrl that is not an HTTP URL is refused with an example of a good one', () => {
    const t = scaffold();
    assert.throws(
      () => new JenkinsAgents(t.stack, 'A', props(t, { jenkinsUrl: 'controller.ci.jenkins.internal:8080' })),
      (e: unknown) => e instanceof JenkinsEcsConstructError && /jenkinsUrl: got "controller\.ci\.jenkins\.internal:8080".*e\.g\. http:\/\//.test(e.message),
    );
  });

  test('an imported cluster with Spot templates gets a warning to check its FARGATE_SPOT provider', () => {
    const t = scaffold();
    const imported = ecs.Cluster.fromClusterAttributes(t.stack, 'Imported', { clusterName: 'shared', vpc: t.vpc });
    const a = new JenkinsAgents(t.stack, 'A', props(t, { cluster: imported }));
    const warnings = a.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /FARGATE_SPOT/);
  });

  test('no agents: no launch policy and an empty cloud list', () => {
    const t = scaffold();
    const a = new JenkinsAgents(t.stack, 'A', props(t, { agents: [] }));
    assert.equal(a.node.tryFindChild('ControllerLaunchPolicy'), undefined);
    assert.match(a.cascYaml, /clouds: \[\]/);
  });
});

process.on('exit', () => rmSync(outdir, { recursive: true, force: true }));
