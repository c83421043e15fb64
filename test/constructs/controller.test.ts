// Construct tests for the controller stack. Each config is synthesized once (with cdk-nag, which
// fails the synth on any unacknowledged finding) and many assertions share that template.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { buildApp } from '../../src/app.js';
import { parseConfig, RUN_DIR, type JenkinsEcsConfig } from '../../src/config/index.js';
import { MIN_HEALTH_CHECK_GRACE_SECONDS } from '../../src/constructs/home-continuity.js';
import {
  controllerHealthCheckGraceSeconds,
  JenkinsController,
  JenkinsEcsConstructError,
  JenkinsOnFargate,
} from '../../src/constructs/index.js';
import { JENKINS_OUTPUT_KEYS } from '../../src/constructs/jenkins-on-fargate.js';

const ENV = { account: '123456789012', region: 'eu-west-1' };
const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d';
const CERT = 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';

function config(input: unknown): JenkinsEcsConfig {
  const result = parseConfig(input);
  if (!result.ok) assert.fail(`test config rejected: ${JSON.stringify(result.errors)}`);
  return result.config;
}

function synth(input: unknown, enableExecuteCommand = false) {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'jenkins-ecs-controller-test-')) });
  const built = buildApp(config(input), { app, env: ENV, enableExecuteCommand });
  return {
    template: Template.fromStack(built.stack),
    stack: built.stack,
    stateStack: built.stateStack,
    jenkins: built.jenkins,
    outdir: app.outdir,
  };
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] }>;

function only(template: Template, type: string): { id: string; props: Record<string, unknown>; dependsOn: string[] } {
  const found = template.findResources(type) as Resources;
  const ids = Object.keys(found);
  assert.equal(ids.length, 1, `expected one ${type}, found ${ids.length}`);
  const id = ids[0] as string;
  const r = found[id]!;
  return { id, props: r.Properties ?? {}, dependsOn: r.DependsOn ?? [] };
}

/** The controller's task definition: the one with the jenkins container (agents have their own). */
function controllerTaskDefinition(template: Template): { id: string; props: Record<string, unknown>; dependsOn: string[] } {
  const found = Object.entries(template.findResources('AWS::ECS::TaskDefinition') as Resources).filter(([, r]) =>
    ((r.Properties?.ContainerDefinitions ?? []) as Array<{ Name?: string }>).some((c) => c.Name === 'jenkins'),
  );
  assert.equal(found.length, 1, `expected one task definition with a jenkins container, found ${found.length}`);
  const [id, r] = found[0]!;
  return { id, props: r.Properties ?? {}, dependsOn: r.DependsOn ?? [] };
}

/** Logical id of a construct's CFN resource (the L2's default child, or the L1 itself). */
function idOf(stack: Stack, construct: IConstruct): string {
  const cfn = (construct.node.defaultChild ?? construct) as CfnElement;
  return stack.getLogicalId(cfn);
}

function jenkinsContainer(template: Template): Record<string, unknown> {
  const td = controllerTaskDefinition(template);
  const defs = td.props.ContainerDefinitions as Array<Record<string, unknown>>;
  const c = defs.find((d) => d.Name === 'jenkins');
  assert.ok(c, 'jenkins container missing');
  return c;
}

/**
 * The service's static ManagedEBSVolume settings. With home continuity the service takes the whole
 * object from the LaunchSnapshot resource (GetAtt), whose properties carry the static settings.
 */
function managedVolume(template: Template): Record<string, unknown> {
  const svc = only(template, 'AWS::ECS::Service');
  const vcs = svc.props.VolumeConfigurations as Array<{ Name: string; ManagedEBSVolume: Record<string, unknown> }>;
  assert.equal(vcs.length, 1);
  assert.equal(vcs[0]!.Name, 'jenkins-home');
  const getAtt = vcs[0]!.ManagedEBSVolume['Fn::GetAtt'] as [string, string] | undefined;
  if (getAtt === undefined) return vcs[0]!.ManagedEBSVolume;
  const launch = template.toJSON().Resources[getAtt[0]] as { Type: string; Properties: { ManagedEBSVolume: Record<string, unknown> } };
  assert.deepEqual([launch.Type, getAtt[1]], ['Custom::LaunchSnapshot', 'ManagedEBSVolume']);
  return launch.Properties.ManagedEBSVolume;
}

