// Construct side of issue 10 (first deploy, redeploy and teardown in a real account):
// - 10.1: no Lambda function, rule, schedule or permission of the continuity machinery waits for
//   the controller service, directly or transitively (walking Ref / GetAtt / Sub / DependsOn the
//   way CloudFormation orders a create);
// - 10.2: the reconciler reserves no concurrency unless `reconciler.reservedConcurrency` says so;
// - the lineage record table lives in the state stack that teardown never deletes;
// - 10.7: every alarm notifies the configured topics, e-mails are subscribed, texts say what to do.
// Two deployments share one app: "ci" with every issue-10 key set, "min" with defaults only.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, type JenkinsEcsApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/index.js';
import { RECORD_TABLE_LOGICAL_ID } from '../../src/constructs/jenkins-state.js';
import { LAUNCH_POLL, LAUNCH_WAIT } from '../../src/constructs/launch-snapshot.js';
import { replacesTask } from '../../src/continuity/handover-deploy.js';
import { TASK_PROPERTIES } from '../../src/launch/handler.js';
import { LAUNCH_LAMBDA_TIMEOUT_MS, LAUNCH_MAX_ATTEMPTS, LAUNCH_STEP_BUDGET_MS } from '../../src/launch/timing.js';
import { dependenciesOnType, dependencyGraph, transitiveDependencies, type TemplateJson } from './support/template-graph.js';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:ops-alerts';
const CONTINUITY_TYPES = ['AWS::Lambda::Function', 'AWS::Events::Rule', 'AWS::Scheduler::Schedule', 'AWS::Lambda::Permission'];

function build(app: App, input: Record<string, unknown>, nag: boolean): JenkinsEcsApp {
  const parsed = parseConfig(input);
  if (!parsed.ok) assert.fail(JSON.stringify(parsed.errors));
  return buildApp(parsed.config, { app, env: { region: 'us-east-1' }, nag });
}

const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'jenkins-ecs-lifecycle-')) });
const ci = build(
  app,
  {
    name: 'ci',
    notifications: { emails: ['ops@example.com', 'oncall@example.org'], topicArn: TOPIC },
    reconciler: { reservedConcurrency: 1 },
    controller: { home: { seedSnapshotId: 'snap-0123456789abcdef0', initializationRateMiBps: 200 } },
  },
  true,
);
const min = build(app, { name: 'min' }, false);
app.synth();
const ciT = Template.fromStack(ci.stack);
const minT = Template.fromStack(min.stack);
const json = (t: Template) => t.toJSON() as TemplateJson;

describe('10.1: the continuity machinery never waits for the controller service', () => {
  for (const [what, t] of [['every key set', ciT], ['defaults', minT]] as const) {
    test(`no Lambda function, rule, schedule or permission depends on the service, even transitively (${what})`, () => {
      const template = json(t);
      const continuity = Object.values(template.Resources).filter((r) => CONTINUITY_TYPES.includes(r.Type));
      // The reconciler, its three rules and their permissions at least.
      assert.ok(continuity.length >= 7, `found ${continuity.length}`);
      assert.deepEqual(dependenciesOnType(template, CONTINUITY_TYPES, 'AWS::ECS::Service'), {});
    });
  }

  test('the walker sees the dependencies that do exist: the service waits for its task definition and infrastructure role', () => {
    const template = json(ciT);
    const service = Object.entries(template.Resources).find(([, r]) => r.Type === 'AWS::ECS::Service')![0];
    const deps = transitiveDependencies(dependencyGraph(template), service);
    const types = new Set([...deps].map((d) => template.Resources[d]!.Type));
    assert.ok(types.has('AWS::ECS::TaskDefinition') && types.has('AWS::IAM::Role') && types.has('AWS::ECS::Cluster'));
  });

  test('a planted dependency is found through GetAtt, Sub and a DependsOn chain', () => {
    const template: TemplateJson = {
      Resources: {
        Service: { Type: 'AWS::ECS::Service' },
        Policy: { Type: 'AWS::IAM::Policy', Properties: { Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:ecs:::service/${Service.Name}' } } },
        Role: { Type: 'AWS::IAM::Role', DependsOn: 'Policy' },
        Fn: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['Role', 'Arn'] } } },
        Rule: { Type: 'AWS::Events::Rule', Properties: { Pattern: { group: [{ 'Fn::GetAtt': 'Service.Name' }] } } },
        Clean: { Type: 'AWS::Events::Rule', Properties: { Name: { Ref: 'AWS::StackName' } } },
      },
    };
    assert.deepEqual(dependenciesOnType(template, CONTINUITY_TYPES, 'AWS::ECS::Service'), { Fn: ['Service'], Rule: ['Service'] });
  });
});

