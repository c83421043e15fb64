// The keeper as a real process: the esbuild bundle (what the image runs) is spawned with
// - a local fixture on 127.0.0.1 as the task metadata endpoint v4 (Jenkins KnownStatus switchable);
// - moto_server for EC2 (volumes, snapshots, tags) and DynamoDB (the lineage record);
// - AWS_ENDPOINT_URL_ECS aimed at a tiny fixture serving the *recorded* DescribeTasks response
//   shape, because moto's DescribeTasks has no EBS attachment (test/aws/recorded.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateSnapshotCommand, CreateVolumeCommand } from '@aws-sdk/client-ec2';
import { Ec2Adapter } from '../../src/aws/ec2-adapter.js';
import { DynamoRecordAdapter } from '../../src/aws/record-adapter.js';
import { TAGS } from '../../src/continuity/model.js';
import { KEEPER_ENV, MARKERS } from '../../src/continuity/settings.js';
import { HEARTBEAT_FILE } from '../../src/keeper/health.js';
import { KEEPER_TUNING_ENV } from '../../src/keeper/settings.js';
import { createRecordTable, motoClients, motoUrl, uniqueLineage } from '../aws/moto.js';
import { bundleKeeper, spawnKeeper, startEc2Proxy, startTaskFixture, type KeeperChild } from './fixture.js';

const { ec2, dynamodb } = motoClients();
const adapter = new Ec2Adapter(ec2);
const table = uniqueLineage('jenkins-ecs-proc-lineage');
const records = new DynamoRecordAdapter(dynamodb, table);
let workDir = '';
let script = '';
const children: KeeperChild[] = [];
const fixtures: { close(): Promise<void> }[] = [];

before(async () => {
  motoUrl();
  workDir = await mkdtemp(join(tmpdir(), 'keeper-process-'));
  script = await bundleKeeper(workDir);
  await createRecordTable(dynamodb, table);
});

after(async () => {
  for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  for (const f of fixtures) await f.close();
  await rm(workDir, { recursive: true, force: true });
});

async function volumeFrom(snapshotId: string | undefined): Promise<string> {
  const v = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 1, SnapshotId: snapshotId }));
  return v.VolumeId!;
}

async function lineageSnapshot(lineage: string, kind: string): Promise<string> {
  const vol = await volumeFrom(undefined);
  const s = await ec2.send(
    new CreateSnapshotCommand({
      VolumeId: vol,
      TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: TAGS.lineage, Value: lineage }, { Key: TAGS.kind, Value: kind }] }],
    }),
  );
  return s.SnapshotId!;
}

/**
 * How long to wait for the keeper before calling it hung. A bound on a hang, not a timing check:
 * the keeper process starts through tsx and sits out its 5 s holder settle, and on a loaded 2-core
 * machine that took more than 30 s (the old bound) while nothing was wrong.
 */
const HANG_BOUND_MS = 120_000;

async function waitForFile(path: string, timeoutMs: number, child: KeeperChild): Promise<string> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      return await readFile(path, 'utf8');
    } catch {
      if (child.child.exitCode !== null) break;
      await sleep(50);
    }
  }
  throw new Error(`${path} did not appear; keeper output:\n${child.lines.join('\n')}`);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function launch(lineage: string, volumeId: string, extraEnv: Record<string, string> = {}, attachmentStatus = 'ATTACHED') {
  const fixture = await startTaskFixture({ volumeId, cluster: `c-${lineage}`, attachmentStatus });
  fixtures.push(fixture);
  const dir = await mkdtemp(join(workDir, `${lineage}-`));
  const runDir = join(dir, 'run');
  const home = join(dir, 'home');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ENDPOINT_URL: motoUrl(),
    AWS_ENDPOINT_URL_ECS: fixture.url,
    AWS_REGION: 'us-east-1',
    ECS_CONTAINER_METADATA_URI_V4: fixture.metadataUri,
    [KEEPER_ENV.lineage]: lineage,
    [KEEPER_ENV.runDir]: runDir,
    [KEEPER_ENV.homePath]: home,
    [KEEPER_ENV.jenkinsContainer]: 'jenkins',
    [KEEPER_ENV.recordTable]: table,
    [KEEPER_TUNING_ENV.bootstrapSettleMs]: '500',
    [KEEPER_TUNING_ENV.holderPollMs]: '500',
    [KEEPER_TUNING_ENV.staleRecheckMs]: '500',
    [KEEPER_TUNING_ENV.jenkinsStopPollMs]: '100',
    ...extraEnv,
  };
  await mkdir(home, { recursive: true });
  const child = spawnKeeper(script, env);
  children.push(child);
  return { fixture, runDir, home, child, env };
}

