// The gate is the Jenkins container's entrypoint (jenkins/controller/gate.sh). These tests run it
// under /bin/sh (dash on Debian, like the jenkins/jenkins image) with a temporary run dir and a
// fake tini that prints its arguments, so nothing of the real image is needed.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { KEEPER_ENV, MARKERS } from '../../src/continuity/settings.js';

// The runner (scripts/run-tests.mjs) runs from the repository root.
const gate = resolve('jenkins/controller/gate.sh');
const fakeJenkinsSh = '/usr/local/bin/jenkins.sh';

interface Run {
  readonly child: ChildProcess;
  readonly runDir: string;
  /** Lines the fake plugin sync wrote, one per run. */
  readonly syncRuns: () => string[];
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly cleanup: () => void;
}

function startGate(args: readonly string[], prepare?: (runDir: string) => void, extraEnv: Record<string, string> = {}): Run {
  const dir = mkdtempSync(join(tmpdir(), 'gate-test-'));
  const runDir = join(dir, 'run');
  mkdirSync(runDir);
  prepare?.(runDir);
  const tini = join(dir, 'tini');
  // One argument per line, so the test sees exactly what exec passed.
  writeFileSync(tini, '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n');
  chmodSync(tini, 0o755);
  // Stands in for sync-plugins.sh (tested on its own in sync-plugins.test.ts): records that it ran.
  const sync = join(dir, 'sync-plugins');
  writeFileSync(sync, `#!/bin/sh\necho synced >> "${join(dir, 'sync.log')}"\nexit \${FAKE_SYNC_EXIT:-0}\n`);
  chmodSync(sync, 0o755);
  const child = spawn('sh', [gate, ...args], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      [KEEPER_ENV.runDir]: runDir,
      JENKINS_ECS_GATE_TINI: tini,
      JENKINS_ECS_GATE_JENKINS_SH: fakeJenkinsSh,
      JENKINS_ECS_GATE_SYNC_PLUGINS: sync,
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  return {
    child,
    runDir,
    syncRuns: () => (existsSync(join(dir, 'sync.log')) ? readFileSync(join(dir, 'sync.log'), 'utf8').split('\n').filter(Boolean) : []),
    stdout: () => out,
    stderr: () => err,
    exited,
    cleanup: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves once `predicate` holds; polling, because the gate's output arrives in chunks. */
async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((r) => setTimeout(r, 50));
}

describe('jenkins-ecs gate (jenkins/controller/gate.sh)', () => {
  test('parses as POSIX sh (dash) without syntax errors', () => {
    const res = spawnSync('sh', ['-n', gate], { encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
  });

  test('waits while the keeper has not decided, logs the stale reason, then execs tini with jenkins.sh and the original args', { timeout: 30_000 }, async () => {
    const run = startGate(['--httpPort=8080', 'an arg with spaces', '']);
    try {
      await until(() => run.stderr().includes('waiting for'));
      // A stale marker does not release the gate; only `authorized` does.
      writeFileSync(join(run.runDir, MARKERS.stale), 'volume built from snap-old, head is snap-new\n');
      await until(() => run.stderr().includes('snap-old, head is snap-new'));
      assert.equal(run.child.exitCode, null);
      assert.equal(run.stdout(), '');

      writeFileSync(join(run.runDir, MARKERS.authorized), '');
      const { code } = await run.exited;
      assert.equal(code, 0);
      assert.deepEqual(run.stdout().split('\n').slice(0, -1), [
        '--',
        fakeJenkinsSh,
        '--httpPort=8080',
        'an arg with spaces',
        '',
      ]);
      assert.match(run.stderr(), /authorized after \d+s; starting Jenkins/);
    } finally {
      run.cleanup();
    }
  });

  test('starts Jenkins at once when the keeper has already authorized the volume', { timeout: 30_000 }, async () => {
    const run = startGate([], (runDir) => writeFileSync(join(runDir, MARKERS.authorized), ''));
    try {
      const { code } = await run.exited;
      assert.equal(code, 0);
      assert.deepEqual(run.stdout().split('\n').slice(0, -1), ['--', fakeJenkinsSh]);
    } finally {
      run.cleanup();
    }
  });

  test('makes the home\'s plugins match the image after authorization and before Jenkins starts', { timeout: 30_000 }, async () => {
    const run = startGate([], undefined, { JENKINS_ECS_GATE_LOG_EVERY: '1' });
    try {
      await until(() => /still waiting/.test(run.stderr()));
      assert.deepEqual(run.syncRuns(), [], 'the plugins of a volume the keeper has not authorized are left alone');
      writeFileSync(join(run.runDir, MARKERS.authorized), '');
      assert.equal((await run.exited).code, 0);
      assert.deepEqual(run.syncRuns(), ['synced']);
      assert.deepEqual(run.stdout().split('\n').slice(0, -1), ['--', fakeJenkinsSh]);
    } finally {
      run.cleanup();
    }
  });

  test('does not start Jenkins when the plugin sync fails', { timeout: 30_000 }, async () => {
    const run = startGate([], (runDir) => writeFileSync(join(runDir, MARKERS.authorized), ''), { FAKE_SYNC_EXIT: '3' });
    try {
      assert.equal((await run.exited).code, 1);
      assert.equal(run.stdout(), '', 'tini was never executed');
      assert.match(run.stderr(), /could not make JENKINS_HOME\/plugins match the image; not starting Jenkins/);
    } finally {
      run.cleanup();
    }
  });

  test('keeps logging while it waits, with the stale reason once there is one', { timeout: 30_000 }, async () => {
    // Every second instead of every 30 s, so the test sees several rounds.
    const run = startGate([], undefined, { JENKINS_ECS_GATE_LOG_EVERY: '1' });
    try {
      await until(() => (run.stderr().match(/still waiting after \d+s for the keeper's decision/g) ?? []).length >= 2);
      writeFileSync(join(run.runDir, MARKERS.stale), 'head snap-new is not this volume\'s source\nsecond line is never logged\n');
      await until(() => /still waiting after \d+s; stale: head snap-new is not this volume's source\n/.test(run.stderr()));
      assert.doesNotMatch(run.stderr(), /second line/);
      assert.equal(run.stdout(), '');
      writeFileSync(join(run.runDir, MARKERS.authorized), '');
      assert.equal((await run.exited).code, 0);
    } finally {
      run.cleanup();
    }
  });

  test('SIGTERM while waiting exits 0 without ever starting Jenkins', { timeout: 30_000 }, async () => {
    const run = startGate(['--httpPort=8080']);
    try {
      await until(() => run.stderr().includes('waiting for'));
      run.child.kill('SIGTERM');
      const { code, signal } = await run.exited;
      assert.equal(signal, null, 'the gate handles SIGTERM itself rather than dying of it');
      assert.equal(code, 0);
      assert.equal(run.stdout(), '', 'tini must not have been exec');
      assert.match(run.stderr(), /Jenkins was not started/);
    } finally {
      run.cleanup();
    }
  });
});
