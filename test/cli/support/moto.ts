/**
 * Seeds moto_server the way a running deployment would look: the ECS cluster and service, the
 * lineage record table (DynamoDB), and lineage snapshots / holder volumes
 * tagged as the keeper tags them and registered in the record as the keeper registers them.
 * Every helper needs MOTO_URL and fails without it, so a test can never reach real AWS.
 */
import { randomBytes } from 'node:crypto';
import {
  AttachVolumeCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  RunInstancesCommand,
  type Tag,
} from '@aws-sdk/client-ec2';
import { CreateClusterCommand, CreateServiceCommand, RegisterTaskDefinitionCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import { DynamoRecordAdapter } from '../../../src/aws/record-adapter.js';
import type { LineageRecord } from '../../../src/continuity/record.js';
import { createRecordTable } from '../../aws/moto.js';
import { createRecord, PROTOCOL_KINDS } from '../../../src/continuity/transitions.js';
import { createClients, type AwsClients } from '../../../src/aws/index.js';
import { deploymentNames, type DeploymentNames } from '../../../src/config/names.js';
import { TAGS, type SnapshotKind } from '../../../src/continuity/model.js';

export function motoUrl(): string {
  const url = process.env.MOTO_URL;
  if (!url) throw new Error('MOTO_URL is not set: run through `node scripts/run-tests.mjs`, which starts moto_server');
  return url;
}

/** The env a CLI command gets in moto tests: every client aimed at moto, dummy credentials. */
export function motoEnv(): NodeJS.ProcessEnv {
  const url = motoUrl();
  return {
    ...process.env,
    AWS_ENDPOINT_URL: url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
  };
}

export function motoClients(): AwsClients {
  return createClients({ endpoint: motoUrl(), region: 'us-east-1' });
}

/** A deployment name no other test file uses (moto is shared across files running in parallel). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** The record table of a deployment (`deploymentNames(name).recordTable`), created if missing. */
export async function seedRecordTable(clients: AwsClients, names: DeploymentNames): Promise<DynamoRecordAdapter> {
  try {
    await createRecordTable(clients.dynamodb, names.recordTable);
  } catch (e) {
    if ((e as { name?: string }).name !== 'ResourceInUseException') throw e;
  }
  return new DynamoRecordAdapter(clients.dynamodb, names.recordTable);
}

/** Read-modify-write of a lineage's record (seq advanced), as the protocol's writes would leave it. */
export async function updateRecord(clients: AwsClients, lineage: string, change: (r: LineageRecord) => Partial<LineageRecord>): Promise<LineageRecord> {
  const store = await seedRecordTable(clients, deploymentNames(lineage));
  const r = (await store.read(lineage)) ?? undefined;
  const base = r ?? { ...createRecord(lineage), seq: 0 };
  const next = { ...base, ...change(base), seq: base.seq + 1 } as LineageRecord;
  if (!(await store.write(next, r?.seq))) throw new Error('record changed while seeding');
  return next;
}

export async function seedService(clients: AwsClients, name: string, opts: { snapshotId?: string; launch?: string } = {}): Promise<DeploymentNames> {
  const names = deploymentNames(name);
  await seedRecordTable(clients, names);
  await clients.ecs.send(new CreateClusterCommand({ clusterName: names.cluster }));
  await clients.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: `${names.stack}-controller`,
      // No FARGATE compatibility / awsvpc here: moto fails to build the task's ENI details for
      // awsvpc tasks, and the CLI never reads the network mode.
      cpu: '2048',
      memory: '4096',
      containerDefinitions: [{ name: names.jenkinsContainer, image: 'jenkins/jenkins:2.516.3-lts-jdk21', essential: true, memory: 4096 }],
      volumes: [{ name: names.homeVolume, configuredAtLaunch: true }],
    }),
  );
  await clients.ecs.send(
    new CreateServiceCommand({
      cluster: names.cluster,
      serviceName: names.service,
      taskDefinition: `${names.stack}-controller`,
      desiredCount: 1,
      launchType: 'FARGATE',
      // moto accepts this but drops it from DescribeServices deployments (see the tests' headers).
      volumeConfigurations: [
        {
          name: names.homeVolume,
          managedEBSVolume: { roleArn: 'arn:aws:iam::123456789012:role/volumes', snapshotId: opts.snapshotId, filesystemType: 'xfs' },
        },
      ],
    }),
  );
  if (opts.launch) await updateRecord(clients, names.lineage, () => ({ launch: opts.launch }));
  return names;
}

