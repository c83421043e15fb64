// The controller image's inputs: Dockerfile, pinned plugins, baked JCasC, and the staged build
// context CDK turns into a Docker asset (synth stages files only; no Docker daemon needed).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { parse as parseYaml } from 'yaml';
import {
  CASC_IMAGE_DIR,
  CONTROLLER_IMAGE_SOURCE,
  controllerImage,
  JenkinsEcsConstructError,
  stageControllerImage,
} from '../../src/constructs/index.js';

const read = (file: string) => readFileSync(join(CONTROLLER_IMAGE_SOURCE, file), 'utf8');

describe('plugins.txt', () => {
  const lines = read('plugins.txt')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

  test('every line is a pinned id:version', () => {
    for (const line of lines) assert.match(line, /^[a-z0-9-]+:[0-9][^\s]*$/, line);
  });

  test('no plugin is listed twice', () => {
    const ids = lines.map((l) => l.split(':')[0]);
    assert.deepEqual(ids.filter((id, i) => ids.indexOf(id) !== i), []);
  });

  test('the plugins the stack relies on are present', () => {
    const ids = new Set(lines.map((l) => l.split(':')[0]));
    for (const id of ['configuration-as-code', 'matrix-auth', 'amazon-ecs', 'workflow-aggregator', 'git', 'credentials']) {
      assert.ok(ids.has(id), `${id} missing from plugins.txt`);
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  test('builds FROM the jdk21 LTS image of the configured Jenkins version', () => {
    assert.match(dockerfile, /^ARG JENKINS_VERSION=\d+\.\d+\.\d+$/m);
    assert.match(dockerfile, /^FROM jenkins\/jenkins:\$\{JENKINS_VERSION\}-lts-jdk21$/m);
  });

  test('installs the pinned plugins with jenkins-plugin-cli', () => {
    assert.match(dockerfile, /^RUN jenkins-plugin-cli (-f|--plugin-file) \S*plugins\.txt$/m);
  });

  test('bakes JCasC into the image (not JENKINS_HOME) and skips the setup wizard', () => {
    assert.match(dockerfile, new RegExp(`^COPY .*casc/ ${CASC_IMAGE_DIR}/$`, 'm'));
    assert.match(dockerfile, new RegExp(`^ENV CASC_JENKINS_CONFIG=${CASC_IMAGE_DIR}$`, 'm'));
    assert.ok(!CASC_IMAGE_DIR.startsWith('/var/jenkins_home'));
    assert.match(dockerfile, /-Djenkins\.install\.runSetupWizard=false/);
  });

  test('the entrypoint is the continuity gate, copied from gate.sh', () => {
    assert.match(dockerfile, /^COPY .*gate\.sh \/usr\/local\/bin\/jenkins-ecs-gate$/m);
    assert.match(dockerfile, /^ENTRYPOINT \["\/usr\/local\/bin\/jenkins-ecs-gate"\]$/m);
    assert.ok(existsSync(join(CONTROLLER_IMAGE_SOURCE, 'gate.sh')), 'jenkins/controller/gate.sh missing');
  });

  test('installs the plugin sync the gate runs before Jenkins, executable', () => {
    assert.match(dockerfile, /^COPY sync-plugins\.sh \/usr\/local\/bin\/jenkins-ecs-sync-plugins$/m);
    assert.match(dockerfile, /^RUN chmod 0755 .*\/usr\/local\/bin\/jenkins-ecs-sync-plugins/m);
    assert.match(readFileSync(join(CONTROLLER_IMAGE_SOURCE, 'gate.sh'), 'utf8'), /\/usr\/local\/bin\/jenkins-ecs-sync-plugins/);
  });
});

describe('both Dockerfiles build with BuildKit off', () => {
  // The classic builder rejects these: COPY/ADD --chmod and --link, RUN --mount/--network/--security,
  // heredocs, and a # syntax= frontend line.
  const buildKitOnly = /^\s*(?:(?:COPY|ADD)\s+(?:--\S+\s+)*--(?:chmod|link|parents|exclude)\b|RUN\s+(?:--\S+\s+)*--(?:mount|network|security)\b|\S+.*<<-?\s*['"]?[A-Z]+|#\s*syntax\s*=)/im;
  for (const file of [join(CONTROLLER_IMAGE_SOURCE, 'Dockerfile'), resolve('keeper/Dockerfile')]) {
    test(file.replace(/^.*\/(jenkins|keeper)\//, '$1/'), () => {
      const text = readFileSync(file, 'utf8').split('\n').filter((l) => !/^\s*#(?!\s*syntax)/i.test(l)).join('\n');
      assert.doesNotMatch(text, buildKitOnly);
    });
  }
  test('the pattern catches what it is for', () => {
    for (const bad of ['COPY --chmod=0755 gate.sh /x', 'COPY --chown=a:b --chmod=755 a /b', 'RUN --mount=type=cache,target=/r npm ci', 'RUN <<EOF', '# syntax=docker/dockerfile:1']) {
      assert.match(bad, buildKitOnly, bad);
    }
    assert.doesNotMatch('COPY --chown=jenkins:jenkins casc/ /usr/share/jenkins/casc/', buildKitOnly);
  });
});

describe('casc/jenkins.yaml', () => {
  const doc = parseYaml(read('casc/jenkins.yaml')) as {
    jenkins: {
      numExecutors: number;
      securityRealm: { local: { allowsSignup: boolean; users: unknown[] } };
      authorizationStrategy: { projectMatrix: { entries: Array<{ user?: unknown; group?: unknown }> } };
      crumbIssuer: { standard?: unknown };
    };
    unclassified: { location: { url: string } };
  };

  test('local security realm with the admin from the environment and no sign-up', () => {
    assert.equal(doc.jenkins.securityRealm.local.allowsSignup, false);
    assert.deepEqual(doc.jenkins.securityRealm.local.users, [
      { id: '${JENKINS_ADMIN_ID}', password: '${JENKINS_ADMIN_PASSWORD}' },
    ]);
  });

  test('matrix authorization: admin administers, authenticated users read', () => {
    const entries = doc.jenkins.authorizationStrategy.projectMatrix.entries;
    assert.deepEqual(entries.find((e) => e.user)?.user, { name: '${JENKINS_ADMIN_ID}', permissions: ['Overall/Administer'] });
    assert.deepEqual(entries.find((e) => e.group)?.group, { name: 'authenticated', permissions: ['Overall/Read'] });
  });

  test('no builds on the controller, CSRF crumbs on, URL from JENKINS_URL', () => {
    assert.equal(doc.jenkins.numExecutors, 0);
    assert.ok(doc.jenkins.crumbIssuer.standard);
    assert.equal(doc.unclassified.location.url, '${JENKINS_URL}');
  });
});

describe('staged build context', () => {
  test('contains the image folder plus the extra JCasC files, and its name follows the content', () => {
    const root = mkdtempSync(join(tmpdir(), 'jenkins-ecs-stage-test-'));
    const a = stageControllerImage({ jenkinsVersion: '2.568.2', stagingRoot: root, extraCascFiles: { 'agents.yaml': 'jenkins: {}\n' } });
    for (const f of ['Dockerfile', 'plugins.txt', 'gate.sh', 'casc/jenkins.yaml']) assert.ok(existsSync(join(a, f)), f);
    assert.equal(readFileSync(join(a, 'casc/agents.yaml'), 'utf8'), 'jenkins: {}\n');
    const again = stageControllerImage({ jenkinsVersion: '2.568.2', stagingRoot: root, extraCascFiles: { 'agents.yaml': 'jenkins: {}\n' } });
    assert.equal(again, a);
    const other = stageControllerImage({ jenkinsVersion: '2.568.2', stagingRoot: root, extraCascFiles: { 'agents.yaml': 'jenkins: { x: 1 }\n' } });
    assert.notEqual(other, a);
  });

  test('an extra file may not replace the core jenkins.yaml or escape the casc folder', () => {
    const root = mkdtempSync(join(tmpdir(), 'jenkins-ecs-stage-test-'));
    for (const bad of ['jenkins.yaml', '../Dockerfile.yaml', 'agents.txt']) {
      assert.throws(
        () => stageControllerImage({ jenkinsVersion: '2.568.2', stagingRoot: root, extraCascFiles: { [bad]: 'x: 1\n' } }),
        JenkinsEcsConstructError,
        bad,
      );
    }
  });

  test('synth stages a linux/amd64 Docker asset with the Jenkins version as build argument', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'jenkins-ecs-image-synth-'));
    const app = new App({ outdir });
    const stack = new Stack(app, 'ImageTest');
    const td = new ecs.FargateTaskDefinition(stack, 'Td');
    td.addContainer('jenkins', { image: controllerImage({ jenkinsVersion: '2.568.2' }) });
    app.synth();
    const assets = JSON.parse(readFileSync(join(outdir, 'ImageTest.assets.json'), 'utf8')) as {
      dockerImages: Record<string, { source: { directory: string; dockerBuildArgs?: Record<string, string>; platform?: string } }>;
    };
    const images = Object.values(assets.dockerImages);
    assert.equal(images.length, 1);
    const source = images[0]!.source;
    assert.deepEqual(source.dockerBuildArgs, { JENKINS_VERSION: '2.568.2' });
    assert.equal(source.platform, 'linux/amd64');
    assert.ok(existsSync(join(outdir, source.directory, 'Dockerfile')));
    assert.ok(existsSync(join(outdir, source.directory, 'casc', 'jenkins.yaml')));
  });
});
