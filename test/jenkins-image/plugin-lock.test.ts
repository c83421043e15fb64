// The controller's plugin set as committed: plugins.txt, plugins.lock.json (facts read from each
// plugin's pom at its release tag and the jenkinsci/bom it imports; sources recorded in the lock),
// the Dockerfile's default core and the config default. Each guard also gets a broken copy of the
// lock, so the test fails if the guard goes.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTROLLER_IMAGE_SOURCE } from '../../src/constructs/index.js';
import { DEFAULTS, parseConfig } from '../../src/config/index.js';
import { jenkinsVersionIssues, PLUGIN_LOCK } from '../../src/config/plugin-lock.js';
import { lockProblems, newestRequiredCore, parsePluginsTxt, type LockedPlugin, type PluginLock } from '../../src/plugins/lock.js';
import { compareVersions } from '../../src/plugins/version.js';

const read = (file: string) => readFileSync(join(CONTROLLER_IMAGE_SOURCE, file), 'utf8');
const lock = JSON.parse(read('plugins.lock.json')) as PluginLock;
const pins = parsePluginsTxt(read('plugins.txt'));
const imageCore = /^ARG JENKINS_VERSION=(\S+)$/m.exec(read('Dockerfile'))?.[1] ?? '';

/** A deep copy of the lock with one plugin changed. */
function withPlugin(id: string, change: (p: LockedPlugin) => LockedPlugin): PluginLock {
  const copy = structuredClone(lock) as PluginLock;
  return { ...copy, plugins: copy.plugins.map((p) => (p.id === id ? change(p) : p)) };
}

describe('plugins.lock.json and plugins.txt', () => {
  test('the image, the config default and the lock name the same Jenkins core', () => {
    assert.equal(imageCore, lock.jenkins.version);
    assert.equal(DEFAULTS.jenkinsVersion, lock.jenkins.version);
    assert.equal(lock.jenkins.image, `jenkins/jenkins:${lock.jenkins.version}-lts-jdk21`);
    assert.deepEqual(PLUGIN_LOCK, lock, 'the config package imports the committed file');
  });

  test('every pin installs on the image core, every pin-to-pin dependency is met, and plugins.txt matches the lock', () => {
    assert.deepEqual(lockProblems(lock, pins, imageCore), []);
  });

  test('every fact names its source: the pom at the release tag (repo, tag, 40-hex commit, pom, BOM) or the update center', () => {
    for (const p of lock.plugins) {
      const s = p.source;
      if ('updateCenter' in s) {
        // Written by npm run plugins:update from plugin-versions.json.
        assert.match(s.updateCenter, /^(https:\/\/updates\.jenkins\.io\/|file )/, p.id);
        assert.ok(!Number.isNaN(Date.parse(s.fetchedAt)), p.id);
        for (const d of p.dependencies) assert.equal(d.from, 'update-center', `${p.id} → ${d.id}`);
        continue;
      }
      assert.match(s.repo, /^jenkinsci\/[a-z0-9-]+$/, p.id);
      assert.match(s.commit, /^[0-9a-f]{40}$/, p.id);
      assert.ok(s.tag.endsWith(p.version), `${p.id}: tag ${s.tag} is the release ${p.version}`);
      assert.match(s.pom, /pom\.xml$/, p.id);
      assert.match(s.requiredCoreFrom, /^jenkins\.version/, p.id);
      for (const d of p.dependencies) {
        assert.match(d.from, /^(pom|bom) \S*pom\.xml$/, `${p.id} → ${d.id}`);
        if (d.from.startsWith('bom')) assert.match(s.bom?.commit ?? '', /^[0-9a-f]{40}$/, `${p.id}: BOM commit`);
      }
    }
  });

  test('the image tag was verified in jenkinsci/docker: its commit is recorded', () => {
    assert.equal(lock.jenkins.source.repo, 'jenkinsci/docker');
    assert.equal(lock.jenkins.source.tag, lock.jenkins.version);
    assert.match(lock.jenkins.source.commit, /^[0-9a-f]{40}$/, 'after plugins:update moved the core, confirm the tag and record its commit');
  });

  test('reports the dependencies that plugins.txt leaves to jenkins-plugin-cli', (t) => {
    assert.ok(lock.unpinned.length > 0);
    for (const u of lock.unpinned) {
      assert.ok(!pins.some((p) => p.id === u.id), `${u.id} is pinned, so it is not unpinned`);
      t.diagnostic(`unpinned: ${u.id} >= ${u.minimum} (needed by ${u.requiredBy.join(', ')})`);
    }
  });

  test('a pin that needs a newer core than the image is refused', () => {
    const broken = withPlugin('git', (p) => ({ ...p, requiredCore: '2.580.1' }));
    assert.deepEqual(lockProblems(broken, pins, imageCore), [
      `git:5.10.1 requires Jenkins 2.580.1, newer than the image's ${imageCore}; raise jenkinsVersion or pick an older git`,
    ]);
    // The regression this guards: the v0.1 image, 2.516.3, under configuration-as-code 2100+ and credentials 1497+.
    assert.ok(lockProblems(lock, pins, '2.516.3').some((m) => m.startsWith('configuration-as-code:') && m.includes('requires Jenkins 2.541.1')));
  });

  test('a pin that depends on another pin at a version the pin does not reach is refused, optional ones included', () => {
    const needsNewerCredentials = withPlugin('git', (p) => ({
      ...p,
      dependencies: p.dependencies.map((d) => (d.id === 'credentials' ? { ...d, version: '1506.v948b_b_b_7dec44' } : d)),
    }));
    assert.deepEqual(lockProblems(needsNewerCredentials, pins, imageCore), [
      'git:5.10.1 needs credentials 1506.v948b_b_b_7dec44 or newer, but credentials is pinned at 1502.v5c95e620ddfe; raise the credentials pin',
    ]);
    const optional = withPlugin('credentials', (p) => ({
      ...p,
      dependencies: p.dependencies.map((d) => (d.id === 'configuration-as-code' ? { ...d, version: '2200.vabc' } : d)),
    }));
    assert.match(lockProblems(optional, pins, imageCore).join('\n'), /needs configuration-as-code 2200\.vabc or newer \(optional dependency\)/);
  });

  test('plugins.txt and the lock must agree: a different version, an extra pin, a missing pin', () => {
    const text = read('plugins.txt');
    const bumped = parsePluginsTxt(text.replace('timestamper:1.30', 'timestamper:1.31'));
    assert.match(lockProblems(lock, bumped, imageCore).join('\n'), /pins timestamper:1\.31 but plugins\.lock\.json has 1\.30/);
    const extra = parsePluginsTxt(`${text}job-dsl:1.87\n`);
    assert.match(lockProblems(lock, extra, imageCore).join('\n'), /pins job-dsl:1\.87, which plugins\.lock\.json does not list/);
    const missing = parsePluginsTxt(text.replace(/^ws-cleanup:.*$/m, ''));
    assert.match(lockProblems(lock, missing, imageCore).join('\n'), /lists ws-cleanup:0\.49, which plugins\.txt does not pin/);
  });

  test('a stale "unpinned" report is refused', () => {
    const stale = { ...lock, unpinned: lock.unpinned.slice(1) };
    assert.deepEqual(lockProblems(stale, pins, imageCore), ['plugins.lock.json "unpinned" is out of date with its plugins; run npm run plugins:update']);
  });

  test('plugins.txt lines must be pinned id:version', () => {
    assert.throws(() => parsePluginsTxt('git\n'), /line 1: "git" is not a pinned id:version/);
    assert.throws(() => parsePluginsTxt('# ok\ngit:latest extra\n'), /line 2/);
  });
});