function launchProperties(template: Template): Record<string, unknown> {
  return only(template, 'Custom::LaunchSnapshot').props;
}

describe('default config (name only): new VPC, HTTP, gp3 home, home continuity', () => {
  const { template, stack, stateStack, jenkins, outdir } = synth({ name: 'ci' });

  test('task definition declares the jenkins-home volume as configured at launch, and only that one', () => {
    const volumes = controllerTaskDefinition(template).props.Volumes as Array<Record<string, unknown>>;
    assert.deepEqual(volumes.filter((v) => v.ConfiguredAtLaunch), [{ Name: 'jenkins-home', ConfiguredAtLaunch: true }]);
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '2048',
      Memory: '4096',
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { OperatingSystemFamily: 'LINUX', CpuArchitecture: 'X86_64' },
    });
  });

  test('jenkins container runs as 1000:1000 with the home mounted, port 8080 and a 120 s stop timeout', () => {
    const c = jenkinsContainer(template);
    assert.equal(c.User, '1000:1000');
    assert.deepEqual(
      (c.MountPoints as unknown[]).filter((m) => (m as { SourceVolume: string }).SourceVolume === 'jenkins-home'),
      [{ ContainerPath: '/var/jenkins_home', SourceVolume: 'jenkins-home', ReadOnly: false }],
    );
    assert.deepEqual(c.PortMappings, [{ ContainerPort: 8080, Name: 'http', Protocol: 'tcp' }]);
    assert.equal(c.StopTimeout, 120);
    assert.equal(c.Essential, true);
  });

  test('jenkins logs go to a log group with limited retention', () => {
    const c = jenkinsContainer(template);
    const logConfig = c.LogConfiguration as { LogDriver: string; Options: Record<string, unknown> };
    assert.equal(logConfig.LogDriver, 'awslogs');
    const groupId = idOf(stack, jenkins.controller.logGroup);
    assert.deepEqual(logConfig.Options['awslogs-group'], { Ref: groupId });
    const group = (template.findResources('AWS::Logs::LogGroup') as Resources)[groupId]!;
    assert.equal(typeof group.Properties?.RetentionInDays, 'number');
  });

  test('admin login comes from a generated secret as ECS secrets, never as plain text', () => {
    const secret = only(template, 'AWS::SecretsManager::Secret');
    const gen = secret.props.GenerateSecretString as Record<string, unknown>;
    assert.equal(gen.GenerateStringKey, 'password');
    assert.equal(secret.props.SecretString, undefined);
    const c = jenkinsContainer(template);
    const secrets = c.Secrets as Array<{ Name: string; ValueFrom: unknown }>;
    const byName = new Map(secrets.map((s) => [s.Name, JSON.stringify(s.ValueFrom)]));
    assert.match(byName.get('JENKINS_ADMIN_PASSWORD') ?? '', new RegExp(`"Ref":"${secret.id}".*:password::`));
    assert.match(byName.get('JENKINS_ADMIN_ID') ?? '', new RegExp(`"Ref":"${secret.id}".*:username::`));
    const env = (c.Environment as Array<{ Name: string }>).map((e) => e.Name);
    assert.ok(!env.some((n) => /PASS|SECRET|TOKEN/i.test(n)), `secret-like env var in ${env.join(',')}`);
    // No literal password anywhere: no key that names a password carries a plain string.
    const literal: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if (/password|passwd|pwd/i.test(k) && typeof v === 'string') literal.push(`${k}=${v}`);
          walk(v);
        }
      }
    };
    walk(template.toJSON());
    assert.deepEqual(literal, []);
    const envValues = (c.Environment as Array<{ Value: unknown }>).map((e) => JSON.stringify(e.Value));
    assert.ok(!envValues.some((v) => /password/i.test(v)));
  });

  test('every ${VAR} in the JCasC files baked into the staged image is set on the jenkins container', () => {
    // Read what the Docker asset really contains: casc/jenkins.yaml plus the agents fragment.
    const assets = JSON.parse(readFileSync(join(outdir, `${stack.artifactId}.assets.json`), 'utf8')) as {
      dockerImages: Record<string, { source: { directory: string } }>;
    };
    const cascDirs = Object.values(assets.dockerImages)
      .map((i) => join(outdir, i.source.directory, 'casc'))
      .filter((d) => existsSync(join(d, 'jenkins.yaml')));
    assert.equal(cascDirs.length, 1, 'expected one controller image asset');
    const files = readdirSync(cascDirs[0]!).filter((f) => /\.ya?ml$/.test(f));
    assert.ok(files.includes('jenkins.yaml') && files.includes('agents.yaml'), files.join(','));
    const c = jenkinsContainer(template);
    const set = new Set([
      ...(c.Environment as Array<{ Name: string }>).map((e) => e.Name),
      ...(c.Secrets as Array<{ Name: string }>).map((e) => e.Name),
    ]);
    for (const file of files) {
      const text = readFileSync(join(cascDirs[0]!, file), 'utf8');
      const used = [...text.matchAll(/(?<!\^)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}/g)].map((m) => m[1] as string);
      if (file === 'jenkins.yaml') assert.ok(used.length >= 3);
      for (const v of used) assert.ok(set.has(v), `${file} uses \${${v}} but the container does not set it`);
    }
  });

  test('JENKINS_URL is the load balancer URL over HTTP when no certificate or domain is given', () => {
    const c = jenkinsContainer(template);
    const url = (c.Environment as Array<{ Name: string; Value: unknown }>).find((e) => e.Name === 'JENKINS_URL');
    const albId = idOf(stack, jenkins.loadBalancer);
    assert.deepEqual(url?.Value, { 'Fn::Join': ['', ['http://', { 'Fn::GetAtt': [albId, 'DNSName'] }, '/']] });
  });

  test('service: one task, never two at once, circuit breaker, no AZ rebalancing, long grace, platform ≥ 1.4.0', () => {
    const svc = only(template, 'AWS::ECS::Service');
    assert.equal(svc.props.DesiredCount, 1);
    assert.deepEqual(svc.props.DeploymentConfiguration, {
      Alarms: { AlarmNames: [], Enable: false, Rollback: false },
      DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      MaximumPercent: 100,
      MinimumHealthyPercent: 0,
    });
    assert.equal(svc.props.AvailabilityZoneRebalancing, 'DISABLED');
    assert.ok((svc.props.HealthCheckGracePeriodSeconds as number) >= 300);
    // 50 GiB home: the full-copy snapshot budget, the reconciler delay and a boot (src/config/grace.ts).
    assert.equal(svc.props.HealthCheckGracePeriodSeconds, controllerHealthCheckGraceSeconds(50));
    assert.equal(svc.props.PlatformVersion, 'LATEST');
    assert.equal(svc.props.LaunchType, 'FARGATE');
    assert.equal(svc.props.EnableExecuteCommand, false);
    assert.equal(svc.props.ServiceName, 'jenkins-ecs-ci-controller');
  });

  test('home volume: encrypted gp3 with size, IOPS, throughput, xfs, lineage and service tags, no KMS key', () => {
    const v = managedVolume(template);
    assert.equal(v.Encrypted, true);
    assert.equal(v.VolumeType, 'gp3');
    assert.equal(v.SizeInGiB, 50);
    assert.equal(v.Iops, 3000);
    assert.equal(v.Throughput, 125);
    assert.equal(v.FilesystemType, 'xfs');
    for (const absent of ['KmsKeyId', 'VolumeInitializationRate']) assert.equal(v[absent], undefined, absent);
    assert.deepEqual(v.TagSpecifications, [
      {
        ResourceType: 'volume',
        Tags: [
          { Key: 'jenkins-ecs:lineage', Value: 'ci' },
          { Key: 'jenkins-ecs:service', Value: 'jenkins-ecs-ci-controller' },
        ],
      },
    ]);
  });

  test('home volume uses the explicit infrastructure role, and the service depends on it', () => {
    const roleId = idOf(stack, jenkins.controller.infrastructureRole);
    assert.deepEqual(managedVolume(template).RoleArn, { 'Fn::GetAtt': [roleId, 'Arn'] });
    assert.ok(only(template, 'AWS::ECS::Service').dependsOn.includes(roleId));
    const role = (template.findResources('AWS::IAM::Role') as Resources)[roleId]!;
    assert.deepEqual((role.Properties?.AssumeRolePolicyDocument as { Statement: unknown[] }).Statement, [
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ecs.amazonaws.com' } },
    ]);
    assert.deepEqual(role.Properties?.ManagedPolicyArns, [
      {
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AmazonECSInfrastructureRolePolicyForVolumes'],
        ],
      },
    ]);
  });

  test('cluster has fixed name and FARGATE plus FARGATE_SPOT capacity providers', () => {
    template.hasResourceProperties('AWS::ECS::Cluster', { ClusterName: 'jenkins-ecs-ci' });
    template.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: Match.arrayWith(['FARGATE', 'FARGATE_SPOT']),
    });
  });

  test('controller registers in Cloud Map as controller.ci.jenkins.internal', () => {
    template.hasResourceProperties('AWS::ServiceDiscovery::PrivateDnsNamespace', { Name: 'ci.jenkins.internal' });
    template.hasResourceProperties('AWS::ServiceDiscovery::Service', { Name: 'controller' });
    assert.equal(jenkins.privateUrl, 'http://controller.ci.jenkins.internal:8080/');
    assert.equal(jenkins.controller.privateUrl, jenkins.privateUrl);
  });

  test('controller security group admits only the load balancer and the agents, on 8080, no CIDR', () => {
    const ingress = template.findResources('AWS::EC2::SecurityGroupIngress') as Resources;
    const sgId = idOf(stack, jenkins.controllerSecurityGroup);
    const albSgId = idOf(stack, jenkins.loadBalancerSecurityGroup);
    const toController = Object.values(ingress)
      .map((r) => r.Properties ?? {})
      .filter((p) => JSON.stringify(p.GroupId) === JSON.stringify({ 'Fn::GetAtt': [sgId, 'GroupId'] }));
    assert.ok(toController.length >= 1);
    for (const p of toController) {
      assert.equal(p.CidrIp, undefined);
      assert.ok(p.SourceSecurityGroupId, 'ingress without a source security group');
      assert.equal(p.FromPort, 8080);
      assert.equal(p.ToPort, 8080);
    }
    // Exactly two sources: the load balancer and the build agents.
    const agentsSgId = idOf(stack, jenkins.agents.securityGroup);
    assert.deepEqual(
      [...new Set(toController.map((p) => JSON.stringify(p.SourceSecurityGroupId)))].sort(),
      [albSgId, agentsSgId].map((id) => JSON.stringify({ 'Fn::GetAtt': [id, 'GroupId'] })).sort(),
    );
    const sg = (template.findResources('AWS::EC2::SecurityGroup') as Resources)[sgId]!;
    assert.equal(sg.Properties?.SecurityGroupIngress, undefined);
  });

  test('load balancer security group admits the allowed CIDRs on 80 only when there is no HTTPS', () => {
    const sgId = idOf(stack, jenkins.loadBalancerSecurityGroup);
    const sg = (template.findResources('AWS::EC2::SecurityGroup') as Resources)[sgId]!;
    const rules = sg.Properties?.SecurityGroupIngress as Array<Record<string, unknown>>;
    assert.deepEqual(
      rules.map((r) => [r.CidrIp, r.FromPort, r.ToPort]),
      [['0.0.0.0/0', 80, 80]],
    );
  });

  test('ALB is internet-facing, drops invalid headers and writes access logs to an SSE, TLS-only bucket', () => {
    const alb = only(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    assert.equal(alb.props.Scheme, 'internet-facing');
    const attrs = new Map((alb.props.LoadBalancerAttributes as Array<{ Key: string; Value: unknown }>).map((a) => [a.Key, a.Value]));
    assert.equal(attrs.get('routing.http.drop_invalid_header_fields.enabled'), 'true');
    assert.equal(attrs.get('access_logs.s3.enabled'), 'true');
    // The access-log bucket is the one the attribute names (the handoff bucket is the other).
    const bucketId = (attrs.get('access_logs.s3.bucket') as { Ref?: string } | undefined)?.Ref ?? assert.fail('access_logs.s3.bucket is no Ref');
    const bucket = (template.findResources('AWS::S3::Bucket') as Resources)[bucketId] ?? assert.fail(`no bucket ${bucketId}`);
    assert.deepEqual(bucket.Properties?.BucketEncryption, {
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test('target group health-checks /login for 200 with slow-boot thresholds and a short deregistration delay', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8080,
      Protocol: 'HTTP',
      TargetType: 'ip',
      HealthCheckPath: '/login',
      Matcher: { HttpCode: '200' },
      HealthCheckIntervalSeconds: 30,
      HealthCheckTimeoutSeconds: 10,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 5,
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '15' }]),
    });
  });

  test('without a certificate there is one HTTP listener forwarding to Jenkins', () => {
    const listener = only(template, 'AWS::ElasticLoadBalancingV2::Listener');
    assert.equal(listener.props.Port, 80);
    assert.equal(listener.props.Protocol, 'HTTP');
    assert.equal((listener.props.DefaultActions as Array<{ Type: string }>)[0]!.Type, 'forward');
    template.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    template.resourceCountIs('AWS::Route53::RecordSet', 0);
  });

  test('new VPC: two AZs (public + private subnets), one NAT gateway, flow logs', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::Subnet', 4);
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    template.resourceCountIs('AWS::EC2::FlowLog', 1);
  });

  test('outputs give URL, admin secret ARN (not its value), cluster, service and log group names, operator policy ARN', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    // Exact keys, as `cdk deploy --outputs-file` prints them: no construct-path hash.
    assert.deepEqual(Object.keys(outputs).sort(), [...JENKINS_OUTPUT_KEYS].sort());
    const secretId = only(template, 'AWS::SecretsManager::Secret').id;
    assert.deepEqual(outputs.AdminSecretArn?.Value, { Ref: secretId });
    assert.ok(outputs.Url?.Value);
    assert.deepEqual(outputs.ClusterName?.Value, { Ref: idOf(stack, jenkins.cluster) });
    assert.deepEqual(outputs.ServiceName?.Value, {
      'Fn::GetAtt': [only(template, 'AWS::ECS::Service').id, 'Name'],
    });
    assert.deepEqual(outputs.LogGroupName?.Value, {
      Ref: idOf(stack, jenkins.controller.logGroup),
    });
    assert.deepEqual(outputs.OperatorPolicyArn?.Value, { Ref: idOf(stack, jenkins.operatorPolicy.policy) });
  });

  test("the README's Outputs table lists exactly the stack's output keys", () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Outputs'), readme.indexOf('### Teardown'));
    // First column of each table row: one or more `Key` names. Rows that say "only with `key`"
    // are outputs of other configs (e.g. migration), not of this one.
    const rows = [...section.matchAll(/^\| ([^|]+) \| ([^\n]*)$/gm)].filter((m) => !/^only with /.test(m[2]!));
    const documented = rows.flatMap((m) => [...m[1]!.matchAll(/`([A-Za-z]+)`/g)].map((k) => k[1]!));
    const outputs = Object.keys(template.toJSON().Outputs as Record<string, unknown>);
    assert.deepEqual(documented.sort(), outputs.sort());
  });

  test('home continuity is on by default: the keeper sidecar runs next to Jenkins, which starts after it', () => {
    const td = controllerTaskDefinition(template);
    const defs = td.props.ContainerDefinitions as Array<Record<string, unknown>>;
    assert.deepEqual(defs.map((d) => d.Name).sort(), ['jenkins', 'keeper']);
    const keeper = defs.find((d) => d.Name === 'keeper')!;
    assert.equal(keeper.Essential, true);
    assert.equal(keeper.StopTimeout, 120);
    assert.ok(
      (keeper.MountPoints as Array<Record<string, unknown>>).some(
        (m) => m.SourceVolume === 'jenkins-home' && m.ContainerPath === '/var/jenkins_home',
      ),
    );
    // START, never HEALTHY: the gate inside the Jenkins image does the long wait.
    assert.deepEqual(jenkinsContainer(template).DependsOn, [{ ContainerName: 'keeper', Condition: 'START' }]);
  });

  test('Jenkins reads the keeper markers from a task-local run dir it cannot write', () => {
    const run = (jenkinsContainer(template).MountPoints as Array<Record<string, unknown>>).filter(
      (m) => m.ContainerPath === RUN_DIR,
    );
    assert.equal(run.length, 1);
    assert.equal(run[0]!.ReadOnly, true);
    const volumes = controllerTaskDefinition(template).props.Volumes as Array<Record<string, unknown>>;
    assert.ok(volumes.some((v) => v.Name === run[0]!.SourceVolume && !v.ConfiguredAtLaunch));
  });

  test('the service launches its home from the LaunchSnapshot resource (no seed, so none is passed; the resource adds SnapshotId)', () => {
    assert.equal(managedVolume(template).SnapshotId, undefined);
    const props = launchProperties(template);
    assert.equal(props.SeedSnapshotId, undefined);
    assert.equal(props.RecordTable, 'jenkins-ecs-ci-lineage');
  });

  test('the record table lives in the state stack, which the main stack depends on', () => {
    assert.ok(stateStack, 'no state stack');
    assert.equal(stateStack.stackName, 'jenkins-ecs-ci-state');
    assert.ok(stack.dependencies.includes(stateStack));
    Template.fromStack(stateStack).hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'jenkins-ecs-ci-lineage' });
  });

  test('the health-check grace period covers a task waiting at the gate', () => {
    assert.ok((only(template, 'AWS::ECS::Service').props.HealthCheckGracePeriodSeconds as number) >= MIN_HEALTH_CHECK_GRACE_SECONDS);
  });

  test('controller exposes the parts the continuity and agents constructs extend', () => {
    const c = jenkins.controller;
    assert.equal(c.homeVolumeName, 'jenkins-home');
    assert.equal(c.jenkinsContainer.containerName, 'jenkins');
    assert.equal(stack.resolve(c.cfnService.serviceName), 'jenkins-ecs-ci-controller');
    assert.ok(c.taskDefinition && c.infrastructureRole && c.logGroup && c.cluster);
  });
});

