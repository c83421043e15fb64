/**
 * `jenkins-ecs status` against moto_server, seeded as a running deployment looks.
 * moto gaps, covered here with recorded responses (aws-sdk-client-mock) instead:
 * - DescribeServices deployments lose `volumeConfigurations`, so the PRIMARY `snapshotId` is unknown;
 * - DescribeTasks has no `AmazonElasticBlockStorage` attachment, so a task's volume is unknown;
 * - moto does not start service tasks (the running task is seeded with RunTask).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeSnapshotsCommand, DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateClusterCommand, DescribeServicesCommand, DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { recordToItem } from '../../src/aws/record-adapter.js';
import { createRecord } from '../../src/continuity/transitions.js';
import * as status from '../../src/cli/commands/status.js';
import { EXIT } from '../../src/cli/errors.js';
import { deploymentNames } from '../../src/config/names.js';
import { TAGS } from '../../src/continuity/model.js';
import { runCommand, testContext } from './support/context.js';
import { FakeAws } from './support/fake-aws.js';
import { motoClients, motoEnv, motoUrl, seedHolder, seedService, seedSnapshot, seedTask, seedVolume, uniqueName } from './support/moto.js';

interface Report {
  head?: { id: string; kind?: string; state: string };
  launch?: string;
  launchMatchesHead?: boolean;
  holders: { volumeId: string; live: boolean; source?: string }[];
  tasks: { arn: string }[];
  lastPeriodic?: { id: string };
  lastFinal?: { id: string };
  service: { desiredCount: number; deployments: { status: string; snapshotId?: string }[] };
  primarySnapshotId?: string;
  primaryMatchesHead?: boolean;
  warnings: { code: string; message: string }[];
}

describe('status against moto', () => {
  const clients = motoClients();
  const name = uniqueName('st');
  let finalId = '';
  let periodicId = '';
  let holderId = '';
  let taskArn = '';

  before(async () => {
    // A previous task's volume left a final snapshot; the current holder was built from it and
    // its keeper has since taken a periodic snapshot (the head). The record's launch still names the final one.
    const oldVolume = await seedVolume(clients);
    finalId = await seedSnapshot(clients, { lineage: name, kind: 'final', volumeId: oldVolume, task: 'arn:aws:ecs:us-east-1:123456789012:task/old' });
    holderId = await seedHolder(clients, name, finalId);
    await sleep(1100); // moto StartTime has whole seconds: keep the head unambiguous
    periodicId = await seedSnapshot(clients, { lineage: name, kind: 'periodic', volumeId: holderId, source: finalId });
    const names = await seedService(clients, name, { snapshotId: finalId, launch: finalId });
    taskArn = await seedTask(clients, names);
  });

  test('a running deployment with a live holder shows service, task, holder, head and launch from the record, and no warnings', async () => {
    const ctx = testContext({ env: motoEnv() });
    const res = await runCommand(status, ['--name', name, '--json'], ctx);
    assert.equal(res.code, EXIT.ok, res.error?.message);
    const r = JSON.parse(ctx.io.stdout.join('\n')) as Report;
    assert.equal(r.head?.id, periodicId);
    assert.equal(r.head?.kind, 'periodic');
    assert.equal(r.head?.state, 'completed');
    assert.equal(r.launch, finalId);
    assert.equal(r.launchMatchesHead, false);
    assert.deepEqual(
      r.holders.map((h) => [h.volumeId, h.live, h.source]),
      [[holderId, true, finalId]],
    );
    assert.deepEqual(r.tasks.map((t) => t.arn), [taskArn]);
    assert.equal(r.lastPeriodic?.id, periodicId);
    assert.equal(r.lastFinal?.id, finalId);
    assert.equal(r.service.desiredCount, 1);
    assert.equal(r.service.deployments[0]?.status, 'PRIMARY');
    // The launch snapshot trails the head while a holder runs: that is normal, not a warning.
    assert.deepEqual(r.warnings, []);
  });

  test('human output names the head, the holder and the launch snapshot, with ages scrubbed', async () => {
    const ctx = testContext({ env: motoEnv() });
    const res = await runCommand(status, ['--name', name], ctx);
    assert.equal(res.code, EXIT.ok, res.error?.message);
    const text = ctx.io.text();
    assert.match(text, new RegExp(`^Head +${periodicId} periodic, completed, <age> ago$`, 'm'));
    assert.match(text, new RegExp(`^Holder +${holderId} in-use, built from ${finalId}$`, 'm'));
    assert.match(text, new RegExp(`^Launch +${finalId} \\(differs from head\\)$`, 'm'));
    assert.match(text, new RegExp(`last periodic ${periodicId} <age> ago; last final ${finalId} <age> ago; interval 15 min`));
    assert.match(text, /^Warnings +none$/m);
  });

  test('no snapshot for more than 2 x interval while a holder runs is a warning', async () => {
    const later = new Date(Date.now() + 31 * 60_000);
    const ctx = testContext({ env: motoEnv(), now: () => later });
    const res = await runCommand(status, ['--name', name, '--interval', '15', '--json'], ctx);
    assert.equal(res.code, EXIT.ok, res.error?.message);
    const r = JSON.parse(ctx.io.stdout.join('\n')) as Report;
    assert.deepEqual(r.warnings.map((w) => w.code), ['no-recent-snapshot']);
    assert.match(r.warnings[0]?.message ?? '', /no snapshot for more than 2 x 15 min/);
  });

  test('launch snapshot behind a completed head with no live holder is a warning', async () => {
    const lonely = uniqueName('st');
    const vol = await seedVolume(clients);
    const older = await seedSnapshot(clients, { lineage: lonely, kind: 'periodic', volumeId: vol });
    await sleep(1100);
    const head = await seedSnapshot(clients, { lineage: lonely, kind: 'final', volumeId: vol });
    await seedService(clients, lonely, { snapshotId: older, launch: older });
    const ctx = testContext({ env: motoEnv() });
    const res = await runCommand(status, ['--name', lonely, '--json'], ctx);
    assert.equal(res.code, EXIT.ok, res.error?.message);
    const r = JSON.parse(ctx.io.stdout.join('\n')) as Report;
    assert.equal(r.head?.id, head);
    assert.deepEqual(r.warnings.map((w) => w.code), ['launch-behind-head']);
    assert.match(r.warnings[0]?.message ?? '', new RegExp(`launch snapshot ${older} is behind the head ${head} and no Jenkins holds the home`));
  });

  test('an unknown deployment exits with the not-found code and one line naming cluster and service', async () => {
    const missing = uniqueName('nx');
    const ctx = testContext({ env: motoEnv() });
    const res = await runCommand(status, ['--name', missing], ctx);
    assert.equal(res.code, EXIT.notFound);
    assert.match(res.error?.message ?? '', new RegExp(`jenkins-ecs-${missing}`));
    assert.doesNotMatch(res.error?.message ?? '', /\n/);
  });

  test('a service missing from an existing cluster also exits with the not-found code', async () => {
    const other = uniqueName('nx');
    await clients.ecs.send(new CreateClusterCommand({ clusterName: deploymentNames(other).cluster }));
    const ctx = testContext({ env: motoEnv() });
    const res = await runCommand(status, ['--name', other, '--json'], ctx);
    assert.equal(res.code, EXIT.notFound);
    assert.match(res.error?.message ?? '', new RegExp(`no active service 'jenkins-ecs-${other}-controller'`));
  });
});

describe('status with recorded responses (shapes moto lacks)', () => {
  const name = uniqueName('rec');
  const lineageTags = (kind: string) => [
    { Key: TAGS.lineage, Value: name },
    { Key: TAGS.kind, Value: kind },
  ];
  test('a task running on a volume not built from the head, with no holder, is reported as a stale start', async (t) => {
    const t0 = new Date('2026-03-01T10:00:00Z');
    const t1 = new Date('2026-03-01T10:15:00Z');
    const taskArn = `arn:aws:ecs:us-east-1:123456789012:task/jenkins-ecs-${name}/abc123`;
    // Installed here, not at registration, so the moto tests above stay unmocked.
    const ecs = mockClient(ECSClient);
    const ec2 = mockClient(EC2Client);
    const ddb = mockClient(DynamoDBClient);
    t.after(() => {
      ecs.restore();
      ec2.restore();
      ddb.restore();
    });
    const members = [{ snapshotId: 'snap-old', seq: 2, kind: 'periodic' as const }, { snapshotId: 'snap-new', seq: 3, kind: 'final' as const }];
    ddb.on(GetItemCommand).resolves({ Item: recordToItem({ ...createRecord(name), seq: 4, snapshots: members, head: members[1], launch: 'snap-old' }) });
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          status: 'ACTIVE',
          desiredCount: 1,
          runningCount: 1,
          pendingCount: 0,
          deployments: [
            {
              id: 'ecs-svc/222',
              status: 'PRIMARY',
              rolloutState: 'COMPLETED',
              createdAt: t0,
              volumeConfigurations: [{ name: 'jenkins-home', managedEBSVolume: { roleArn: 'arn:aws:iam::123456789012:role/r', snapshotId: 'snap-old' } }],
            },
          ],
        },
      ],
    });
    ecs.on(ListTasksCommand).resolves({ taskArns: [taskArn] });
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          taskArn,
          lastStatus: 'RUNNING',
          desiredStatus: 'RUNNING',
          startedAt: t1,
          attachments: [
            {
              type: 'AmazonElasticBlockStorage',
              status: 'ATTACHED',
              details: [
                { name: 'volumeId', value: 'vol-stale' },
                { name: 'volumeName', value: 'jenkins-home' },
              ],
            },
          ],
        },
      ],
    });
    ec2.on(DescribeSnapshotsCommand).resolves({
      Snapshots: [
        { SnapshotId: 'snap-old', State: 'completed', StartTime: t0, VolumeSize: 50, Progress: '100%', Tags: lineageTags('periodic') },
        { SnapshotId: 'snap-new', State: 'completed', StartTime: t1, VolumeSize: 50, Progress: '100%', Tags: lineageTags('final') },
      ],
    });
    ec2.on(DescribeSnapshotsCommand, { SnapshotIds: ['snap-new'] }).resolves({
      Snapshots: [{ SnapshotId: 'snap-new', State: 'completed', StartTime: t1, VolumeSize: 50, Progress: '100%', Tags: lineageTags('final') }],
    });
    ec2.on(DescribeVolumesCommand).resolves({ Volumes: [] }); // the record names no holder
    ec2.on(DescribeVolumesCommand, { VolumeIds: ['vol-stale'] }).resolves({
      Volumes: [{ VolumeId: 'vol-stale', State: 'in-use', SnapshotId: 'snap-old', CreateTime: t1 }],
    });

    const ctx = testContext({ env: { AWS_REGION: 'us-east-1' }, now: () => new Date('2026-03-01T10:20:00Z') });
    const res = await runCommand(status, ['--name', name, '--json'], ctx);
    assert.equal(res.code, EXIT.ok, res.error?.message);
    const r = JSON.parse(ctx.io.stdout.join('\n')) as Omit<Report, 'tasks'> & { tasks: { volumeId?: string; volumeSource?: string }[] };
    assert.equal(r.primarySnapshotId, 'snap-old');
    assert.equal(r.primaryMatchesHead, false);
    assert.equal(r.head?.id, 'snap-new');
    assert.deepEqual(r.tasks.map((t) => [t.volumeId, t.volumeSource]), [['vol-stale', 'snap-old']]);
    const codes = r.warnings.map((w) => w.code);
    assert.deepEqual(codes, ['stale-start', 'launch-behind-head']);
    assert.match(r.warnings[0]?.message ?? '', /stale start: task abc123 runs on volume vol-stale built from snap-old, not the head snap-new/);

    const human = testContext({ env: { AWS_REGION: 'us-east-1' }, now: () => new Date('2026-03-01T10:20:00Z') });
    await runCommand(status, ['--name', name], human);
    const text = human.io.text();
    assert.match(text, /^Primary +snap-old \(differs from head\) \(= launch\)$/m);
    assert.match(text, /^ {2}ecs-svc\/222 +PRIMARY +COMPLETED +snap-old +<age> ago$/m);
    assert.match(text, /^Task +abc123 RUNNING since <age> ago, volume vol-stale from snap-old$/m);
    assert.match(text, /^ {2}! stale start: /m);
  });
});

describe('AWS errors become one line and a distinct exit code', () => {
  function fakeWorld() {
    const fake = new FakeAws({ lineage: 'ci' });
    fake.runService({});
    return fake;
  }

  test('throttling that outlasts the SDK retries exits with the throttled code', async () => {
    const fake = fakeWorld();
    fake.failNext('ec2.listLineage', Object.assign(new Error('Request limit exceeded.'), { name: 'RequestLimitExceeded' }));
    const res = await runCommand(status, ['--name', 'ci'], testContext({ aws: () => fake }));
    assert.equal(res.code, EXIT.throttled);
    assert.equal(res.error?.message, 'AWS kept throttling requests after retries (RequestLimitExceeded); try again in a minute');
  });

  test('ECS ThrottlingException and ClusterNotFoundException map to their codes', async () => {
    const fake = fakeWorld();
    fake.failNext('ecs.describeService', Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    assert.equal((await runCommand(status, ['--name', 'ci'], testContext({ aws: () => fake }))).code, EXIT.throttled);
    fake.failNext('ecs.describeService', Object.assign(new Error('Cluster not found.'), { name: 'ClusterNotFoundException' }));
    const res = await runCommand(status, ['--name', 'ci'], testContext({ aws: () => fake }));
    assert.equal(res.code, EXIT.notFound);
    assert.match(res.error?.message ?? '', /^deployment not found: cluster 'jenkins-ecs-ci' \/ service 'jenkins-ecs-ci-controller'/);
  });

  test('an unnamed failure keeps the SDK error behind it for --debug', async () => {
    const fake = fakeWorld();
    fake.failNext('ecs.listServiceTasks', Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
    const res = await runCommand(status, ['--name', 'ci'], testContext({ aws: () => fake }));
    assert.equal(res.code, EXIT.aws);
    assert.equal(res.error?.message, 'AWS error TimeoutError: socket hang up');
    assert.match(res.error?.stack ?? '', /Caused by: TimeoutError: socket hang up/);
  });

  test('with no credentials anywhere in the chain, the SDK error maps to the no-credentials code', async () => {
    const saved = { ...process.env };
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI']) {
      delete process.env[k];
    }
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/dev/null';
    process.env.AWS_CONFIG_FILE = '/dev/null';
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    try {
      const env = { AWS_ENDPOINT_URL: motoUrl(), AWS_REGION: 'us-east-1' };
      const res = await runCommand(status, ['--name', uniqueName('nc')], testContext({ env }));
      assert.equal(res.code, EXIT.noCredentials, res.error?.message);
      assert.match(res.error?.message ?? '', /^no AWS credentials found/);
    } finally {
      process.env = saved;
    }
  });
});

describe('status over the in-memory ports', () => {
  test('the deployment name and snapshot interval come from the config file when --name is absent', async () => {
    const fake = new FakeAws({ lineage: 'cfg-demo' });
    const vol = fake.addVolume({ id: 'vol-h', snapshotId: 'snap-a' });
    fake.addSnapshot({ id: 'snap-a', kind: 'periodic', minutesAgo: 25 });
    fake.runService({ snapshotId: 'snap-a', volume: vol, holder: true });
    const ctx = testContext({ aws: () => fake, now: () => fake.now });
    writeFileSync(join(ctx.cwd, 'jenkins-ecs.yaml'), 'name: cfg-demo\ncontroller:\n  snapshots:\n    intervalMinutes: 10\n');
    const res = await runCommand(status, ['--json'], ctx);
    assert.equal(res.code, EXIT.ok, res.error?.message);
    const r = JSON.parse(ctx.io.stdout.join('\n')) as Report & { intervalMinutes: number; deployment: { cluster: string } };
    assert.equal(r.deployment.cluster, 'jenkins-ecs-cfg-demo');
    assert.equal(r.intervalMinutes, 10);
    // 25 minutes > 2 x 10: the config's interval, not the default 15, decided this warning.
    assert.deepEqual(r.warnings.map((w) => w.code), ['no-recent-snapshot']);
  });

  test('without a config file or --name, status says how to name the deployment (usage, exit 2)', async () => {
    const res = await runCommand(status, [], testContext());
    assert.equal(res.code, EXIT.usage);
    assert.match(res.error?.message ?? '', /^no deployment given: pass --name NAME or --config FILE/);
  });

  test('a task whose volume is not reported yet, with no holder and an old launch snapshot, is a likely stale start', async () => {
    const fake = new FakeAws({ lineage: 'ci' });
    fake.addSnapshot({ id: 'snap-old', kind: 'periodic', minutesAgo: 30 });
    fake.addSnapshot({ id: 'snap-final', kind: 'final', minutesAgo: 2 });
    fake.runService({ snapshotId: 'snap-old', volume: fake.addVolume({ id: 'vol-new', snapshotId: 'snap-old' }) });
    fake.taskList[0]!.volumeId = undefined; // DescribeTasks has no volumeId yet
    const ctx = testContext({ aws: () => fake, now: () => fake.now });
    const res = await runCommand(status, ['--name', 'ci'], ctx);
    assert.equal(res.code, EXIT.ok, res.error?.message);
    const text = ctx.io.text();
    assert.match(text, /^ {2}! stale start likely: a task is up with no holder, and the service launches from snap-old, not the head snap-final;/m);
    assert.match(text, /^ {2}! launch snapshot snap-old is behind the head snap-final and no Jenkins holds the home/m);
    assert.match(text, /^Holder +none \(no Jenkins owns the home right now\)$/m);
    assert.match(text, /volume not reported yet$/m);
  });

  test('a bad --interval is a usage error naming the value', async () => {
    const res = await runCommand(status, ['--name', 'ci', '--interval', 'soon'], testContext({ aws: () => new FakeAws({ lineage: 'ci' }) }));
    assert.equal(res.code, EXIT.usage);
    assert.equal(res.error?.message, "invalid --interval 'soon': expected whole minutes, e.g. 15");
  });
});

describe('status warnings with a handoff (pure)', () => {
  const now = new Date('2026-12-01T12:00:00Z');
  const snap = (id: string): Parameters<typeof status.computeWarnings>[0]['head'] => ({ id, state: 'completed', startTime: new Date(now.getTime() - 60_000), lineage: 'ci', kind: 'final' });
  const task = { arn: 'arn:aws:ecs:eu-west-1:1:task/c/new', lastStatus: 'RUNNING', desiredStatus: 'RUNNING', volumeId: 'vol-new' };
  const volumes = new Map([['vol-new', { id: 'vol-new', state: 'in-use' as const, createTime: now, snapshotId: 'snap-p' }]]);
  const base = { head: snap('snap-f'), lineage: [], liveHolders: [], liveTasks: [task], volumes, launch: 'snap-p', desiredCount: 1, intervalMinutes: 15, now };

  test('a task from the handoff base, before it acquires, is neither a stale start nor a launch behind the head', () => {
    const codes = status.computeWarnings({ ...base, handoff: { base: 'snap-p', final: 'snap-f', key: 'ci/snap-f.delta', orphaned: false } }).map((w) => w.code);
    assert.deepEqual(codes, []);
    // Without the handoff the same picture is a stale start and a launch behind the head.
    const without = status.computeWarnings(base).map((w) => w.code);
    assert.ok(without.includes('stale-start') && without.includes('launch-behind-head'), without.join());
  });

  test('an orphaned handoff with nobody holding the home is a warning naming the delta and its expiry', () => {
    const w = status.computeWarnings({ ...base, liveTasks: [], handoff: { base: 'snap-p', final: 'snap-f', key: 'ci/snap-f.delta', orphaned: true } });
    const orphaned = w.find((x) => x.code === 'handoff-orphaned');
    assert.ok(orphaned, JSON.stringify(w));
    assert.match(orphaned.message, /snap-f.*failed.*snap-p plus delta ci\/snap-f\.delta.*7 days/);
  });
});
