// `jenkins-ecs migrate` against moto: EC2 (VPC, subnets, security groups, snapshots), EFS (file
// system, mount targets), ECS (cluster, service, the migration task definition, RunTask,
// DescribeTasks, StopTask), CloudWatch Logs (the task's stream), CloudWatch (BurstCreditBalance)
// and DynamoDB (the lineage record).
// - The migration task definition registered here is the one the stack synthesizes
//   (MigrationTask), converted from the template, so the CLI reads what the construct writes.
// - moto accepts RunTask but drops `volumeConfigurations`: the request is captured on the way out
//   by a middleware on the ECS client, and the volume assertions are made on that capture.
// - moto runs no container: the test's clock plays the task on its first sleep (writes the log
//   lines the task prints, creates the seed snapshot, stops the task).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand, CreateSnapshotCommand, CreateSubnetCommand, CreateVolumeCommand, CreateVpcCommand, DescribeSnapshotsCommand, ModifyVpcAttributeCommand } from '@aws-sdk/client-ec2';
import { CreateClusterCommand, CreateServiceCommand, DescribeTasksCommand, RegisterTaskDefinitionCommand, StopTaskCommand, UpdateServiceCommand, type RegisterTaskDefinitionCommandInput, type RunTaskCommandInput } from '@aws-sdk/client-ecs';
import { CreateFileSystemCommand, CreateMountTargetCommand, EFSClient } from '@aws-sdk/client-efs';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { buildApp } from '../../src/app.js';
import { Ec2Adapter } from '../../src/aws/ec2-adapter.js';
import { MigrationAdapter } from '../../src/aws/migration-adapter.js';
import { DynamoRecordAdapter } from '../../src/aws/record-adapter.js';
import { runMigrate, type MigrateDeps } from '../../src/cli/commands/migrate.js';
import { computeWarnings } from '../../src/cli/commands/status.js';
import type { RecordPort } from '../../src/continuity/record.js';
import { deploymentNames, parseConfig, type DeploymentNames } from '../../src/config/index.js';
import { TAGS } from '../../src/continuity/model.js';
import { RECORD_FORMAT } from '../../src/continuity/record.js';
import { MIGRATE_CONTAINER, MIGRATE_ENV, MIGRATE_LABELS, type MigrationEvent } from '../../src/migrate/events.js';
import { motoClients, motoUrl, uniqueLineage } from '../aws/moto.js';
import { BufferIo } from '../../src/cli/io.js';
import { runCommand, testContext } from './support/context.js';

const { ec2, ecs, dynamodb } = motoClients();
const endpoint = () => ({ endpoint: motoUrl(), region: 'us-east-1', maxAttempts: 1 });
const efs = new EFSClient(endpoint());
const logs = new CloudWatchLogsClient(endpoint());
const cloudwatch = new CloudWatchClient(endpoint());
const KMS = 'arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d';
const ROLE = 'arn:aws:iam::123456789012:role/jenkins-ecs-infrastructure';
const LOG_GROUP = '/jenkins-ecs/migrate-test';
const GiB = 1024 ** 3;

const captured: RunTaskCommandInput[] = [];
ecs.middlewareStack.add(
  (next, context) => async (args) => {
    if (context.commandName === 'RunTaskCommand') captured.push(structuredClone(args.input as RunTaskCommandInput));
    return next(args);
  },
  { step: 'initialize', name: 'captureRunTask' },
);

let vpcId = '';
let subnetA = '';
let subnetB = '';
let efsGroup = '';
let migrateGroup = '';

before(async () => {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  vpcId = vpc.Vpc!.VpcId!;
  // moto's RunTask names the task ENI's private DNS name, which it only sets with DNS hostnames on.
  await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));
  subnetA = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.128.0/20', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
  subnetB = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.144.0/20', AvailabilityZone: 'us-east-1b' }))).Subnet!.SubnetId!;
  migrateGroup = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: uniqueLineage('migrate'), Description: 'migration task' }))).GroupId!;
  efsGroup = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: uniqueLineage('efs'), Description: 'efs mount targets' }))).GroupId!;
  await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: efsGroup, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 2049, ToPort: 2049, UserIdGroupPairs: [{ GroupId: migrateGroup }] }] }));
  await logs.send(new CreateLogGroupCommand({ logGroupName: LOG_GROUP })).catch(() => undefined);
});

