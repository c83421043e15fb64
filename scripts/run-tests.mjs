#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's built-in test runner (through tsx).
// AWS is never reached: dummy credentials, IMDS disabled, and every SDK client is aimed at a
// moto_server on 127.0.0.1. If MOTO_URL is not given, this script starts moto_server itself on a
// free port and stops it at the end.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function findTests(dir) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...findTests(full));
    else if (entry.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForMoto(url, deadlineMs) {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    try {
      const res = await fetch(`${url}/moto-api/`);
      if (res.ok || res.status === 404) return;
    } catch {
      // not up yet
    }
    await sleep(200);
  }
  throw new Error(`moto_server did not answer at ${url} within ${deadlineMs} ms`);
}

let moto;
let motoUrl = process.env.MOTO_URL;
if (!motoUrl) {
  const which = spawnSync('sh', ['-c', 'command -v moto_server'], { encoding: 'utf8' });
  if (which.status !== 0) {
    console.error('moto_server not found on PATH (pip moto 5.x with server extras). Add $HOME/.pyenv/shims to PATH or set MOTO_URL.');
    process.exit(2);
  }
  const port = await freePort();
  motoUrl = `http://127.0.0.1:${port}`;
  moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let motoErr = '';
  moto.stderr.on('data', (d) => { motoErr = (motoErr + d).slice(-4000); });
  try {
    await waitForMoto(motoUrl, 30000);
  } catch (e) {
    console.error(String(e), motoErr);
    moto.kill('SIGKILL');
    process.exit(2);
  }
}

const files = findTests(join(root, 'test'))
  .filter((f) => filters.length === 0 || filters.some((flt) => relative(root, f).includes(flt)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

const env = {
  ...process.env,
  MOTO_URL: motoUrl,
  AWS_ENDPOINT_URL: motoUrl,
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_SESSION_TOKEN: 'testing',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_PROFILE: '',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  CDK_DISABLE_VERSION_CHECK: '1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION: '1',
  // aws-cdk-lib's built-in CloudFormation validation (core/lib/private/synthesis-validation.js:
  // off when CDK_VALIDATION is "false") costs a WebAssembly engine per process and more than the
  // rest of a synth, and it only warns. It runs once per example instead, in
  // test/examples/examples.test.ts (which turns it back on and fails on any finding), next to
  // cfn-lint over the same templates; `cdk deploy` keeps it (bin/app.ts).
  CDK_VALIDATION: 'false',
};
delete env.AWS_PROFILE;

const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  { cwd: root, env, stdio: 'inherit' },
);
const code = await new Promise((resolve) => child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0))));
if (moto) moto.kill('SIGTERM');
process.exit(code);