describe('full config: customer KMS key, seed snapshot, domain with hosted zone, restricted CIDRs, ECS Exec', () => {
  const { template, stack, jenkins } = synth(
    {
      name: 'prod',
      region: 'eu-west-1',
      access: { allowedCidrs: ['203.0.113.0/24'], domainName: 'jenkins.example.com', hostedZoneId: 'Z0123456789ABC' },
      controller: {
        cpu: 4096,
        memoryMiB: 8192,
        home: {
          sizeGiB: 200,
          volumeType: 'gp3',
          iops: 5000,
          throughputMiBps: 250,
          fileSystem: 'xfs',
          kmsKeyArn: KMS_KEY,
          seedSnapshotId: 'snap-0123456789abcdef0',
          initializationRateMiBps: 200,
        },
      },
    },
    true,
  );

  test('home volume carries the KMS key; the seed and the initialization rate go to the LaunchSnapshot resource', () => {
    const v = managedVolume(template);
    assert.equal(v.KmsKeyId, KMS_KEY);
    assert.equal(v.SnapshotId, undefined);
    assert.equal(v.VolumeInitializationRate, undefined);
    const props = launchProperties(template);
    assert.deepEqual([props.SeedSnapshotId, props.InitializationRateMiBps], ['snap-0123456789abcdef0', 200]);
    assert.equal(v.SizeInGiB, 200);
    assert.equal(v.Iops, 5000);
    assert.equal(v.Throughput, 250);
    assert.equal(v.Encrypted, true);
  });

  test('infrastructure role may use the key only via EC2 and create grants only for AWS resources; ECS may describe it directly', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          // ECS describes the key itself (not via EC2) when it validates the volume configuration.
          { Sid: 'HomeVolumeKeyDescribe', Effect: 'Allow', Action: 'kms:DescribeKey', Resource: KMS_KEY },
          Match.objectLike({
            Action: ['kms:GenerateDataKey*', 'kms:ReEncryptTo', 'kms:ReEncryptFrom', 'kms:Decrypt'],
            Resource: KMS_KEY,
            Condition: { StringEquals: { 'kms:ViaService': 'ec2.eu-west-1.amazonaws.com' } },
          }),
          Match.objectLike({
            Action: 'kms:CreateGrant',
            Resource: KMS_KEY,
            Condition: {
              StringEquals: { 'kms:ViaService': 'ec2.eu-west-1.amazonaws.com' },
              Bool: { 'kms:GrantIsForAWSResource': 'true' },
            },
          }),
        ]),
      },
    });
  });

  test('service depends on the infrastructure role and its policy', () => {
    const roleId = idOf(stack, jenkins.controller.infrastructureRole);
    const policyId = idOf(stack, jenkins.controller.infrastructureRole.node.findChild('DefaultPolicy'));
    const deps = only(template, 'AWS::ECS::Service').dependsOn;
    assert.ok(deps.includes(roleId), `DependsOn ${deps.join(',')} lacks the role`);
    assert.ok(deps.includes(policyId), `DependsOn ${deps.join(',')} lacks the role policy`);
  });

  test('HTTPS listener with a TLS 1.2+ policy and a DNS-validated certificate; HTTP redirects to HTTPS', () => {
    const certId = idOf(stack, jenkins.node.findChild('Certificate'));
    template.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'jenkins.example.com',
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: 'jenkins.example.com', HostedZoneId: 'Z0123456789ABC' }],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      Certificates: [{ CertificateArn: { Ref: certId } }],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [
        { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } },
      ],
    });
  });

  test('Route 53 alias A record points the domain at the load balancer', () => {
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'jenkins.example.com.',
      Type: 'A',
      HostedZoneId: 'Z0123456789ABC',
      AliasTarget: Match.objectLike({ DNSName: Match.anyValue() }),
    });
  });

  test('allowedCidrs are the only ALB ingress, on 80 and 443', () => {
    const sgId = idOf(stack, jenkins.loadBalancerSecurityGroup);
    const sg = (template.findResources('AWS::EC2::SecurityGroup') as Resources)[sgId]!;
    const rules = sg.Properties?.SecurityGroupIngress as Array<Record<string, unknown>>;
    assert.deepEqual(
      rules.map((r) => [r.CidrIp, r.FromPort]),
      [
        ['203.0.113.0/24', 80],
        ['203.0.113.0/24', 443],
      ],
    );
  });

  test('JENKINS_URL and the Url output use https://<domainName>/', () => {
    const c = jenkinsContainer(template);
    const url = (c.Environment as Array<{ Name: string; Value: unknown }>).find((e) => e.Name === 'JENKINS_URL');
    assert.equal(url?.Value, 'https://jenkins.example.com/');
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    assert.equal(outputs.Url?.Value, 'https://jenkins.example.com/');
  });

  test('ECS Exec is enabled when asked for', () => {
    assert.equal(only(template, 'AWS::ECS::Service').props.EnableExecuteCommand, true);
  });
});