describe('keeper process', () => {
  test('authoritative start, periodic snapshot, then SIGTERM after Jenkins stopped: final snapshot registered, lease released, exit 0', async () => {
    const lineage = uniqueLineage('proc-auth');
    const head = await lineageSnapshot(lineage, 'seed');
    const volumeId = await volumeFrom(head);
    // 0.03 min = 1.8 s, so one periodic round happens while the test watches.
    const { fixture, runDir, child, env } = await launch(lineage, volumeId, { [KEEPER_ENV.intervalMinutes]: '0.03' });

    const authorized = JSON.parse(await waitForFile(join(runDir, MARKERS.authorized), HANG_BOUND_MS, child)) as Record<string, unknown>;
    assert.equal(authorized.volume, volumeId);
    assert.equal(authorized.source, head);
    assert.equal(await exists(join(runDir, MARKERS.stale)), false);
    assert.equal((await records.read(lineage))?.holder?.volumeId, volumeId, 'the lease is in the record');
    assert.equal((await records.read(lineage))?.holder?.taskArn, fixture.state.taskArn);

    const decision = await child.waitForLog((e) => e.msg === 'gate decision');
    assert.equal(decision.entry.decision, 'authoritative');
    assert.equal(decision.entry.volume, volumeId);

    await child.waitForLog((e) => e.msg === 'periodic snapshot registered', HANG_BOUND_MS);
    const periodic = (await adapter.listLineage(lineage)).filter((s) => s.kind === 'periodic');
    assert.ok(periodic.length >= 1);
    assert.equal(periodic[0]!.source, head);

    // the health check passes while the keeper runs
    const health = spawnKeeper(script, env, ['--health']);
    assert.equal(await health.exit, 0, health.lines.join('\n'));

    fixture.state.jenkinsStatus = 'STOPPED';
    child.child.kill('SIGTERM');
    assert.equal(await child.exit, 0, child.lines.join('\n'));

    const finals = (await adapter.listLineage(lineage)).filter((s) => s.kind === 'final');
    assert.equal(finals.length, 1, child.lines.join('\n'));
    const final = finals[0]!;
    assert.equal(final.lineage, lineage);
    assert.equal(final.task, fixture.state.taskArn);
    assert.equal(final.source, head);
    assert.equal(final.volumeId, volumeId);
    const rec = await records.read(lineage);
    assert.equal(rec?.holder, undefined, 'released with the final snapshot');
    assert.equal(rec?.head?.snapshotId, final.id);
    assert.ok(child.lines.some((l) => l.includes('"final snapshot registered"') && l.includes(final.id)));
  });

  test('SIGTERM waits for the Jenkins container to stop before the final snapshot', async () => {
    const lineage = uniqueLineage('proc-wait');
    const volumeId = await volumeFrom(undefined); // bootstrap: empty lineage, empty volume
    const { fixture, runDir, child } = await launch(lineage, volumeId);
    await waitForFile(join(runDir, MARKERS.authorized), HANG_BOUND_MS, child);

    child.child.kill('SIGTERM');
    await sleep(1_000);
    assert.equal(child.child.exitCode, null, 'keeper must not exit while Jenkins still runs');
    assert.deepEqual((await adapter.listLineage(lineage)).filter((s) => s.kind === 'final'), []);

    fixture.state.jenkinsStatus = 'STOPPED';
    assert.equal(await child.exit, 0, child.lines.join('\n'));
    const finals = (await adapter.listLineage(lineage)).filter((s) => s.kind === 'final');
    assert.equal(finals.length, 1);
    assert.equal(finals[0]!.source, undefined);
  });

  test('stale start writes the stale marker, never snapshots, and SIGTERM exits 0 at once while Jenkins still runs', async () => {
    const lineage = uniqueLineage('proc-stale');
    const old = await lineageSnapshot(lineage, 'periodic');
    await sleep(1_100); // StartTime has second precision: make the head strictly newer
    const head = await lineageSnapshot(lineage, 'final');
    const volumeId = await volumeFrom(old);
    const { runDir, child } = await launch(lineage, volumeId, { [KEEPER_ENV.intervalMinutes]: '0.01' });

    const reason = await waitForFile(join(runDir, MARKERS.stale), HANG_BOUND_MS, child);
    assert.ok(reason.length > 0);
    const decision = await child.waitForLog((e) => e.msg === 'gate decision');
    assert.equal(decision.entry.decision, 'stale');
    assert.equal(decision.entry.head, head);
    // several stale re-checks and periodic intervals pass
    await sleep(1_500);
    assert.equal(await exists(join(runDir, MARKERS.authorized)), false);
    assert.deepEqual((await adapter.listLineage(lineage)).map((s) => s.id).sort(), [old, head].sort());
    assert.equal((await records.read(lineage))?.holder, undefined, 'a stale volume never holds the lineage');
    assert.equal((await records.read(lineage))?.head?.snapshotId, head, 'bootstrapped from the v0.1 snapshots');
    assert.ok(await exists(join(runDir, HEARTBEAT_FILE)));

    child.child.kill('SIGTERM'); // Jenkins is still RUNNING in the fixture: nothing to wait for
    assert.equal(await child.exit, 0, child.lines.join('\n'));
    assert.deepEqual((await adapter.listLineage(lineage)).map((s) => s.id).sort(), [old, head].sort());
  });

  test('a final snapshot that cannot be requested: error line naming the lost window and exit 1', async () => {
    const lineage = uniqueLineage('proc-lost');
    const volumeId = await volumeFrom(undefined);
    const proxy = await startEc2Proxy(motoUrl());
    fixtures.push(proxy);
    const { fixture, runDir, child } = await launch(lineage, volumeId, { AWS_ENDPOINT_URL_EC2: proxy.url });
    await waitForFile(join(runDir, MARKERS.authorized), HANG_BOUND_MS, child);
    proxy.failCreateSnapshotWith = 'UnauthorizedOperation'; // not a retryable code
    fixture.state.jenkinsStatus = 'STOPPED';
    child.child.kill('SIGTERM');
    assert.equal(await child.exit, 1, child.lines.join('\n'));
    const { entry } = await child.waitForLog((e) => e.level === 'error' && e.code === 'UnauthorizedOperation');
    assert.equal(typeof entry.lostSince, 'string');
    assert.equal(typeof entry.lostUntil, 'string');
    assert.deepEqual(await adapter.listLineage(lineage), []);
  });

  test('an EBS attachment that never becomes ATTACHED: the keeper gives up after its bound, exits 3 and never opens the gate', async () => {
    const lineage = uniqueLineage('proc-noattach');
    const volumeId = await volumeFrom(undefined);
    const { fixture, runDir, child } = await launch(lineage, volumeId, { [KEEPER_TUNING_ENV.attachmentTimeoutMs]: '1500' }, 'ATTACHING');
    assert.equal(await child.exit, 3, child.lines.join('\n'));
    assert.ok(fixture.state.describeTasksCalls >= 1);
    assert.ok(child.lines.some((l) => l.includes('"attachment-timeout"')), child.lines.join('\n'));
    assert.equal(await exists(join(runDir, MARKERS.authorized)), false);
    assert.equal((await records.read(lineage))?.holder, undefined);
  });

  test('the health check fails without a heartbeat', async () => {
    const empty = await mkdtemp(join(workDir, 'nohb-'));
    const health = spawnKeeper(script, { ...process.env, [KEEPER_ENV.runDir]: empty }, ['--health']);
    assert.equal(await health.exit, 1);
  });

  test('a missing environment exits 2 with a log line naming the variables', async () => {
    const env = { ...process.env };
    delete env[KEEPER_ENV.lineage];
    delete env.ECS_CONTAINER_METADATA_URI_V4;
    const child = spawnKeeper(script, env);
    assert.equal(await child.exit, 2);
    const line = child.lines.find((l) => l.includes('keeper environment is invalid')) ?? '';
    assert.match(line, /JENKINS_ECS_LINEAGE/);
    assert.match(line, /ECS_CONTAINER_METADATA_URI_V4/);
    assert.match(line, /JENKINS_ECS_RECORD_TABLE/);
  });
});
