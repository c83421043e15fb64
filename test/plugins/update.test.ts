// plugins:update, offline: the pure chooser and the script, against a recorded excerpt in the
// shape of the update center's plugin-versions.json (test/fixtures/jenkins/plugin-versions.excerpt.json;
// its "about" says how each release's facts were verified). No test reaches the network.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { lockProblems, parsePluginsTxt, type PluginLock } from '../../src/plugins/lock.js';
import { describeChanges, updatePlugins, type PluginVersions } from '../../src/plugins/update.js';
import { main } from '../../scripts/plugins-update.js';

const FIXTURE = resolve('test/fixtures/jenkins/plugin-versions.excerpt.json');
const data = JSON.parse(readFileSync(FIXTURE, 'utf8')) as PluginVersions;
const lock = JSON.parse(readFileSync('jenkins/controller/plugins.lock.json', 'utf8')) as PluginLock;
const target = (core: string) => ({ core, updateCenter: 'fixture', fetchedAt: '2026-12-01T00:00:00.000Z' });

/** The lock with some pins moved back to older releases from the fixture. */
function olderLock(pins: Record<string, string>): PluginLock {
  const copy = structuredClone(lock) as PluginLock;
  return { ...copy, plugins: copy.plugins.map((p) => (pins[p.id] ? { ...p, version: pins[p.id] as string } : p)) };
}

describe('updatePlugins (pure) on the recorded excerpt', () => {
  test('on the checked core the committed pins are already the newest: nothing changes', () => {
    const r = updatePlugins(lock, data, target(lock.jenkins.version));
    assert.ok(r.ok, r.ok ? '' : r.message);
    assert.deepEqual(r.changes, []);
    assert.deepEqual(r.lock, lock, 'kept pins keep their recorded facts and sources');
    assert.deepEqual(describeChanges(r.changes, '2.568.2'), ['plugins:update: every pin is already the newest release for Jenkins 2.568.2']);
  });

  test('older pins move to the newest releases for the core, and the result passes the lock checks', () => {
    const r = updatePlugins(olderLock({ credentials: '1480.v2246fd131e83', git: '5.7.0', 'amazon-ecs': '1.48' }), data, target('2.568.2'));
    assert.ok(r.ok, r.ok ? '' : r.message);
    assert.deepEqual(describeChanges(r.changes, '2.568.2'), [
      'credentials: 1480.v2246fd131e83 → 1502.v5c95e620ddfe',
      'git: 5.7.0 → 5.10.1',
      'amazon-ecs: 1.48 → 1.49',
    ]);
    const git = r.lock.plugins.find((p) => p.id === 'git');
    assert.deepEqual(git?.source, { updateCenter: 'fixture', fetchedAt: '2026-12-01T00:00:00.000Z' });
    assert.equal(git?.requiredCore, '2.504.3');
    const pins = r.lock.plugins.map((p, i) => ({ id: p.id, version: p.version, line: i + 1 }));
    assert.deepEqual(lockProblems(r.lock, pins, '2.568.2'), []);
  });

  test('a core too old for every release of a pin is refused in one line naming the plugin and what it needs', () => {
    const r = updatePlugins(lock, data, target('2.400.1'));
    assert.equal(r.ok, false);
    assert.equal(
      r.ok ? '' : r.message,
      'plugins:update: no release of configuration-as-code installs on Jenkins 2.400.1 (its oldest listed release, 1971.vf9280461ea_89, requires 2.504.1); raise --jenkins-version or drop configuration-as-code',
    );
    assert.doesNotMatch(r.ok ? '' : r.message, /\n/);
  });

  test('v0.1\'s core (2.516.3): credentials for it needs a configuration-as-code that needs 2.541.1, so the set is refused', () => {
    const r = updatePlugins(lock, data, target('2.516.3'));
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.message, /^plugins:update: every release of credentials for Jenkins 2\.516\.3 needs configuration-as-code newer than 1998\.v3e50e6e9d9d3/);
  });

  test('a pin whose newest release needs more of another pin than that pin can give steps down a release', () => {
    // Hand-made data (not a recording) for the algorithm alone.
    const small: PluginVersions = {
      plugins: {
        a: { '2.0': { version: '2.0', requiredCore: '2.500.1', dependencies: [{ name: 'b', optional: false, version: '5.0' }] }, '1.0': { version: '1.0', requiredCore: '2.500.1', dependencies: [{ name: 'b', optional: false, version: '3.0' }] } },
        b: { '5.0': { version: '5.0', requiredCore: '2.600.1' }, '4.0': { version: '4.0', requiredCore: '2.500.1' } },
      },
    };
    const tiny: PluginLock = {
      ...lock,
      plugins: ['a', 'b'].map((id) => ({ id, version: '0.1', requiredCore: '2.500.1', source: { updateCenter: 'x', fetchedAt: 'x' }, dependencies: [] })),
      unpinned: [],
    };
    const r = updatePlugins(tiny, small, target('2.550.1'));
    assert.ok(r.ok, r.ok ? '' : r.message);
    assert.deepEqual(r.changes, [
      { id: 'a', from: '0.1', to: '1.0' },
      { id: 'b', from: '0.1', to: '4.0' },
    ]);
  });
});