describe('10.2: reserved concurrency is off unless configured', () => {
  const reconcilers = (t: Template) =>
    Object.values(t.findResources('AWS::Lambda::Function')).filter((f) =>
      JSON.stringify(f.Properties).includes('JENKINS_ECS_KEEP_LAST'),
    );
  test('defaults: the reconciler reserves nothing', () => {
    const [fn] = reconcilers(minT);
    assert.ok(fn);
    assert.equal((fn.Properties as Record<string, unknown>).ReservedConcurrentExecutions, undefined);
  });
  test('reconciler.reservedConcurrency: 1 reserves one', () => {
    const [fn] = reconcilers(ciT);
    assert.equal((fn!.Properties as Record<string, unknown>).ReservedConcurrentExecutions, 1);
  });
});

describe('the lineage record table lives in the state stack, which teardown never deletes', () => {
  for (const [name, built] of [['ci', ci], ['min', min]] as const) {
    test(`${name}: one on-demand table with PITR, deletion protection, encryption, retained on delete and replace, termination-protected stack`, () => {
      assert.ok(built.stateStack);
      assert.equal(built.stateStack.terminationProtection, true);
      const tables = Template.fromStack(built.stateStack).findResources('AWS::DynamoDB::Table');
      assert.deepEqual(Object.keys(tables), [RECORD_TABLE_LOGICAL_ID]);
      const table = tables[RECORD_TABLE_LOGICAL_ID]!;
      assert.equal(table.DeletionPolicy, 'Retain');
      assert.equal(table.UpdateReplacePolicy, 'Retain');
      assert.deepEqual(table.Properties, {
        TableName: `jenkins-ecs-${name}-lineage`,
        KeySchema: [{ AttributeName: 'lineage', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'lineage', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        // SSEEnabled false = the AWS owned key; DynamoDB encrypts every table at rest.
        SSESpecification: { SSEEnabled: false },
      });
    });
  }

  test('the main stack has no table and no import from the state stack (it uses the fixed name)', () => {
    for (const t of [ciT, minT]) {
      t.resourceCountIs('AWS::DynamoDB::Table', 0);
      assert.doesNotMatch(JSON.stringify(t.toJSON()), /Fn::ImportValue/);
    }
  });

  test('keeper and reconciler may get and put only this lineage item of this table', () => {
    const statements = Object.values(ciT.findResources('AWS::IAM::Policy')).flatMap(
      (p) => (p.Properties as { PolicyDocument: { Statement: { Sid?: string; Action: unknown; Resource: unknown; Condition?: unknown }[] } }).PolicyDocument.Statement,
    );
    const tableArn = ci.stack.resolve(ci.stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: 'jenkins-ecs-ci-lineage' }));
    for (const sid of ['KeeperRecord', 'ReconcilerRecord']) {
      const found = statements.filter((s) => s.Sid === sid);
      assert.equal(found.length, 1, sid);
      assert.deepEqual([found[0]!.Action, found[0]!.Resource, found[0]!.Condition], [
        ['dynamodb:GetItem', 'dynamodb:PutItem'],
        tableArn,
        { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['ci'] } },
      ]);
    }
    const dynamo = statements.filter((s) => JSON.stringify(s.Action).includes('dynamodb:'));
    assert.ok(dynamo.every((s) => s.Condition !== undefined), 'every DynamoDB statement is limited to the lineage');
  });
});