describe('internal ALB with an imported certificate and an io2 ext4 home', () => {
  const { template } = synth({
    name: 'inside',
    access: { internal: true, allowedCidrs: ['10.0.0.0/8'], certificateArn: CERT },
    controller: { home: { volumeType: 'io2', iops: 4000, sizeGiB: 100, fileSystem: 'ext4' } },
  });

  test('ALB is internal and serves HTTPS with the given certificate; no certificate or record is created', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internal' });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Certificates: [{ CertificateArn: CERT }],
    });
    template.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    template.resourceCountIs('AWS::Route53::RecordSet', 0);
  });

  test('io2 home has IOPS, no throughput, ext4', () => {
    const v = managedVolume(template);
    assert.equal(v.VolumeType, 'io2');
    assert.equal(v.Iops, 4000);
    assert.equal(v.Throughput, undefined);
    assert.equal(v.FilesystemType, 'ext4');
  });
});

describe('domainName without hostedZoneId or certificateArn', () => {
  // Continuity and nag off: only the access wiring matters here, and the synth stays cheap.
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'jenkins-ecs-controller-test-')) });
  const built = buildApp(config({ name: 'named', access: { domainName: 'ci.example.com' } }), { app, env: ENV, nag: false, homeContinuity: false });
  const template = Template.fromStack(built.stack);

  test('still serves HTTPS with a DNS-validated certificate for the name (validated by hand), and creates no record', () => {
    const certId = idOf(built.stack, built.jenkins.node.findChild('Certificate'));
    const cert = only(template, 'AWS::CertificateManager::Certificate');
    assert.equal(cert.id, certId);
    assert.equal(cert.props.DomainName, 'ci.example.com');
    assert.equal(cert.props.ValidationMethod, 'DNS');
    assert.equal(cert.props.DomainValidationOptions, undefined);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 443, Protocol: 'HTTPS', Certificates: [{ CertificateArn: { Ref: certId } }] });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, DefaultActions: [Match.objectLike({ Type: 'redirect' })] });
    template.resourceCountIs('AWS::Route53::RecordSet', 0);
    assert.equal(built.jenkins.url, 'https://ci.example.com/');
  });
});