describe('scripts/plugins-update.ts', () => {
  function copyControllerDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'plugins-update-'));
    for (const f of ['plugins.lock.json', 'plugins.txt', 'Dockerfile']) cpSync(join('jenkins/controller', f), join(dir, f));
    return dir;
  }

  test('rewrites plugins.txt and the lock and prints old → new; the files agree afterwards', async () => {
    const dir = copyControllerDir();
    try {
      writeFileSync(join(dir, 'plugins.lock.json'), `${JSON.stringify(olderLock({ timestamper: '1.28' }), null, 2)}\n`);
      const lines: string[] = [];
      const code = await main(['--from', FIXTURE, '--dir', dir, '--config', join(dir, 'none.yaml')], (l) => lines.push(l));
      assert.equal(code, 0, lines.join('\n'));
      assert.deepEqual(lines, ['timestamper: 1.28 → 1.30']);
      const written = JSON.parse(readFileSync(join(dir, 'plugins.lock.json'), 'utf8')) as PluginLock;
      const pins = parsePluginsTxt(readFileSync(join(dir, 'plugins.txt'), 'utf8'));
      assert.deepEqual(lockProblems(written, pins, written.jenkins.version), []);
      assert.ok(pins.some((p) => p.id === 'timestamper' && p.version === '1.30'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('takes the core from the config file, and refuses in one line (exit 1, files untouched) when nothing fits', async () => {
    const dir = copyControllerDir();
    try {
      writeFileSync(join(dir, 'jenkins-ecs.yaml'), 'name: ci\ncontroller:\n  jenkinsVersion: "2.400.1"\n');
      const before = readFileSync(join(dir, 'plugins.lock.json'), 'utf8');
      const lines: string[] = [];
      const code = await main(['--from', FIXTURE, '--dir', dir, '--config', join(dir, 'jenkins-ecs.yaml')], (l) => lines.push(l));
      assert.equal(code, 1);
      assert.equal(lines.length, 1);
      assert.match(lines[0] ?? '', /^plugins:update: no release of configuration-as-code installs on Jenkins 2\.400\.1/);
      assert.equal(readFileSync(join(dir, 'plugins.lock.json'), 'utf8'), before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a newer core moves the Dockerfile default and the lock\'s core, and says to confirm the image tag', async () => {
    const dir = copyControllerDir();
    try {
      const lines: string[] = [];
      const code = await main(['--from', FIXTURE, '--dir', dir, '--jenkins-version', '2.580.1'], (l) => lines.push(l));
      assert.equal(code, 0, lines.join('\n'));
      assert.match(lines[0] ?? '', /^jenkins: 2\.568\.2 → 2\.580\.1 \(confirm that jenkins\/jenkins:2\.580\.1-lts-jdk21 exists/);
      assert.match(readFileSync(join(dir, 'Dockerfile'), 'utf8'), /^ARG JENKINS_VERSION=2\.580\.1$/m);
      const written = JSON.parse(readFileSync(join(dir, 'plugins.lock.json'), 'utf8')) as PluginLock;
      assert.equal(written.jenkins.version, '2.580.1');
      assert.doesNotMatch(written.jenkins.source.commit, /^[0-9a-f]{40}$/, 'an unverified tag is not recorded as verified');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('runs as npm run plugins:update: a bad version is refused in one line', () => {
    const r = spawnSync('npx', ['tsx', 'scripts/plugins-update.ts', '--jenkins-version', 'latest', '--from', FIXTURE, '--dry-run'], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.equal(r.stdout.trim(), 'plugins:update: Jenkins version "latest" is not an X.Y.Z LTS release, e.g. 2.568.2');
  });
});