after(() => captured.splice(0));

async function fileSystem(opts: { mountTargetIn?: string; group?: string } = {}): Promise<string> {
  const fs = await efs.send(new CreateFileSystemCommand({ CreationToken: uniqueLineage('fs'), ThroughputMode: 'bursting', Encrypted: true }));
  const id = fs.FileSystemId!;
  if (opts.mountTargetIn !== 'none') {
    await efs.send(new CreateMountTargetCommand({ FileSystemId: id, SubnetId: opts.mountTargetIn ?? subnetA, SecurityGroups: [opts.group ?? efsGroup] }));
  }
  return id;
}

/** The intrinsic-free, camelCase form of a CloudFormation value, for the SDK (placeholders for refs). */
function sdkShape(value: unknown): unknown {
  const RENAME: Record<string, string> = { EFSVolumeConfiguration: 'efsVolumeConfiguration', FilesystemId: 'fileSystemId', IAM: 'iam' };
  if (Array.isArray(value)) return value.map(sdkShape);
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) return `resolved-${keys[0]}`;
  return Object.fromEntries(keys.map((k) => [RENAME[k] ?? (/^[A-Z]/.test(k) ? k[0]!.toLowerCase() + k.slice(1) : k), sdkShape(obj[k])]));
}

let synthesized: RegisterTaskDefinitionCommandInput | undefined;
const PLACEHOLDER_FS = 'fs-0123456789abcdef0';

/** The migration task definition the stack synthesizes (once), as RegisterTaskDefinition input. */
function synthesizedMigrationTask(): RegisterTaskDefinitionCommandInput {
  if (synthesized) return structuredClone(synthesized);
  const parsed = parseConfig({ name: 'mig', migration: { efsFileSystemId: PLACEHOLDER_FS } });
  assert.ok(parsed.ok);
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'jenkins-ecs-migrate-cli-')) });
  const built = buildApp(parsed.config, { app, env: { account: '123456789012', region: 'us-east-1' } });
  const resources = Template.fromStack(built.stack).toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
  const td = Object.values(resources).find((r) => r.Type === 'AWS::ECS::TaskDefinition' && r.Properties.Family === deploymentNames('mig').migrationTask);
  assert.ok(td, 'the stack has no migration task definition');
  synthesized = sdkShape(td.Properties) as RegisterTaskDefinitionCommandInput;
  delete (synthesized as { tags?: unknown }).tags;
  return structuredClone(synthesized);
}

/** Registers that task definition for deployment `name` and file system `fsId`. */
async function registerMigrationTask(name: string, fsId: string): Promise<void> {
  const input = synthesizedMigrationTask();
  input.family = deploymentNames(name).migrationTask;
  const source = input.volumes?.find((v) => v.efsVolumeConfiguration);
  assert.equal(source?.efsVolumeConfiguration?.fileSystemId, PLACEHOLDER_FS);
  source!.efsVolumeConfiguration!.fileSystemId = fsId;
  const container = input.containerDefinitions![0]!;
  // What CloudFormation would resolve: the role, the group and the log group.
  container.dockerLabels = { [MIGRATE_LABELS.infrastructureRole]: ROLE, [MIGRATE_LABELS.securityGroup]: migrateGroup };
  container.logConfiguration!.options!['awslogs-group'] = LOG_GROUP;
  container.image = '123456789012.dkr.ecr.us-east-1.amazonaws.com/migrate:1';
  // moto 5.2.1's RunTask sums container-level memory and fails on a container without it (Fargate
  // needs only the task-level value the stack sets).
  container.memory = Number(input.memory);
  input.taskRoleArn = 'arn:aws:iam::123456789012:role/migrate-task';
  input.executionRoleArn = 'arn:aws:iam::123456789012:role/migrate-exec';
  await ecs.send(new RegisterTaskDefinitionCommand(input));
}

interface World {
  readonly names: DeploymentNames;
  readonly fsId: string;
  readonly configFile: string;
  readonly deps: MigrateDeps;
  /** What the task prints when the clock plays it; `seed` is filled in with the snapshot it takes. */
  taskLines: (seed: string) => MigrationEvent[];
  seed?: string;
  /** The task RunTask started. */
  taskArn?: string;
}

