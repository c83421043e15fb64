// Keeper benchmarks, on the real keeper bundle as a process (figures only; tests never assert timings).
// - keeper-stop-to-snapshot-ms: SIGTERM (Jenkins already STOPPED) until the CreateSnapshot answer
//   leaves the EC2 endpoint (moto behind a timestamping proxy). Protocol budget: seconds.
// - keeper-gate-decision-ms: the EBS attachment first reported ATTACHED (recorded DescribeTasks
//   fixture) until the keeper logs its gate decision, with production timings (the holder-race
//   settle pause of 5 s included).
// Median of 5 runs each. Uses MOTO_URL, or starts its own moto_server on a free 127.0.0.1 port.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateVolumeCommand } from '@aws-sdk/client-ec2';
import { createClients } from '../src/aws/clients.js';
import { KEEPER_ENV, MARKERS } from '../src/continuity/settings.js';
import { bundleKeeper, spawnKeeper, startEc2Proxy, startTaskFixture } from '../test/keeper/fixture.js';

const RUNS = 5;
const DUMMY_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_SESSION_TOKEN: 'testing' };

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

async function startMoto(): Promise<{ url: string; proc?: ChildProcess }> {
  if (process.env.MOTO_URL) return { url: process.env.MOTO_URL };
  const path = `${process.env.PATH ?? ''}:${process.env.HOME ?? ''}/.pyenv/shims`;
  if (spawnSync('sh', ['-c', 'command -v moto_server'], { env: { ...process.env, PATH: path } }).status !== 0) {
    throw new Error('moto_server not found: set MOTO_URL or put moto_server on PATH');
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore', env: { ...process.env, PATH: path } });
  for (let i = 0; i < 150; i++) {
    try {
      const res = await fetch(`${url}/moto-api/`);
      if (res.ok || res.status === 404) return { url, proc };
    } catch {
      // not up yet
    }
    await sleep(200);
  }
  proc.kill('SIGTERM');
  throw new Error(`moto_server did not start at ${url}`);
}

async function waitForFile(path: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      await readFile(path);
      return;
    } catch {
      await sleep(20);
    }
  }
  throw new Error(`${path} did not appear within ${timeoutMs} ms`);
}

export async function run(): Promise<{ name: string; value: number; unit: string }[]> {
  const moto = await startMoto();
  const work = await mkdtemp(join(tmpdir(), 'keeper-bench-'));
  const proxy = await startEc2Proxy(moto.url);
  try {
    const script = await bundleKeeper(work);
    const { ec2 } = createClients({ endpoint: moto.url, region: 'us-east-1', env: {} });
    Object.assign(process.env, DUMMY_CREDENTIALS);
    const stops: number[] = [];
    const gates: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const lineage = `bench-${process.pid}-${i}`;
      const volume = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 1 }));
      const fixture = await startTaskFixture({ volumeId: volume.VolumeId!, cluster: `bench-${i}` });
      const runDir = join(work, `run-${i}`);
      const home = join(work, `home-${i}`);
      await mkdir(home, { recursive: true });
      const keeper = spawnKeeper(script, {
        PATH: process.env.PATH,
        ...DUMMY_CREDENTIALS,
        AWS_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_ENDPOINT_URL: moto.url,
        AWS_ENDPOINT_URL_EC2: proxy.url,
        AWS_ENDPOINT_URL_ECS: fixture.url,
        ECS_CONTAINER_METADATA_URI_V4: fixture.metadataUri,
        [KEEPER_ENV.lineage]: lineage,
        [KEEPER_ENV.runDir]: runDir,
        [KEEPER_ENV.homePath]: home,
      });
      try {
        const decision = await keeper.waitForLog((e) => e.msg === 'gate decision', 60_000);
        gates.push(decision.at - fixture.state.attachedSeenAt!);
        await waitForFile(join(runDir, MARKERS.authorized), 10_000);
        fixture.state.jenkinsStatus = 'STOPPED';
        const before = proxy.createSnapshotAnsweredAt.length;
        const t0 = Date.now();
        keeper.child.kill('SIGTERM');
        const code = await keeper.exit;
        if (code !== 0 || proxy.createSnapshotAnsweredAt.length !== before + 1) {
          throw new Error(`keeper run ${i} did not take exactly one final snapshot (exit ${code}):\n${keeper.lines.join('\n')}`);
        }
        stops.push(proxy.createSnapshotAnsweredAt[before]! - t0);
      } finally {
        if (keeper.child.exitCode === null) keeper.child.kill('SIGKILL');
        await fixture.close();
      }
    }
    return [
      { name: 'keeper-stop-to-snapshot-ms', value: Math.round(median(stops)), unit: 'ms' },
      { name: 'keeper-gate-decision-ms', value: Math.round(median(gates)), unit: 'ms' },
    ];
  } finally {
    await proxy.close();
    await rm(work, { recursive: true, force: true });
    moto.proc?.kill('SIGTERM');
  }
}