describe('10.7: alarms reach someone and say what to do', () => {
  const alarms = (t: Template) => Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties as Record<string, unknown>);

  test('the e-mail addresses are subscribed to the created topic', () => {
    ciT.resourceCountIs('AWS::SNS::Subscription', 2);
    for (const email of ['ops@example.com', 'oncall@example.org']) {
      ciT.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: email });
    }
  });

  test('every alarm notifies both the created topic and the existing one, on ALARM and on OK', () => {
    const topics = Object.keys(ciT.findResources('AWS::SNS::Topic'));
    assert.equal(topics.length, 1);
    const list = alarms(ciT);
    assert.ok(list.length >= 7, `${list.length} alarms`);
    for (const a of list) {
      for (const key of ['AlarmActions', 'OKActions']) {
        assert.deepEqual(new Set(a[key] as unknown[]), new Set([{ Ref: topics[0] }, TOPIC]), `${String(a.AlarmDescription)} ${key}`);
      }
    }
  });

  test('without notifications the alarms exist but have no action and no topic is created', () => {
    minT.resourceCountIs('AWS::SNS::Topic', 0);
    for (const a of alarms(minT)) assert.equal(a.AlarmActions, undefined);
  });

  test('each alarm text says what happened and what to do', () => {
    for (const a of [...alarms(ciT), ...alarms(minT)]) {
      const text = String(a.AlarmDescription);
      assert.match(text, /^jenkins-ecs (ci|min): .+\. What to do: .+\.$/, text);
      assert.ok(text.length <= 1024, `CloudWatch allows 1024 characters: ${text.length}`);
    }
  });

  test('HeadTooOld treats a missing head age (no head yet) as fresh, so a new deployment stays silent', () => {
    const head = alarms(minT).filter((a) => JSON.stringify(a.Metrics ?? []).includes('HeadAgeSeconds'));
    assert.equal(head.length, 1);
    const metrics = head[0]!.Metrics as { Expression?: string }[];
    assert.deepEqual(metrics.filter((m) => m.Expression).map((m) => m.Expression), ['IF(FILL(running, 0) > 0, FILL(age, 0), 0)']);
    assert.equal(head[0]!.TreatMissingData, 'notBreaching');
  });
});