async function world(opts: { mountTargetIn?: string; group?: string; home?: Record<string, unknown> } = {}): Promise<World> {
  const name = uniqueLineage('mig');
  const names = deploymentNames(name);
  const fsId = await fileSystem(opts);
  await ecs.send(new CreateClusterCommand({ clusterName: names.cluster }));
  await ecs.send(new RegisterTaskDefinitionCommand({ family: names.service, networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '2048', memory: '4096', containerDefinitions: [{ name: 'jenkins', image: 'jenkins/jenkins' }] }));
  await ecs.send(
    new CreateServiceCommand({
      cluster: names.cluster,
      serviceName: names.service,
      taskDefinition: names.service,
      desiredCount: 0,
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: [subnetA, subnetB], securityGroups: [efsGroup], assignPublicIp: 'DISABLED' } },
    }),
  );
  await registerMigrationTask(name, fsId);
  await dynamodb.send(new CreateTableCommand({ TableName: names.recordTable, KeySchema: [{ AttributeName: 'lineage', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'lineage', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
  const dir = mkdtempSync(join(tmpdir(), 'jenkins-ecs-migrate-cfg-'));
  const configFile = join(dir, 'jenkins-ecs.yaml');
  const home = { sizeGiB: 100, volumeType: 'gp3', iops: 4000, throughputMiBps: 250, fileSystem: 'ext4', kmsKeyArn: KMS, ...opts.home };
  writeFileSync(configFile, JSON.stringify({ name, region: 'us-east-1', controller: { home }, migration: { efsFileSystemId: fsId } }));

  const w: World = {
    names,
    fsId,
    configFile,
    taskLines: (seed) => [
      { msg: 'phase', phase: 'copy' },
      { msg: 'progress', bytes: 2 * GiB, percent: 50, files: 10, totalFiles: 20, bytesPerSecond: 100 * 1024 * 1024 },
      { msg: 'phase', phase: 'verify' },
      { msg: 'verified', counts: { files: 12, dirs: 8, symlinks: 1, others: 0, bytes: 4 * GiB, extraLinks: 0 }, sampledFiles: 12, sampledBytes: 4 * GiB },
      { msg: 'seed', snapshotId: seed, volumeId: 'vol-x' },
    ],
    deps: undefined as unknown as MigrateDeps,
  };
  let played = false;
  const clock = {
    now: () => new Date(),
    sleep: async () => {
      const run = captured.at(-1);
      if (played || !run) return;
      played = true;
      // The task: its volume, its seed snapshot, its log lines, its exit.
      const vol = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 100 }));
      const snap = await ec2.send(
        new CreateSnapshotCommand({ VolumeId: vol.VolumeId!, TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: TAGS.lineage, Value: names.lineage }, { Key: TAGS.kind, Value: 'seed' }] }] }),
      );
      w.seed = snap.SnapshotId!;
      const taskArn = w.taskArn!;
      const stream = `${MIGRATE_CONTAINER}/${MIGRATE_CONTAINER}/${taskArn.slice(taskArn.lastIndexOf('/') + 1)}`;
      await logs.send(new CreateLogStreamCommand({ logGroupName: LOG_GROUP, logStreamName: stream }));
      const t0 = Date.now();
      await logs.send(new PutLogEventsCommand({ logGroupName: LOG_GROUP, logStreamName: stream, logEvents: w.taskLines(w.seed).map((e, i) => ({ timestamp: t0 + i, message: JSON.stringify(e) })) }));
      await ecs.send(new StopTaskCommand({ cluster: names.cluster, task: taskArn, reason: 'Essential container in task exited' }));
    },
  };
  const adapter = new MigrationAdapter({ efs, ec2, ecs, logs, cloudwatch });
  const migration = Object.assign(Object.create(adapter) as MigrationAdapter, {
    runTask: async (input: RunTaskCommandInput) => (w.taskArn = await adapter.runTask(input)),
  });
  (w as { deps: MigrateDeps }).deps = { migration, ec2: new Ec2Adapter(ec2), records: new DynamoRecordAdapter(dynamodb, names.recordTable), clock };
  return w;
}

