// The migration task in the stack (config key `migration`): task definition, volumes, mount
// modes, security group and the least-privilege task role, from the synthesized template.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../src/app.js';
import { deploymentNames, parseConfig } from '../../src/config/index.js';
import { TAGS } from '../../src/continuity/model.js';
import { MIGRATE_CONTAINER, MIGRATE_LABELS, MIGRATE_MOUNTS, MIGRATE_SOURCE_VOLUME } from '../../src/migrate/events.js';
import { ROOT } from '../examples/synth.js';

const ENV = { account: '123456789012', region: 'eu-west-1' };
const FS = 'fs-0123456789abcdef0';
const AP = 'fsap-0123456789abcdef0';

function synth(migration: unknown) {
  const parsed = parseConfig({ name: 'mig', ...(migration === undefined ? {} : { migration }) });
  if (!parsed.ok) assert.fail(JSON.stringify(parsed.errors));
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'jenkins-ecs-migration-test-')) });
  const built = buildApp(parsed.config, { app, env: ENV });
  return { template: Template.fromStack(built.stack), stack: built.stack, jenkins: built.jenkins, app };
}

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };
type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

const withMigration = synth({ efsFileSystemId: FS, efsAccessPointId: AP });
const resources = withMigration.template.toJSON().Resources as Resources;
const taskDef = Object.values(resources).find((r) => r.Type === 'AWS::ECS::TaskDefinition' && r.Properties.Family === deploymentNames('mig').migrationTask);

const roleRef = { Ref: (taskDef?.Properties.TaskRoleArn as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0] };