/** A task of the controller service (moto does not start service tasks by itself). */
export async function seedTask(clients: AwsClients, names: DeploymentNames): Promise<string> {
  const res = await clients.ecs.send(
    new RunTaskCommand({
      cluster: names.cluster,
      taskDefinition: `${names.stack}-controller`,
      launchType: 'FARGATE',
      startedBy: 'ecs-svc/1',
    }),
  );
  const arn = res.tasks?.[0]?.taskArn;
  if (!arn) throw new Error('moto RunTask returned no task');
  return arn;
}

export async function seedVolume(clients: AwsClients, opts: { snapshotId?: string; tags?: Record<string, string> } = {}): Promise<string> {
  const tags: Tag[] = Object.entries(opts.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
  const res = await clients.ec2.send(
    new CreateVolumeCommand({
      AvailabilityZone: 'us-east-1a',
      Size: 50,
      VolumeType: 'gp3',
      SnapshotId: opts.snapshotId,
      ...(tags.length ? { TagSpecifications: [{ ResourceType: 'volume', Tags: tags }] } : {}),
    }),
  );
  if (!res.VolumeId) throw new Error('moto CreateVolume returned no VolumeId');
  return res.VolumeId;
}

/** Attaching to an instance is how moto makes a volume `in-use`, as a task's volume is. */
export async function attach(clients: AwsClients, volumeId: string): Promise<void> {
  const run = await clients.ec2.send(
    new RunInstancesCommand({ ImageId: 'ami-12c6146b', MinCount: 1, MaxCount: 1, Placement: { AvailabilityZone: 'us-east-1a' } }),
  );
  const instanceId = run.Instances?.[0]?.InstanceId;
  await clients.ec2.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, Device: '/dev/sdf' }));
}

/** A live holder: a volume built from `source`, in-use, and named the holder in the record. */
export async function seedHolder(clients: AwsClients, lineage: string, source?: string, taskArn = 'arn:aws:ecs:us-east-1:123456789012:task/seeded/holder'): Promise<string> {
  const id = await seedVolume(clients, { snapshotId: source, tags: { [TAGS.holder]: lineage } });
  await attach(clients, id);
  await updateRecord(clients, lineage, (r) => ({ holder: { taskArn, volumeId: id, token: r.seq + 1 } }));
  return id;
}

export interface SeedSnapshot {
  readonly lineage: string;
  readonly kind: SnapshotKind;
  readonly volumeId: string;
  readonly task?: string;
  readonly source?: string;
  /** Taken outside the protocol (tags copied): not registered in the record. */
  readonly foreign?: boolean;
}

/** A lineage snapshot tagged the way the keeper tags it. moto completes it at once. */
export async function seedSnapshot(clients: AwsClients, s: SeedSnapshot): Promise<string> {
  const tags: Tag[] = [
    { Key: TAGS.lineage, Value: s.lineage },
    { Key: TAGS.kind, Value: s.kind },
  ];
  if (s.task) tags.push({ Key: TAGS.task, Value: s.task });
  if (s.source) tags.push({ Key: TAGS.source, Value: s.source });
  const res = await clients.ec2.send(
    new CreateSnapshotCommand({ VolumeId: s.volumeId, TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags }] }),
  );
  if (!res.SnapshotId) throw new Error('moto CreateSnapshot returned no SnapshotId');
  const id = res.SnapshotId;
  // Registered like the keeper registers it (the newest is the head); `foreign` ones are not.
  if (!s.foreign && PROTOCOL_KINDS.includes(s.kind)) {
    await updateRecord(clients, s.lineage, (r) => {
      const entry = { snapshotId: id, seq: r.seq + 1, kind: s.kind };
      return { snapshots: [...r.snapshots, entry], head: entry };
    });
  }
  return id;
}