async function migrate(w: World, args: readonly string[]) {
  const ctx = testContext();
  const command = { run: (a: readonly string[], c: typeof ctx) => runMigrate(a, c, () => w.deps) };
  const result = await runCommand(command, ['--config', w.configFile, '--yes', '--poll-seconds', '1', ...args], ctx);
  return { ...result, out: ctx.io.stdout.join('\n'), err: ctx.io.stderr.join('\n') };
}

describe('migrate --from-efs', () => {
  test('runs the migration task in the private subnets that reach a mount target, with the home volume settings, and makes the seed the head', async () => {
    const w = await world();
    await cloudwatch.send(new PutMetricDataCommand({ Namespace: 'AWS/EFS', MetricData: [{ MetricName: 'BurstCreditBalance', Dimensions: [{ Name: 'FileSystemId', Value: w.fsId }], Value: 500 * GiB, Unit: 'Bytes', Timestamp: new Date() }] }));
    const before = captured.length;
    const r = await migrate(w, ['--from-efs', w.fsId, '--path', '/jenkins']);
    assert.equal(r.code, 0, `${r.error?.stack}\n${r.out}\n${r.err}`);
    assert.equal(captured.length, before + 1);
    const req = captured.at(-1)!;
    // The task definition and the network.
    assert.match(req.taskDefinition ?? '', new RegExp(`task-definition/${w.names.migrationTask}:\\d+$`));
    assert.deepEqual([req.cluster, req.launchType, req.count], [w.names.cluster, 'FARGATE', 1]);
    assert.deepEqual(req.networkConfiguration, { awsvpcConfiguration: { subnets: [subnetA], securityGroups: [migrateGroup], assignPublicIp: 'DISABLED' } });
    assert.deepEqual(req.overrides?.containerOverrides, [{ name: MIGRATE_CONTAINER, environment: [{ name: MIGRATE_ENV.sourcePath, value: '/jenkins' }] }]);
    // The volume: the home's settings from the config, the lineage tag, deleted with the task.
    assert.deepEqual(req.volumeConfigurations, [
      {
        name: 'jenkins-home',
        managedEBSVolume: {
          roleArn: ROLE,
          encrypted: true,
          kmsKeyId: KMS,
          volumeType: 'gp3',
          sizeInGiB: 100,
          iops: 4000,
          throughput: 250,
          filesystemType: 'ext4',
          tagSpecifications: [{ resourceType: 'volume', tags: [{ key: TAGS.lineage, value: w.names.lineage }], propagateTags: 'NONE' }],
          terminationPolicy: { deleteOnTermination: true },
        },
      },
    ]);
    // moto kept the task with that definition (it keeps neither the volume nor, in DescribeTasks, the network).
    const stored = await ecs.send(new DescribeTasksCommand({ cluster: w.names.cluster, tasks: [w.taskArn!] }));
    assert.equal(stored.tasks?.[0]?.taskDefinitionArn, req.taskDefinition);
    assert.equal(stored.tasks?.[0]?.lastStatus, 'STOPPED');
    // The record: the seed is member and head, the operation is over.
    const record = await w.deps.records.read(w.names.lineage);
    assert.equal(record?.head?.snapshotId, w.seed);
    assert.equal(record?.head?.kind, 'seed');
    assert.match(record?.head?.task ?? '', /:task\//);
    assert.equal(record?.operation, undefined);
    assert.equal(record?.format, RECORD_FORMAT);
    // What the user saw.
    assert.match(r.out, /estimate: .* bursting mode; 500 GiB of burst credits last for the whole copy/s);
    assert.match(r.out, /--throughput-mode elastic/);
    assert.match(r.out, /stop writes on the old Jenkins first/);
    assert.match(r.out, new RegExp(`seed ${w.seed} is the head of lineage`));
    assert.match(r.err, /copy \[#{15}-{15}\] {2}50% {2}2\.0 of 4\.0 GiB, 10\/20 files, 100 MiB\/s, ETA 20s/);
    assert.match(r.err, /verified: 12 files, 8 directories, 1 symlinks/);
  });

  test('a file system that does not exist is refused in one line, before anything runs', async () => {
    const w = await world();
    const before = captured.length;
    const r = await migrate(w, ['--from-efs', 'fs-0000000000000000f']);
    assert.equal(r.code, 7);
    assert.equal(r.error?.message, 'refused: file system fs-0000000000000000f does not exist in this account and region');
    assert.equal(captured.length, before);
  });

  test('a running controller is refused with the command that stops it', async () => {
    const w = await world();
    await ecs.send(new UpdateServiceCommand({ cluster: w.names.cluster, service: w.names.service, desiredCount: 1 }));
    const r = await migrate(w, ['--from-efs', w.fsId]);
    assert.equal(r.code, 7);
    assert.match(r.error?.message ?? '', /^refused: the controller of '.*' is running \(desired 1, running \d\); stop it first: aws ecs update-service .* --desired-count 0$/);
  });

  test('a lineage with a head is refused without --force; with --force the seed replaces it as head', async () => {
    const w = await world();
    const old = { snapshotId: 'snap-0000000000000000a', seq: 1, kind: 'final' as const };
    assert.ok(await w.deps.records.write({ lineage: w.names.lineage, format: RECORD_FORMAT, seq: 1, head: old, snapshots: [old] }, undefined));
    const refusedRun = await migrate(w, ['--from-efs', w.fsId]);
    assert.equal(refusedRun.code, 7);
    assert.match(refusedRun.error?.message ?? '', /already has a head \(snap-0000000000000000a, final\); pass --force/);
    const forced = await migrate(w, ['--from-efs', w.fsId, '--force']);
    assert.equal(forced.code, 0, forced.error?.message);
    const record = await w.deps.records.read(w.names.lineage);
    assert.deepEqual(record?.snapshots.map((s) => s.kind), ['final', 'seed']);
    assert.equal(record?.head?.snapshotId, w.seed);
  });

  test('no mount target in the AZs of the deployment subnets is refused, naming the AZs', async () => {
    const c = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.160.0/20', AvailabilityZone: 'us-east-1c' }))).Subnet!.SubnetId!;
    const w = await world({ mountTargetIn: c });
    const r = await migrate(w, ['--from-efs', w.fsId]);
    assert.equal(r.code, 7);
    assert.match(r.error?.message ?? '', /has no available mount target in the AZs of the deployment's subnets \(us-east-1a, us-east-1b\)/);
  });

  test('a mount target group without NFS from the migration task is refused with the exact rule to add', async () => {
    const closed = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: uniqueLineage('closed'), Description: 'no nfs' }))).GroupId!;
    const w = await world({ group: closed });
    const r = await migrate(w, ['--from-efs', w.fsId]);
    assert.equal(r.code, 7);
    assert.match(r.error?.message ?? '', new RegExp(`add: aws ec2 authorize-security-group-ingress --group-id ${closed} --protocol tcp --port 2049 --source-group ${migrateGroup}$`));
  });

  test('a task that reports a failed verification ends the operation and leaves the lineage without a seed', async () => {
    const w = await world();
    w.taskLines = () => [
      { msg: 'phase', phase: 'verify' },
      { msg: 'failed', reason: 'the copy does not match the source (1 differences): jobs/big.bin: size 2097152 != 1048576' },
    ];
    const r = await migrate(w, ['--from-efs', w.fsId]);
    assert.equal(r.code, 1);
    assert.match(r.error?.message ?? '', /failed: the copy does not match the source .*nothing entered the lineage/);
    const record = await w.deps.records.read(w.names.lineage);
    assert.equal(record?.operation, undefined);
    assert.equal(record?.head, undefined);
  });

  test('a --from-efs that the deployed migration task does not mount is refused with the config key to set', async () => {
    const w = await world();
    const other = await fileSystem();
    const r = await migrate(w, ['--from-efs', other]);
    assert.equal(r.code, 7);
    assert.match(r.error?.message ?? '', new RegExp(`the deployed migration task mounts ${w.fsId}; set migration.efsFileSystemId to ${other} and deploy first`));
  });
});