describe('validate: controller.jenkinsVersion against the lock', () => {
  const needed = newestRequiredCore(lock);

  test('the newest required core is what the pins say', () => {
    assert.ok(needed);
    for (const p of lock.plugins) assert.ok(compareVersions(p.requiredCore, needed.core) <= 0, p.id);
  });

  test('an older core is refused, naming the key, the plugin, its required core and the fix', () => {
    const r = parseConfig({ name: 'ci', controller: { jenkinsVersion: '2.516.3' } });
    assert.equal(r.ok, false);
    const issue = r.ok ? undefined : r.errors.find((e) => e.path === 'controller.jenkinsVersion');
    assert.ok(issue, 'error on controller.jenkinsVersion');
    assert.match(issue.message, /"2\.516\.3" is older than Jenkins 2\.541\.1, which the pinned plugin (configuration-as-code|credentials):\S+ requires/);
    assert.match(issue.message, /set jenkinsVersion to "2\.541\.1" or newer/);
  });

  test('the required core itself and the checked core pass without a word', () => {
    for (const v of [needed?.core ?? '', lock.jenkins.version]) {
      const r = parseConfig({ name: 'ci', controller: { jenkinsVersion: v } });
      assert.ok(r.ok, v);
      assert.deepEqual(r.warnings.filter((w) => w.path === 'controller.jenkinsVersion'), [], v);
    }
  });

  test('a newer core than the one the set was checked on is accepted with a warning saying so', () => {
    const r = parseConfig({ name: 'ci', controller: { jenkinsVersion: '2.580.1' } });
    assert.ok(r.ok);
    const w = r.warnings.find((i) => i.path === 'controller.jenkinsVersion');
    assert.match(w?.message ?? '', /"2\.580\.1" is newer than Jenkins 2\.568\.2, the core the pinned plugins were checked on/);
  });

  test('the rule reads the lock it is given (not a hard-coded core)', () => {
    const strict = withPlugin('git', (p) => ({ ...p, requiredCore: '2.568.1' }));
    assert.match(jenkinsVersionIssues('2.555.3', strict)[0]?.message ?? '', /older than Jenkins 2\.568\.1, which the pinned plugin git:5\.10\.1 requires/);
    assert.deepEqual(jenkinsVersionIssues('2.555.3'), []);
  });
});
