// Fixtures for running the keeper as a real process (test/keeper/process.test.ts, bench/keeper.bench.ts):
// - the task metadata endpoint v4 (`/v4/task`), with the Jenkins container's KnownStatus switchable;
// - a stand-in ECS endpoint answering DescribeTasks with the recorded response shape, because
//   moto's DescribeTasks has no EBS attachment (see test/aws/recorded.ts);
// - an optional EC2 proxy in front of moto that timestamps CreateSnapshot responses (bench only).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import { recordedDescribeTasks } from '../aws/recorded.js';

// Tests and benches run from the repository root (scripts/run-tests.mjs, npm run bench).
const ROOT = process.cwd();

export interface TaskFixtureState {
  taskArn: string;
  cluster: string;
  jenkinsStatus: string;
  attachmentStatus: string;
  volumeId: string | undefined;
  /** When DescribeTasks first answered ATTACHED with a volumeId (ms since epoch). */
  attachedSeenAt?: number;
  describeTasksCalls: number;
}

export interface TaskFixture {
  readonly url: string;
  readonly metadataUri: string;
  readonly state: TaskFixtureState;
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function startTaskFixture(initial: Partial<TaskFixtureState> & { volumeId: string | undefined }): Promise<TaskFixture> {
  const state: TaskFixtureState = {
    taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/jenkins-ecs-test/0123456789abcdef0123456789abcdef',
    cluster: 'jenkins-ecs-test',
    jenkinsStatus: 'RUNNING',
    attachmentStatus: 'ATTACHED',
    describeTasksCalls: 0,
    ...initial,
  };
  const server = createServer((req, res) => {
    void (async () => {
      if (req.method === 'GET' && req.url === '/v4/task') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            Cluster: `arn:aws:ecs:us-east-1:123456789012:cluster/${state.cluster}`,
            TaskARN: state.taskArn,
            KnownStatus: 'RUNNING',
            Containers: [
              { Name: 'keeper', KnownStatus: 'RUNNING' },
              { Name: 'jenkins', KnownStatus: state.jenkinsStatus },
            ],
          }),
        );
        return;
      }
      const target = String(req.headers['x-amz-target'] ?? '');
      await body(req);
      if (req.method === 'POST' && target.endsWith('.DescribeTasks')) {
        state.describeTasksCalls++;
        const out = recordedDescribeTasks(state.taskArn, state.attachmentStatus, state.volumeId);
        if (state.attachmentStatus === 'ATTACHED' && state.volumeId && state.attachedSeenAt === undefined) state.attachedSeenAt = Date.now();
        const { $metadata: _m, ...payload } = out;
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(payload));
        return;
      }
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ __type: 'UnknownOperationException', message: `fixture does not serve ${target || req.url}` }));
    })();
  });
  const url = await listen(server);
  return {
    url,
    metadataUri: `${url}/v4`,
    state,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

export interface Ec2Proxy {
  readonly url: string;
  readonly createSnapshotAnsweredAt: number[];
  /** When set, CreateSnapshot is answered with this EC2 error code (HTTP 403) instead of reaching moto. */
  failCreateSnapshotWith?: string;
  close(): Promise<void>;
}

/** A pass-through proxy to moto's EC2 that records when each CreateSnapshot answer left (bench), or fails it. */
export async function startEc2Proxy(target: string): Promise<Ec2Proxy> {
  const createSnapshotAnsweredAt: number[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const payload = await body(req);
      if (proxy.failCreateSnapshotWith && /Action=CreateSnapshot(&|$)/.test(payload)) {
        res.writeHead(403, { 'content-type': 'text/xml' });
        res.end(
          `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${proxy.failCreateSnapshotWith}</Code>` +
            `<Message>refused by the test proxy</Message></Error></Errors><RequestID>fixture</RequestID></Response>`,
        );
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
      const upstream = await fetch(`${target}${req.url ?? '/'}`, { method: req.method ?? 'POST', headers, body: payload || undefined });
      const text = await upstream.text();
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/xml' });
      res.end(text, () => {
        if (/Action=CreateSnapshot(&|$)/.test(payload)) createSnapshotAnsweredAt.push(Date.now());
      });
    })();
  });
  const proxy: Ec2Proxy = { url: '', createSnapshotAnsweredAt, close: () => new Promise((r) => server.close(() => r())) };
  (proxy as { url: string }).url = await listen(server);
  return proxy;
}

/** Bundles src/keeper/main.ts the way the image gets it: one file, `node keeper.js`. */
export async function bundleKeeper(outDir: string): Promise<string> {
  const outfile = join(outDir, 'keeper.js');
  await build({
    entryPoints: [join(ROOT, 'src', 'keeper', 'main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}

export interface KeeperChild {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly exit: Promise<number | null>;
  /** Resolves with the first JSON log line matching `pred` (and when it arrived). */
  waitForLog(pred: (entry: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<{ entry: Record<string, unknown>; at: number }>;
}

export function spawnKeeper(script: string, env: NodeJS.ProcessEnv, args: readonly string[] = []): KeeperChild {
  const child = spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { pred: (e: Record<string, unknown>) => boolean; resolve: (v: { entry: Record<string, unknown>; at: number }) => void }[] = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    const at = Date.now();
    buf += d.toString('utf8');
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      for (const w of [...waiters]) {
        if (w.pred(entry)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve({ entry, at });
        }
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => lines.push(`stderr: ${d.toString('utf8')}`));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    child,
    lines,
    exit,
    waitForLog(pred, timeoutMs = 120_000) {
      for (const line of lines) {
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          if (pred(entry)) return Promise.resolve({ entry, at: Date.now() });
        } catch {
          // not JSON
        }
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms; output:\n${lines.join('\n')}`)), timeoutMs);
        waiters.push({
          pred,
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v);
          },
        });
      });
    },
  };
}
