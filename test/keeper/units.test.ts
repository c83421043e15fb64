import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, utimes } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METRICS } from '../../src/continuity/settings.js';
import { checkHealth, heartbeatPath, writeHeartbeat } from '../../src/keeper/health.js';
import { ContainerHost, syncFileSystem } from '../../src/keeper/host.js';
import { formatLogLine } from '../../src/keeper/log.js';
import { MetadataError, TaskMetadataClient } from '../../src/keeper/metadata.js';
import { KeeperSettingsError, readKeeperSettings, regionOfArn } from '../../src/keeper/settings.js';

let dir = '';
let server: Server;
let base = '';
let taskBody: unknown = {};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keeper-units-'));
  server = createServer((req, res) => {
    if (req.url === '/v4/task') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(taskBody));
    } else {
      res.writeHead(500);
      res.end('boom');
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('task metadata client', () => {
  test('reads the task ARN, cluster and container statuses', async () => {
    taskBody = { TaskARN: 'arn:aws:ecs:eu-west-1:1:task/c/t', Cluster: 'arn:aws:ecs:eu-west-1:1:cluster/c', Containers: [{ Name: 'jenkins', KnownStatus: 'RUNNING' }] };
    const task = await new TaskMetadataClient(`${base}/v4`).task();
    assert.equal(task.taskArn, 'arn:aws:ecs:eu-west-1:1:task/c/t');
    assert.equal(task.cluster, 'arn:aws:ecs:eu-west-1:1:cluster/c');
    assert.deepEqual(task.containers, [{ name: 'jenkins', knownStatus: 'RUNNING' }]);
  });

  test('Jenkins counts as stopped only when its KnownStatus is STOPPED; a missing container is not stopped', async () => {
    const client = new TaskMetadataClient(`${base}/v4/`);
    taskBody = { TaskARN: 't', Containers: [{ Name: 'jenkins', KnownStatus: 'STOPPED' }] };
    assert.equal(await client.containerStopped('jenkins'), true);
    taskBody = { TaskARN: 't', Containers: [{ Name: 'jenkins', KnownStatus: 'RUNNING' }] };
    assert.equal(await client.containerStopped('jenkins'), false);
    taskBody = { TaskARN: 't', Containers: [] };
    assert.equal(await client.containerStopped('jenkins'), false);
  });

  test('an HTTP error or a body without TaskARN is a MetadataError', async () => {
    await assert.rejects(new TaskMetadataClient(`${base}/nope`).task(), MetadataError);
    taskBody = { Containers: [] };
    await assert.rejects(new TaskMetadataClient(`${base}/v4`).task(), /no TaskARN/);
  });
});

describe('container host', () => {
  test('markers are written whole into the run dir (created if missing) and cleared', async () => {
    const runDir = join(dir, 'run-markers');
    const host = new ContainerHost({ runDir, metadata: new TaskMetadataClient(`${base}/v4`), jenkinsContainer: 'jenkins' });
    await host.writeMarker('authorized', '{"volume":"vol-1"}');
    assert.equal(await readFile(join(runDir, 'authorized'), 'utf8'), '{"volume":"vol-1"}\n');
    assert.deepEqual(await readdir(runDir), ['authorized']); // no temp file left behind
    await host.clearMarker('authorized');
    await host.clearMarker('stale'); // clearing an absent marker is fine
    assert.deepEqual(await readdir(runDir), []);
  });

  test('sync -f flushes a real directory and fails on a missing path', async () => {
    await syncFileSystem(dir);
    await assert.rejects(syncFileSystem(join(dir, 'does-not-exist')), /sync -f/);
  });
});

describe('keeper health check', () => {
  test('fresh heartbeat is healthy, a stale or missing one is not', async () => {
    const runDir = join(dir, 'run-health');
    assert.equal((await checkHealth(runDir, new Date())).healthy, false);
    await writeHeartbeat(runDir, new Date());
    assert.equal((await checkHealth(runDir, new Date())).healthy, true);
    const old = new Date(Date.now() - 120_000);
    await utimes(heartbeatPath(runDir), old, old);
    const r = await checkHealth(runDir, new Date());
    assert.equal(r.healthy, false);
    assert.match(r.reason, /limit/);
  });
});

describe('keeper log lines', () => {
  test('one JSON object with time, level, msg and ids; a metric becomes an EMF block on the same line', () => {
    const at = new Date('2026-01-02T03:04:05.000Z');
    const line = formatLogLine(
      { level: 'info', msg: 'final snapshot requested', lineage: 'ci', task: 'arn:t', volume: 'vol-1', snapshot: 'snap-1', metric: { name: METRICS.snapshotsTaken, value: 1, unit: 'Count' } },
      at,
    );
    assert.ok(!line.includes('\n'));
    const o = JSON.parse(line) as Record<string, unknown> & { _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: unknown[] }[] } };
    assert.equal(o.time, at.toISOString());
    assert.equal(o.msg, 'final snapshot requested');
    assert.equal(o.snapshot, 'snap-1');
    assert.equal(o._aws.Timestamp, at.getTime());
    assert.equal(o._aws.CloudWatchMetrics[0]!.Namespace, METRICS.namespace);
    assert.deepEqual(o._aws.CloudWatchMetrics[0]!.Dimensions, [[METRICS.dimension]]);
    assert.deepEqual(o._aws.CloudWatchMetrics[0]!.Metrics, [{ Name: METRICS.snapshotsTaken, Unit: 'Count' }]);
    assert.equal(o[METRICS.dimension], 'ci');
    assert.equal(o[METRICS.snapshotsTaken], 1);
  });

  test('a line without a metric has no EMF block', () => {
    const o = JSON.parse(formatLogLine({ level: 'warn', msg: 'x', lineage: 'ci' }, new Date())) as Record<string, unknown>;
    assert.equal(o._aws, undefined);
  });
});

describe('keeper settings', () => {
  test('defaults: home, run dir, Jenkins container and 15 min interval', () => {
    const s = readKeeperSettings({ JENKINS_ECS_LINEAGE: 'ci', JENKINS_ECS_RECORD_TABLE: 'jenkins-ecs-ci-lineage', ECS_CONTAINER_METADATA_URI_V4: 'http://169.254.170.2/v4/x' });
    assert.equal(s.recordTable, 'jenkins-ecs-ci-lineage');
    assert.equal(s.homePath, '/var/jenkins_home');
    assert.equal(s.runDir, '/run/jenkins-ecs');
    assert.equal(s.jenkinsContainer, 'jenkins');
    assert.equal(s.intervalMinutes, 15);
    assert.equal(s.cluster, undefined);
    assert.deepEqual(s.tuning, {});
  });

  test('bad numbers are reported with the variable and the value', () => {
    assert.throws(
      () => readKeeperSettings({ JENKINS_ECS_LINEAGE: 'ci', JENKINS_ECS_RECORD_TABLE: 't', ECS_CONTAINER_METADATA_URI_V4: 'u', JENKINS_ECS_INTERVAL_MINUTES: 'soon', JENKINS_ECS_BOOTSTRAP_SETTLE_MS: '-1' }),
      (e: unknown) => e instanceof KeeperSettingsError && e.problems.length === 2 && /"soon"/.test(e.message),
    );
  });

  test('the region falls back to the task ARN', () => {
    assert.equal(regionOfArn('arn:aws:ecs:eu-central-1:123456789012:task/c/t'), 'eu-central-1');
    assert.equal(regionOfArn('nonsense'), undefined);
  });
});