describe('LaunchSnapshot: the service launches from the snapshot the record names at deploy time', () => {
  const launchOf = (t: Template) => {
    const found = Object.entries(t.findResources('Custom::LaunchSnapshot'));
    assert.equal(found.length, 1);
    return { id: found[0]![0], props: found[0]![1].Properties as Record<string, unknown> };
  };
  const serviceVolume = (t: Template) => {
    const svc = Object.values(t.findResources('AWS::ECS::Service'))[0]!.Properties as { VolumeConfigurations: { Name: string; ManagedEBSVolume: unknown }[] };
    return svc.VolumeConfigurations;
  };

  test('the service takes its whole ManagedEBSVolume from the resource; no SSM-typed stack parameter is left', () => {
    for (const t of [ciT, minT]) {
      const { id } = launchOf(t);
      assert.deepEqual(serviceVolume(t), [{ Name: 'jenkins-home', ManagedEBSVolume: { 'Fn::GetAtt': [id, 'ManagedEBSVolume'] } }]);
      const params = (t.toJSON().Parameters ?? {}) as Record<string, { Type: string }>;
      assert.deepEqual(Object.values(params).filter((p) => p.Type.startsWith('AWS::SSM::Parameter::Value') && !JSON.stringify(p).includes('cdk-bootstrap')), []);
    }
  });

  test('its properties: the task definition revision, the static volume settings (no SnapshotId, no rate), the seed and the rate', () => {
    const { props } = launchOf(ciT);
    const taskDefinition = Object.keys(ciT.findResources('AWS::ECS::TaskDefinition')).find((id) => id.includes('Controller'))!;
    assert.deepEqual(props.TaskDefinition, { Ref: taskDefinition });
    assert.equal(props.SeedSnapshotId, 'snap-0123456789abcdef0');
    assert.equal(props.InitializationRateMiBps, 200);
    assert.deepEqual([props.Lineage, props.RecordTable, props.Service], ['ci', 'jenkins-ecs-ci-lineage', 'jenkins-ecs-ci-controller']);
    const volume = props.ManagedEBSVolume as Record<string, unknown>;
    assert.deepEqual(Object.keys(volume).sort(), ['Encrypted', 'FilesystemType', 'Iops', 'RoleArn', 'SizeInGiB', 'TagSpecifications', 'Throughput', 'VolumeType']);
    assert.deepEqual([volume.SizeInGiB, volume.VolumeType, volume.FilesystemType, volume.Encrypted], [50, 'gp3', 'xfs', true]);
    assert.equal(launchOf(minT).props.SeedSnapshotId, undefined);
  });

  test('it changes exactly when the controller task would be replaced: not for alarm settings, yes for the volume; the handler agrees', () => {
    const other = new App({ outdir: mkdtempSync(join(tmpdir(), 'jenkins-ecs-lifecycle-b-')) });
    const sameTask = build(other, { name: 'min', notifications: { emails: ['ops@example.com'] }, reconciler: { reservedConcurrency: 2 } }, false);
    const bigger = build(new App({ outdir: mkdtempSync(join(tmpdir(), 'jenkins-ecs-lifecycle-c-')) }), { name: 'min', controller: { home: { sizeGiB: 80 } } }, false);
    const update = (next: Template) => ({ RequestType: 'Update' as const, ResourceProperties: launchOf(next).props, OldResourceProperties: launchOf(minT).props });
    assert.deepEqual(launchOf(Template.fromStack(sameTask.stack)).props, launchOf(minT).props);
    assert.notDeepEqual(launchOf(Template.fromStack(bigger.stack)).props, launchOf(minT).props);
    // The handler begins a handover exactly for the second deploy.
    assert.equal(replacesTask(update(Template.fromStack(sameTask.stack)), TASK_PROPERTIES), false);
    assert.equal(replacesTask(update(Template.fromStack(bigger.stack)), TASK_PROPERTIES), true);
  });

  test('its properties are the names, the seed and exactly the task-replacing ones the handler compares', () => {
    const { props } = launchOf(ciT);
    const identity = ['ServiceToken', 'Lineage', 'RecordTable', 'Cluster', 'Service', 'SeedSnapshotId'];
    assert.deepEqual(Object.keys(props).sort(), [...identity, ...TASK_PROPERTIES.replacing].sort());
  });

  test('the service waits for the resource, and the resource waits for nothing of the service', () => {
    const template = json(ciT);
    const graph = dependencyGraph(template);
    const { id } = launchOf(ciT);
    const service = Object.entries(template.Resources).find(([, r]) => r.Type === 'AWS::ECS::Service')![0];
    assert.ok(transitiveDependencies(graph, service).has(id));
    assert.ok(!transitiveDependencies(graph, id).has(service));
  });

  test("the handler may get and put this lineage item, update this service, describe its tasks, pre-copy this lineage's volume", () => {
    const statements = Object.entries(ciT.findResources('AWS::IAM::Policy'))
      .filter(([pid]) => pid.includes('LaunchSnapshotRole'))
      .flatMap(([, p]) => (p.Properties as { PolicyDocument: { Statement: { Sid?: string; Action: unknown; Condition?: unknown }[] } }).PolicyDocument.Statement);
    const record = statements.find((s) => s.Sid === 'LaunchRecord');
    assert.deepEqual([record?.Action, record?.Condition], [['dynamodb:GetItem', 'dynamodb:PutItem'], { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['ci'] } }]);
    const actions = statements.flatMap((s) => [s.Action].flat() as string[]);
    for (const a of ['ecs:DescribeServices', 'ecs:UpdateService', 'ecs:DescribeTasks', 'ec2:CreateSnapshot', 'ec2:CreateTags', 'ec2:DescribeSnapshots', 'iam:PassRole']) assert.ok(actions.includes(a), a);
    assert.ok(!actions.includes('ec2:DeleteSnapshot') && !actions.includes('ecs:ListTasks'), 'nothing the handover does not call');
  });

  test("the provider bounds the wall time at 55 minutes: attempts × (interval + one isComplete budget), below CloudFormation's hour", () => {
    assert.ok(LAUNCH_WAIT.toMinutes() < 60);
    assert.ok(LAUNCH_STEP_BUDGET_MS < LAUNCH_LAMBDA_TIMEOUT_MS);
    assert.ok(LAUNCH_MAX_ATTEMPTS * (LAUNCH_POLL.toMilliseconds() + LAUNCH_STEP_BUDGET_MS) <= LAUNCH_WAIT.toMilliseconds());
    const machines = Object.values(ciT.findResources('AWS::StepFunctions::StateMachine'));
    assert.equal(machines.length, 1);
    const definition = JSON.stringify(machines[0]!.Properties);
    assert.ok(definition.includes(`\\"IntervalSeconds\\":${LAUNCH_POLL.toSeconds()},`), 'interval');
    assert.ok(definition.includes(`\\"MaxAttempts\\":${LAUNCH_MAX_ATTEMPTS},`), 'attempts');
    const fns = Object.values(ciT.findResources('AWS::Lambda::Function')).filter((f) => JSON.stringify(f).includes('launch snapshot and deploy handover'));
    assert.equal(fns.length, 2);
    for (const f of fns) assert.equal((f.Properties as { Timeout: number }).Timeout, LAUNCH_LAMBDA_TIMEOUT_MS / 1000);
  });
});