describe('construct validation (no synth)', () => {
  function controllerScope() {
    const stack = new Stack(new App(), 'S', { env: ENV });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
    const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
    return {
      stack,
      base: {
        name: 'ci',
        cluster,
        taskRole: new iam.Role(stack, 'R', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') }),
        securityGroup: new ec2.SecurityGroup(stack, 'Sg', { vpc }),
        adminSecret: new secretsmanager.Secret(stack, 'Secret'),
        jenkinsUrl: 'http://example/',
        cloudMapNamespace: new servicediscovery.PrivateDnsNamespace(stack, 'Ns', { name: 'ci.jenkins.internal', vpc }),
        image: ecs.ContainerImage.fromRegistry('jenkins/jenkins:lts'),
      },
    };
  }
  const cfg = config({ name: 'ci' });

  test('throughput on a non-gp3 volume is refused with the prop name and value', () => {
    const { stack, base } = controllerScope();
    const controller = { ...cfg.controller, home: { ...cfg.controller.home, volumeType: 'io2' as const, iops: 4000, throughputMiBps: 250 } };
    assert.throws(
      () => new JenkinsController(stack, 'C', { ...base, controller }),
      (e: unknown) => e instanceof JenkinsEcsConstructError && /throughputMiBps: got 250 with volumeType io2/.test(e.message),
    );
  });

  test('an initialization rate outside 100..300 or not whole, or a malformed seed id, is refused', () => {
    for (const [home, pattern] of [
      [{ initializationRateMiBps: 50 }, /initializationRateMiBps: got 50;/],
      [{ initializationRateMiBps: 150.5 }, /initializationRateMiBps: got 150\.5;/],
      [{ seedSnapshotId: 'snapshot-1' }, /seedSnapshotId: got "snapshot-1"/],
    ] as const) {
      const { stack, base } = controllerScope();
      const controller = { ...cfg.controller, home: { ...cfg.controller.home, ...home } };
      assert.throws(
        () => new JenkinsController(stack, 'C', { ...base, controller }),
        (e: unknown) => e instanceof JenkinsEcsConstructError && pattern.test(e.message),
      );
    }
  });

  test('overriding JENKINS_URL through environment is refused', () => {
    const { stack, base } = controllerScope();
    assert.throws(
      () => new JenkinsController(stack, 'C', { ...base, controller: cfg.controller, environment: { JENKINS_URL: 'x' } }),
      (e: unknown) => e instanceof JenkinsEcsConstructError && /"JENKINS_URL" is set by JenkinsController/.test(e.message),
    );
  });

  test('importing vpc.id without an account and region fails with a clear fix', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const withVpc = config({ name: 'ci', vpc: { id: 'vpc-0123456789abcdef0' } });
    assert.throws(
      () => new JenkinsOnFargate(stack, 'J', { config: withVpc }),
      (e: unknown) => e instanceof JenkinsEcsConstructError && /cdk\.context\.json/.test(e.message) && /vpc\.id/.test(e.message),
    );
  });
});