describe('migrate interrupted', () => {
  /** The record's writes, with the one that would enter the seed failing the way a missing grant fails in AWS. */
  function failSeedWrite(w: World): () => boolean {
    const real = w.deps.records;
    let failed = false;
    const records: RecordPort = {
      read: (lineage) => real.read(lineage),
      write: async (next, expectedSeq) => {
        if (!failed && next.head?.kind === 'seed') {
          failed = true;
          throw Object.assign(new Error('User: arn:aws:sts::123456789012:assumed-role/ops/me is not authorized to perform: dynamodb:PutItem'), { name: 'AccessDeniedException' });
        }
        return real.write(next, expectedSeq);
      },
    };
    (w as { deps: MigrateDeps }).deps = { ...w.deps, records };
    return () => failed;
  }

  async function lineageSnapshots(lineage: string): Promise<number> {
    const r = await ec2.send(new DescribeSnapshotsCommand({ Filters: [{ Name: `tag:${TAGS.lineage}`, Values: [lineage] }] }));
    return r.Snapshots?.length ?? 0;
  }

  test('a failed last write names the command that enters the seed; until then status and a plain re-run point to --resume; the command adopts the seed without another copy', async () => {
    const w = await world();
    const failed = failSeedWrite(w);
    const r1 = await migrate(w, ['--from-efs', w.fsId]);
    assert.ok(failed());
    assert.notEqual(r1.code, 0);
    const m = /the seed (snap-[0-9a-f]+) exists but is not in the lineage yet: enter it, without another copy, with 'jenkins-ecs migrate --name (\S+) --from-snapshot (snap-[0-9a-f]+) --fs-type ext4 --resume ([0-9a-f-]{36})'$/.exec(r1.error?.message ?? '');
    assert.ok(m, r1.error?.message);
    assert.match(r1.error?.message ?? '', /^AWS error AccessDeniedException: .* dynamodb:PutItem; /);
    assert.equal(m[1], w.seed);
    assert.equal(m[3], w.seed);
    const id = m[4]!;
    const stuck = await w.deps.records.read(w.names.lineage);
    assert.deepEqual([stuck?.operation?.kind, stuck?.operation?.id, stuck?.head], ['migrate', id, undefined]);

    // status says how to finish it.
    const warnings = computeWarnings({ lineage: [], liveHolders: [], liveTasks: [], volumes: new Map(), operation: stuck!.operation!, deploymentName: m[2]!, desiredCount: 0, intervalMinutes: 60, now: new Date() });
    assert.ok(warnings.some((x) => x.code === 'operation-interrupted' && x.message.includes(`--resume ${id}`)), JSON.stringify(warnings));
    // A new migrate would start a second copy under a foreign operation: refused, naming --resume.
    const plain = await migrate(w, ['--from-efs', w.fsId]);
    assert.equal(plain.code, 7);
    assert.match(plain.error?.message ?? '', new RegExp(`a migrate \\(${id}\\) is in progress or was interrupted .* again with --resume ${id}$`));

    const snapshotsBefore = await lineageSnapshots(w.names.lineage);
    const r2 = await migrate(w, ['--from-snapshot', m[3]!, '--fs-type', 'ext4', '--resume', id]);
    assert.equal(r2.code, 0, r2.error?.message);
    assert.match(r2.out, /already a seed of lineage .* without another copy/);
    assert.equal(await lineageSnapshots(w.names.lineage), snapshotsBefore, 'no copy was made');
    const record = await w.deps.records.read(w.names.lineage);
    assert.equal(record?.head?.snapshotId, w.seed);
    assert.equal(record?.operation, undefined);
  });

  test('--resume of an operation that is not in progress is refused; a malformed id is a usage error', async () => {
    const w = await world();
    const r1 = await migrate(w, ['--from-efs', w.fsId, '--resume', '0f8fad5b-d9cb-469f-a165-70867728950e']);
    assert.equal(r1.code, 7);
    assert.match(r1.error?.message ?? '', /--resume 0f8fad5b-d9cb-469f-a165-70867728950e: no such migrate is in progress/);
    const r2 = await migrate(w, ['--from-efs', w.fsId, '--resume', 'yesterday']);
    assert.equal(r2.code, 2);
  });

  test('declining the prompt under --resume ends the interrupted operation', async () => {
    const w = await world();
    failSeedWrite(w);
    const r1 = await migrate(w, ['--from-efs', w.fsId]);
    const id = /--resume ([0-9a-f-]{36})/.exec(r1.error?.message ?? '')?.[1];
    assert.ok(id, r1.error?.message);
    const ctx = testContext({ io: new BufferIo([false]) });
    const command = { run: (a: readonly string[], c: typeof ctx) => runMigrate(a, c, () => w.deps) };
    const r2 = await runCommand(command, ['--config', w.configFile, '--poll-seconds', '1', '--from-snapshot', w.seed!, '--fs-type', 'ext4', '--resume', id], ctx);
    assert.equal(r2.code, 1);
    assert.match(r2.error?.message ?? '', new RegExp(`the interrupted migrate ${id} is ended, nothing entered the lineage`));
    const record = await w.deps.records.read(w.names.lineage);
    assert.equal(record?.operation, undefined);
    assert.equal(record?.head, undefined);
  });
});

