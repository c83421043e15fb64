// jenkins/controller/sync-plugins.sh, run for real under /bin/sh (dash, as in the jenkins/jenkins
// image) against a fake image ref folder and a fake persistent JENKINS_HOME. Plugin archives are
// stand-in files: the script compares bytes and never opens an archive.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const script = resolve('jenkins/controller/sync-plugins.sh');

interface Fixture {
  readonly ref: string;
  readonly home: string;
  readonly plugins: string;
  readonly run: () => { code: number | null; stderr: string };
  readonly cleanup: () => void;
}

const archive = (id: string, version: string): string => `fake archive of ${id} ${version}\n`;

function fixture(image: Record<string, string>, home: Record<string, string>): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'sync-plugins-test-'));
  const ref = join(dir, 'ref', 'plugins');
  const jenkinsHome = join(dir, 'home');
  const plugins = join(jenkinsHome, 'plugins');
  mkdirSync(ref, { recursive: true });
  mkdirSync(plugins, { recursive: true });
  for (const [id, version] of Object.entries(image)) writeFileSync(join(ref, `${id}.jpi`), archive(id, version));
  for (const [path, text] of Object.entries(home)) {
    mkdirSync(join(plugins, path, '..'), { recursive: true });
    writeFileSync(join(plugins, path), text);
  }
  return {
    ref,
    home: jenkinsHome,
    plugins,
    run: () => {
      const r = spawnSync('sh', [script], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', JENKINS_HOME: jenkinsHome, JENKINS_ECS_PLUGIN_REF: ref },
        encoding: 'utf8',
      });
      return { code: r.status, stderr: r.stderr };
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Every path under the plugins folder, sorted; folders end with `/`. */
function tree(root: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, prefix), { withFileTypes: true })) {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) out.push(`${rel}/`, ...tree(root, rel));
    else out.push(rel);
  }
  return out.sort();
}

describe('sync-plugins.sh (plugins pinned on every boot of a persistent home)', () => {
  test('parses as POSIX sh', () => {
    const r = spawnSync('sh', ['-n', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  test('an older, a newer and an unlisted plugin: replaced, replaced, removed; an equal one is kept', () => {
    const f = fixture(
      { git: '5.10.1', credentials: '1502.v5c95e620ddfe', 'amazon-ecs': '1.49', timestamper: '1.30' },
      {
        // older than the image, exploded, with the official image's markers
        'git.jpi': archive('git', '5.7.0'),
        'git.jpi.pinned': '',
        'git.jpi.version_from_image': '5.7.0\n',
        'git/META-INF/MANIFEST.MF': 'Plugin-Version: 5.7.0\n',
        // newer than the image (upgraded through the UI), with the downgrade backup Jenkins keeps
        'credentials.jpi': archive('credentials', '1506.v948b_b_b_7dec44'),
        'credentials.bak': archive('credentials', '1502.v5c95e620ddfe'),
        'credentials/META-INF/MANIFEST.MF': 'Plugin-Version: 1506.v948b_b_b_7dec44\n',
        // dropped from plugins.txt long ago, disabled in the UI, installed as .hpi
        'chucknorris.hpi': archive('chucknorris', '1.4'),
        'chucknorris.hpi.disabled': '',
        'chucknorris/META-INF/MANIFEST.MF': 'Plugin-Version: 1.4\n',
        // a leftover marker whose archive is already gone
        'job-dsl.jpi.disabled': '',
        // the same release as the image, exploded: must be left alone
        'amazon-ecs.jpi': archive('amazon-ecs', '1.49'),
        'amazon-ecs/META-INF/MANIFEST.MF': 'Plugin-Version: 1.49\n',
        // the image's plugin, disabled in the UI
        'timestamper.jpi': archive('timestamper', '1.30'),
        'timestamper.jpi.disabled': '',
        // a copy cut short by a crash during an earlier sync
        '.git.jpi.jenkins-ecs-tmp': 'half',
      },
    );
    try {
      const r = f.run();
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(tree(f.plugins), [
        'amazon-ecs.jpi',
        'amazon-ecs/',
        'amazon-ecs/META-INF/',
        'amazon-ecs/META-INF/MANIFEST.MF',
        'credentials.jpi',
        'git.jpi',
        'timestamper.jpi',
      ]);
      for (const id of ['git', 'credentials', 'amazon-ecs', 'timestamper']) {
        assert.equal(readFileSync(join(f.plugins, `${id}.jpi`), 'utf8'), readFileSync(join(f.ref, `${id}.jpi`), 'utf8'), id);
      }
      assert.match(r.stderr, /replaced git with the image's release/);
      assert.match(r.stderr, /replaced credentials with the image's release/);
      assert.match(r.stderr, /removed chucknorris: not in the image/);
      assert.match(r.stderr, /removed job-dsl: not in the image/);
      assert.match(r.stderr, /enabled timestamper/);
      assert.match(r.stderr, /plugins match the image: 2 kept, 2 installed or replaced, 2 removed/);
      // A second boot changes nothing.
      const again = f.run();
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /4 kept, 0 installed or replaced, 0 removed/);
    } finally {
      f.cleanup();
    }
  });

  test('a first boot (empty home) gets every image plugin', () => {
    const f = fixture({ git: '5.10.1', 'configuration-as-code': '2117.vc05a_0b_e6b_f4e' }, {});
    try {
      rmSync(f.plugins, { recursive: true });
      const r = f.run();
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(tree(f.plugins), ['configuration-as-code.jpi', 'git.jpi']);
    } finally {
      f.cleanup();
    }
  });

  test('an image without a plugin folder stops the boot instead of emptying the home', () => {
    const f = fixture({}, { 'git.jpi': archive('git', '5.10.1') });
    try {
      rmSync(f.ref, { recursive: true });
      const r = f.run();
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /refusing to start Jenkins without its plugins/);
      assert.ok(existsSync(join(f.plugins, 'git.jpi')));
    } finally {
      f.cleanup();
    }
  });
});