describe('vpc.availabilityZones: a new VPC in the zones given', () => {
  test('the subnets are in exactly those zones, checked against the region zones CDK knows', () => {
    const app = new App({
      outdir: mkdtempSync(join(tmpdir(), 'jenkins-ecs-az-test-')),
      // The cached AZ lookup (cdk.context.json) of this account and region.
      context: { 'availability-zones:account=123456789012:region=eu-west-1': ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] },
    });
    const built = buildApp(config({ name: 'ci', region: 'eu-west-1', vpc: { availabilityZones: ['eu-west-1b', 'eu-west-1c'] } }), { app, env: ENV });
    const subnets = Template.fromStack(built.stack).findResources('AWS::EC2::Subnet') as Resources;
    const zones = new Set(Object.values(subnets).map((r) => r.Properties?.AvailabilityZone));
    assert.deepEqual([...zones].sort(), ['eu-west-1b', 'eu-west-1c']);
    // A name the region does not have is refused by CDK's own check.
    const other = new App({ outdir: mkdtempSync(join(tmpdir(), 'jenkins-ecs-az-test-')), context: { 'availability-zones:account=123456789012:region=eu-west-1': ['eu-west-1a', 'eu-west-1b'] } });
    assert.throws(() => buildApp(config({ name: 'ci', region: 'eu-west-1', vpc: { availabilityZones: ['eu-west-1b', 'eu-west-1c'] } }), { app: other, env: ENV }), /must be a subset of the stack's availability zones/);
  });
});