describe('migrate usage', () => {
  test('exactly one source, well-formed ids and an absolute --path, else exit 2 before any AWS call', async () => {
    const ctx = testContext();
    const never = () => assert.fail('no AWS call expected');
    const command = { run: (a: readonly string[], c: typeof ctx) => runMigrate(a, c, never) };
    for (const [args, message] of [
      [[], /give either --from-efs fs-… or --from-snapshot snap-…/],
      [['--from-efs', 'fs-0123456789abcdef0', '--from-snapshot', 'snap-0123456789abcdef0'], /one of the two/],
      [['--from-efs', 'efs-1'], /--from-efs 'efs-1' is not a file system id/],
      [['--from-efs', 'fs-0123456789abcdef0', '--access-point', 'ap-1'], /--access-point 'ap-1' is not an access point id/],
      [['--from-efs', 'fs-0123456789abcdef0', '--path', 'jenkins'], /--path 'jenkins' must be an absolute path/],
      [['--from-efs', 'fs-0123456789abcdef0', '--path', '/a/../..'], /--path '\/a\/..\/..' must be an absolute path inside/],
    ] as const) {
      const r = await runCommand(command, args, ctx);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.error?.message}`);
      assert.match(r.error?.message ?? '', message);
    }
  });
});

describe('migrate --from-snapshot', () => {
  async function userSnapshot(sizeGiB: number): Promise<string> {
    const vol = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: sizeGiB }));
    return (await ec2.send(new CreateSnapshotCommand({ VolumeId: vol.VolumeId! }))).SnapshotId!;
  }

  test('copies the snapshot into a seed the lineage owns, leaves the original untouched, and makes the copy the head', async () => {
    const w = await world();
    const original = await userSnapshot(80);
    const r = await migrate(w, ['--from-snapshot', original, '--fs-type', 'ext4']);
    assert.equal(r.code, 0, r.error?.message);
    const record = await w.deps.records.read(w.names.lineage);
    const seed = record?.head;
    assert.equal(seed?.kind, 'seed');
    assert.equal(seed?.source, original);
    assert.notEqual(seed?.snapshotId, original);
    const copy = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [seed!.snapshotId] }));
    const tags = Object.fromEntries((copy.Snapshots?.[0]?.Tags ?? []).map((t) => [t.Key, t.Value]));
    assert.deepEqual([tags[TAGS.lineage], tags[TAGS.kind], tags[TAGS.source]], [w.names.lineage, 'seed', original]);
    const mine = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [original] }));
    assert.equal((mine.Snapshots?.[0]?.Tags ?? []).length, 0);
    assert.match(r.out, /owned by 1000:1000/);
  });

  test('a snapshot larger than the home, or of another file system, is refused with the fix', async () => {
    const w = await world();
    const big = await userSnapshot(200);
    const r1 = await migrate(w, ['--from-snapshot', big, '--fs-type', 'ext4']);
    assert.equal(r1.code, 7);
    assert.match(r1.error?.message ?? '', /is of a 200 GiB volume, larger than controller.home.sizeGiB \(100\); raise sizeGiB to at least 200/);
    const small = await userSnapshot(10);
    const r2 = await migrate(w, ['--from-snapshot', small, '--fs-type', 'xfs']);
    assert.equal(r2.code, 7);
    assert.match(r2.error?.message ?? '', /holds xfs but controller.home.fileSystem is ext4/);
    const r3 = await migrate(w, ['--from-snapshot', small]);
    assert.equal(r3.code, 2);
    assert.match(r3.error?.message ?? '', /needs --fs-type xfs\|ext4/);
  });
});
