import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { cascVariables } from '../../src/config/agents-casc.js';
import type { AgentConfig } from '../../src/config/types.js';
import { JenkinsAgents, type JenkinsAgentsProps } from '../../src/constructs/jenkins-agents.js';
import { JenkinsEcsConstructError } from '../../src/constructs/errors.js';

// Standalone: a minimal stack with the seams JenkinsOnFargate provides (vpc, cluster, controller
// task role and security group). One synthesized template is shared by every assertion.

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
  app: App;
  stack: Stack;
  vpc: ec2.Vpc;
  cluster: ecs.Cluster;
  controllerRole: iam.Role;
  controllerSg: ec2.SecurityGroup;
}

function scaffold(outdir?: string): Scaffold {
  const app = new App(outdir ? { outdir } : {});
  const stack = new Stack(app, 'Agents');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
  const controllerRole = new iam.Role(stack, 'ControllerTaskRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  const controllerSg = new ec2.SecurityGroup(stack, 'ControllerSg', { vpc, allowAllOutbound: true });
  return { app, stack, vpc, cluster, controllerRole, controllerSg };
}

function props(s: Scaffold, extra: Partial<JenkinsAgentsProps> = {}): JenkinsAgentsProps {
  return {
    name: 'ci',
    vpc: s.vpc,
    cluster: s.cluster,
    controllerTaskRole: s.controllerRole,
    controllerSecurityGroup: s.controllerSg,
    agents: [linux, large],
    jenkinsUrl: 'http://controller.ci.internal:8080/',
    logRetention: logs.RetentionDays.ONE_MONTH,
    ...extra,
  };
}

const outdir = mkdtempSync(join(tmpdir(), 'agents-test-'));
const s = scaffold(outdir);
Validations.of(s.app).addPlugins(new AwsSolutionsChecks(s.app));
// The scaffold is not under test; its findings belong to the controller/network constructs.
Validations.of(s.vpc).acknowledge({ id: 'AwsSolutions-VPC7', reason: 'test scaffold' });
const buildRole = new iam.Role(s.stack, 'BuildLargeRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
const agents = new JenkinsAgents(s.stack, 'JenkinsAgents', props(s, { taskRoles: { 'build.large': buildRole } }));

let synthError: unknown;
try {
  s.app.synth();
} catch (e) {
  synthError = e;
}
const template = Template.fromStack(s.stack);
const resolve = (v: unknown): unknown => s.stack.resolve(v);

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };
const launchPolicy = Object.values(template.findResources('AWS::IAM::Policy')).find(
  (r) => JSON.stringify(r.Properties.PolicyName).includes('ControllerLaunchPolicy'),
) as { Properties: { PolicyDocument: { Statement: Statement[] }; Roles: unknown[] } };
const statement = (sid: string): Statement => {
  const st = launchPolicy.Properties.PolicyDocument.Statement.find((x) => x.Sid === sid);
  assert.ok(st, `statement ${sid}`);
  return st;
};
const actions = (st: Statement): string[] => (Array.isArray(st.Action) ? st.Action : [st.Action]);
const resources = (st: Statement): unknown[] => (Array.isArray(st.Resource) ? st.Resource : [st.Resource]);

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

describe('JenkinsAgents (standalone stack)', () => {
  test('cdk-nag AwsSolutions reports nothing unacknowledged for the agents construct', () => {
    const reportPath = join(outdir, 'validation-report.json');
    const report = existsSync(reportPath) ? readFileSync(reportPath, 'utf8') : '';
    const findings = [...report.matchAll(/"constructPath"\s*:\s*"([^"]+)"/g)].map((m) => m[1]).filter((p) => p?.includes('JenkinsAgents'));
    assert.deepEqual(findings, [], report);
    assert.equal(synthError, undefined, String(synthError));
  });

  test('every ${VAR} the cloud fragment uses has a value in the construct environment', () => {
    const vars = cascVariables(agents.cascYaml);
    assert.ok(vars.length >= 8);
    for (const v of vars) assert.ok(agents.environment[v] !== undefined && agents.environment[v] !== '', `missing ${v}`);
    assert.deepEqual(Object.keys(agents.environment).sort(), vars);
  });

  test('environment carries the cluster ARN, private subnets, agent SG, roles, log group and the controller URL', () => {
    const env = agents.environment;
    assert.deepEqual(resolve(env.AGENT_CLUSTER_ARN), resolve(s.cluster.clusterArn));
    assert.deepEqual(resolve(env.AGENT_SECURITY_GROUPS), resolve(agents.securityGroup.securityGroupId));
    assert.deepEqual(resolve(env.AGENT_EXECUTION_ROLE_ARN), resolve(agents.executionRole.roleArn));
    assert.deepEqual(resolve(env.AGENT_TASK_ROLE_ARN_LINUX), resolve(agents.taskRole.roleArn));
    assert.deepEqual(resolve(env.AGENT_TASK_ROLE_ARN_BUILD_LARGE), resolve(buildRole.roleArn));
    assert.deepEqual(resolve(env.AGENT_LOG_GROUP), resolve(agents.logGroup.logGroupName));
    assert.equal(env.AGENT_JENKINS_URL, 'http://controller.ci.internal:8080/');
    assert.deepEqual(resolve(env.AGENT_SUBNETS), resolve(s.vpc.privateSubnets.map((n) => n.subnetId).join(',')));
  });

  test('the cluster has the FARGATE and FARGATE_SPOT capacity providers', () => {
    template.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: Match.arrayWith(['FARGATE', 'FARGATE_SPOT']),
    });
  });

  test('the launch policy is attached to the controller task role', () => {
    assert.deepEqual(launchPolicy.Properties.Roles, [resolve(s.controllerRole.roleName)]);
  });

  test('RunTask is allowed only for the agent families, and only on the agent cluster', () => {
    const st = statement('RunAgentTasks');
    assert.deepEqual(actions(st), ['ecs:RunTask']);
    const arns = resources(st).map((r) => JSON.stringify(r));
    assert.equal(arns.length, 2);
    assert.ok(arns[0]?.includes(':task-definition/jenkins-ecs-ci-linux-agent:*'), arns[0]);
    assert.ok(arns[1]?.includes(':task-definition/jenkins-ecs-ci-build_large-agent:*'), arns[1]);
    assert.deepEqual(st.Condition, { ArnEquals: { 'ecs:cluster': resolve(s.cluster.clusterArn) } });
  });

  test('StopTask and DescribeTasks are limited to tasks of the agent cluster', () => {
    const st = statement('WatchAndStopAgentTasks');
    assert.deepEqual(actions(st).sort(), ['ecs:DescribeTasks', 'ecs:StopTask']);
    assert.deepEqual(st.Condition, { ArnEquals: { 'ecs:cluster': resolve(s.cluster.clusterArn) } });
    assert.match(JSON.stringify(resources(st)), /:task\/"?,?\{"Ref":"Cluster[0-9A-F]+"\},"\/\*"/);
  });

  test('only the task-definition calls without resource-level support get Resource *', () => {
    const st = statement('ManageAgentTaskDefinitions');
    assert.deepEqual(actions(st).sort(), ['ecs:DeregisterTaskDefinition', 'ecs:DescribeTaskDefinition', 'ecs:ListTagsForResource', 'ecs:RegisterTaskDefinition']);
    assert.deepEqual(resources(st), ['*']);
  });

  test('TagResource is allowed only while creating task definitions or tasks', () => {
    const st = statement('TagOnCreate');
    assert.deepEqual(actions(st), ['ecs:TagResource']);
    assert.deepEqual(st.Condition, { StringEquals: { 'ecs:CreateAction': ['RegisterTaskDefinition', 'RunTask'] } });
    assert.ok(!resources(st).includes('*'));
  });

  test('PassRole covers exactly the agent execution and task roles, passed to ECS tasks only', () => {
    const st = statement('PassAgentRoles');
    assert.deepEqual(actions(st), ['iam:PassRole']);
    assert.deepEqual(
      resources(st).map((r) => JSON.stringify(r)).sort(),
      [agents.executionRole.roleArn, agents.taskRole.roleArn, buildRole.roleArn].map((a) => JSON.stringify(resolve(a))).sort(),
    );
    assert.deepEqual(st.Condition, { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
  });

  test('no IAM statement anywhere grants ecs:* or * actions, or PassRole on Resource *', () => {
    const all = allStatements();
    assert.ok(all.length > 5);
    for (const st of all) {
      const acts = actions(st);
      assert.ok(!acts.includes('*') && !acts.includes('ecs:*') && !acts.includes('iam:*'), JSON.stringify(st));
      if (acts.some((a) => a === 'iam:PassRole' || a === 'iam:Pass*')) assert.ok(!resources(st).includes('*'), JSON.stringify(st));
    }
  });

  test('the plugin-unused discovery calls are not granted (ListClusters, DescribeClusters, container instances, EC2)', () => {
    const granted = new Set(launchPolicy.Properties.PolicyDocument.Statement.flatMap(actions));
    for (const a of ['ecs:ListClusters', 'ecs:DescribeClusters', 'ecs:ListTaskDefinitions', 'ecs:ListContainerInstances', 'ecs:DescribeContainerInstances', 'ec2:DescribeSubnets']) {
      assert.equal(granted.has(a), false, a);
    }
  });

  test('the default agent task role has no permissions at all', () => {
    const roleId = s.stack.getLogicalId(agents.taskRole.node.defaultChild as iam.CfnRole);
    const role = template.findResources('AWS::IAM::Role')[roleId];
    assert.equal(role?.Properties.Policies, undefined);
    assert.equal(role?.Properties.ManagedPolicyArns, undefined);
    const attached = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId));
    assert.deepEqual(attached, []);
  });

  test('agent roles are separate from the controller role and trusted by ECS tasks', () => {
    assert.notDeepEqual(resolve(agents.taskRole.roleArn), resolve(s.controllerRole.roleArn));
    assert.notDeepEqual(resolve(agents.executionRole.roleArn), resolve(s.controllerRole.roleArn));
    const roleId = s.stack.getLogicalId(agents.taskRole.node.defaultChild as iam.CfnRole);
    const trust = JSON.stringify(template.findResources('AWS::IAM::Role')[roleId]?.Properties.AssumeRolePolicyDocument);
    assert.match(trust, /ecs-tasks\.amazonaws\.com/);
    assert.match(trust, /aws:SourceAccount/);
  });

  test('the execution role writes agent logs and pulls only the private ECR repository in agents[]', () => {
    const execId = s.stack.getLogicalId(agents.executionRole.node.defaultChild as iam.CfnRole);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes(execId));
    const text = JSON.stringify(policies);
    assert.match(text, /logs:PutLogEvents/);
    assert.match(text, /ecr:BatchGetImage/);
    assert.match(text, /:123456789012:repository\/ci\/agent"/);
    assert.match(text, /ecr:GetAuthorizationToken/);
  });

  test('the agent security group has no ingress and allows outbound traffic for builds', () => {
    const sgId = s.stack.getLogicalId(agents.securityGroup.node.defaultChild as ec2.CfnSecurityGroup);
    const sg = template.findResources('AWS::EC2::SecurityGroup')[sgId];
    assert.equal(sg?.Properties.SecurityGroupIngress, undefined);
    assert.deepEqual(sg?.Properties.SecurityGroupEgress, [{ CidrIp: '0.0.0.0/0', Description: 'Allow all outbound traffic by default', IpProtocol: '-1' }]);
    const ingressFromAgents = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).filter(
      (r) => JSON.stringify(r.Properties.SourceSecurityGroupId) === JSON.stringify({ 'Fn::GetAtt': [sgId, 'GroupId'] }),
    );
    assert.equal(ingressFromAgents.length, 1);
  });

  test('the controller security group admits the agents on 8080 only', () => {
    const sgId = s.stack.getLogicalId(agents.securityGroup.node.defaultChild as ec2.CfnSecurityGroup);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: resolve(s.controllerSg.securityGroupId),
      SourceSecurityGroupId: { 'Fn::GetAtt': [sgId, 'GroupId'] },
      IpProtocol: 'tcp',
      FromPort: 8080,
      ToPort: 8080,
    });
  });

  test('agent logs keep the configured retention; the log group logical id is pinned', () => {
    const groups = template.findResources('AWS::Logs::LogGroup');
    const id = s.stack.getLogicalId(agents.logGroup.node.defaultChild as logs.CfnLogGroup);
    assert.equal(id, 'JenkinsAgentsLogsF90DCBD3');
    assert.equal(groups[id]?.Properties.RetentionInDays, 30);
  });

  test('agentTaskRole returns the override for its label and the shared role otherwise', () => {
    assert.equal(agents.agentTaskRole('build.large'), buildRole);
    assert.equal(agents.agentTaskRole('linux'), agents.taskRole);
    assert.throws(() => agents.agentTaskRole('windows'), (e: unknown) => e instanceof JenkinsEcsConstructError && /"windows".*known labels: "linux", "build.large"/.test(e.message));
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
});

process.on('exit', () => rmSync(outdir, { recursive: true, force: true }));