function rolePolicyOf(): Statement[] {
  const policies = Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Policy');
  const mine = policies.filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([roleRef]));
  return mine.flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('migration task', () => {
  test('no `migration` in the config: no migration task, role or security group', () => {
    const { template } = synth(undefined);
    const json = JSON.stringify(template.toJSON());
    assert.equal(json.includes(deploymentNames('mig').migrationTask), false);
    assert.equal(json.includes('MigrationSecurityGroupId'), false);
    assert.equal(json.includes('MigrationOperatorPolicyArn'), false);
  });

  test('the task definition: 4 vCPU / 8 GiB Fargate, EFS with TLS and IAM through the access point, the home configured at launch', () => {
    assert.ok(taskDef, 'no migration task definition');
    const p = taskDef.Properties;
    assert.deepEqual([p.Cpu, p.Memory, p.NetworkMode, p.RequiresCompatibilities], ['4096', '8192', 'awsvpc', ['FARGATE']]);
    assert.deepEqual(p.Volumes, [
      { Name: MIGRATE_SOURCE_VOLUME, EFSVolumeConfiguration: { FilesystemId: FS, TransitEncryption: 'ENABLED', AuthorizationConfig: { IAM: 'ENABLED', AccessPointId: AP } } },
      { Name: 'jenkins-home', ConfiguredAtLaunch: true },
    ]);
    const [c] = p.ContainerDefinitions as Record<string, unknown>[];
    assert.equal(c?.Name, MIGRATE_CONTAINER);
    assert.deepEqual(c?.MountPoints, [
      { ContainerPath: MIGRATE_MOUNTS.source, ReadOnly: true, SourceVolume: MIGRATE_SOURCE_VOLUME },
      { ContainerPath: MIGRATE_MOUNTS.target, ReadOnly: false, SourceVolume: 'jenkins-home' },
    ]);
    assert.equal(c?.ReadonlyRootFilesystem, true);
    const labels = c?.DockerLabels as Record<string, unknown>;
    assert.deepEqual(Object.keys(labels).sort(), [MIGRATE_LABELS.infrastructureRole, MIGRATE_LABELS.securityGroup].sort());
    // The controller's infrastructure role: the one with the home key grants.
    const infra = withMigration.stack.resolve(withMigration.jenkins.controller.infrastructureRole.roleArn);
    assert.deepEqual(labels[MIGRATE_LABELS.infrastructureRole], infra);
  });

  test('the task role reads only that file system, over TLS, through the access point, and never writes it', () => {
    const statements = rolePolicyOf();
    const efs = statements.filter((s) => actions(s).some((a) => a.startsWith('elasticfilesystem:')));
    assert.equal(efs.length, 1);
    assert.deepEqual(actions(efs[0]!).sort(), ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientRootAccess']);
    assert.match(JSON.stringify(efs[0]!.Resource), new RegExp(`:file-system/${FS}"`));
    assert.deepEqual(efs[0]!.Condition?.Bool, { 'aws:SecureTransport': 'true', 'elasticfilesystem:AccessedViaMountTarget': 'true' });
    assert.match(JSON.stringify(efs[0]!.Condition?.StringEquals), new RegExp(`:access-point/${AP}"`));
    assert.equal(JSON.stringify(statements).includes('ClientWrite'), false);
  });

  test('the task role creates snapshots only with the lineage, kind=seed and protocol tag keys', () => {
    const statements = rolePolicyOf();
    const seed = statements.find((s) => s.Sid === 'MigrateSnapshotSeed');
    assert.deepEqual(seed?.Condition?.StringEquals, { [`aws:RequestTag/${TAGS.lineage}`]: 'mig', [`aws:RequestTag/${TAGS.kind}`]: 'seed' });
    assert.deepEqual(seed?.Condition?.['ForAllValues:StringEquals'], { 'aws:TagKeys': [TAGS.lineage, TAGS.kind, TAGS.task, TAGS.source] });
    const volume = statements.find((s) => s.Sid === 'MigrateSnapshotLineageVolume');
    assert.deepEqual(volume?.Condition?.StringEquals, { [`aws:ResourceTag/${TAGS.lineage}`]: 'mig' });
    const all = statements.flatMap(actions).sort();
    assert.deepEqual(all, [
      'ec2:CreateSnapshot',
      'ec2:CreateSnapshot',
      'ec2:CreateTags',
      'ec2:DescribeSnapshots',
      'ecs:DescribeTasks',
      'elasticfilesystem:ClientMount',
      'elasticfilesystem:ClientRootAccess',
    ]);
  });

  test('the security group: no inbound rule; NFS into the VPC and HTTPS out; its id is a stack output', () => {
    const sg = Object.values(resources).find((r) => r.Type === 'AWS::EC2::SecurityGroup' && r.Properties.GroupName === deploymentNames('mig').migrationTask);
    assert.ok(sg);
    assert.equal(sg.Properties.SecurityGroupIngress, undefined);
    const egress = (sg.Properties.SecurityGroupEgress as { IpProtocol: string; FromPort: number; ToPort: number; CidrIp: unknown }[]).map((e) => [e.FromPort, e.ToPort, typeof e.CidrIp === 'string' ? e.CidrIp : 'vpc']);
    assert.deepEqual(egress, [
      [2049, 2049, 'vpc'],
      [443, 443, '0.0.0.0/0'],
    ]);
    const outputs = withMigration.template.toJSON().Outputs as Record<string, { Description: string }>;
    assert.match(outputs.MigrationSecurityGroupId?.Description ?? '', /inbound TCP 2049/);
  });

  test("the operator's policy for migrate --from-efs is a managed policy named by the stable output MigrationOperatorPolicyArn, which the README names", () => {
    const outputs = withMigration.template.toJSON().Outputs as Record<string, { Value: { Ref?: string }; Description: string }>;
    const ref = outputs.MigrationOperatorPolicyArn?.Value.Ref;
    assert.ok(ref, 'no MigrationOperatorPolicyArn output');
    assert.equal(resources[ref]?.Type, 'AWS::IAM::ManagedPolicy');
    assert.match(readFileSync(join(ROOT, 'README.md'), 'utf8'), /MigrationOperatorPolicyArn/);
    // Its calls are simulated in test/iam (calls.ts, migrateEfsCalls) against this very policy.
  });

  test('cdk-nag (AwsSolutions) has no unacknowledged finding on the stack with the migration task', () => {
    // app.synth() throws on any unacknowledged finding (src/nag.ts).
    withMigration.app.synth();
  });

  test('without an access point there is no access point condition and the volume has none', () => {
    const { template } = synth({ efsFileSystemId: FS });
    const json = JSON.stringify(template.toJSON());
    assert.equal(json.includes('AccessPointId'), false);
    assert.equal(json.includes('elasticfilesystem:AccessPointArn'), false);
  });

  test('config: a malformed file system or access point id is refused with the key path and the fix', () => {
    const r = parseConfig({ name: 'mig', migration: { efsFileSystemId: 'fs-12', efsAccessPointId: 'ap-1' } });
    assert.equal(r.ok, false);
    const paths = r.ok ? [] : r.errors.map((e) => e.path);
    assert.deepEqual(paths.sort(), ['migration.efsAccessPointId', 'migration.efsFileSystemId']);
  });
});
