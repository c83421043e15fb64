import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { EXIT } from '../../src/cli/errors.js';
import { BufferIo } from '../../src/cli/io.js';

function workspace(files: Record<string, string>, env: Record<string, string> = {}) {
  const cwd = mkdtempSync(join(tmpdir(), 'jenkins-ecs-validate-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(cwd, name), text);
  return { io: new BufferIo(), env, cwd, now: () => new Date('2026-01-01T00:00:00Z') };
}

describe('jenkins-ecs validate', () => {
  test('a valid default file exits 0 and prints its warnings', async () => {
    const c = workspace({ 'jenkins-ecs.yaml': 'name: ci\n' });
    assert.equal(await main(['validate'], c), EXIT.ok);
    assert.match(c.io.text(), /^warning: access\.allowedCidrs:/m);
    assert.match(c.io.text(), /jenkins-ecs\.yaml: valid \(1 warning\)/);
  });
  test('an invalid file exits 1 and prints every error with its path', async () => {
    const c = workspace({ 'bad.yaml': 'name: Bad\ncontroller:\n  cpu: 3000\n  snapshots:\n    keepLast: 0\n' });
    assert.equal(await main(['validate', '--config', 'bad.yaml'], c), EXIT.failure);
    const out = c.io.text();
    assert.match(out, /^name: "Bad"/m);
    assert.match(out, /^controller\.cpu: 3000/m);
    assert.match(out, /^controller\.snapshots\.keepLast: 0/m);
    assert.match(out, /bad\.yaml: invalid, 3 errors/);
  });
  test('JENKINS_ECS_CONFIG picks the file when --config is absent, and --config wins over it', async () => {
    const files = { 'env.yaml': 'name: from-env\naccess: {internal: true}\n', 'flag.yaml': 'name: Bad!\n' };
    const c = workspace(files, { JENKINS_ECS_CONFIG: 'env.yaml' });
    assert.equal(await main(['validate'], c), EXIT.ok);
    assert.match(c.io.text(), /env\.yaml: valid/);
    const d = workspace(files, { JENKINS_ECS_CONFIG: 'env.yaml' });
    assert.equal(await main(['validate', '-c', 'flag.yaml'], d), EXIT.failure);
  });
  test('a missing file is an error naming the path, exit 1', async () => {
    const c = workspace({});
    assert.equal(await main(['validate', '--config', 'nope.yaml'], c), EXIT.failure);
    assert.match(c.io.text(), /nope\.yaml: the config file does not exist/);
  });
  test('a YAML syntax error reports its line', async () => {
    const c = workspace({ 'y.yaml': 'name: ci\nagents:\n  - label: a\n   cpu: 1024\n' });
    assert.equal(await main(['validate', '--config', 'y.yaml'], c), EXIT.failure);
    // As shown on the command line (relative), with the line once.
    assert.deepEqual(c.io.stdout, ['y.yaml:4:1: YAML syntax error: Sequence item without - indicator — fix the YAML there', 'y.yaml: invalid, 1 error']);
  });
  test('a JSON file is accepted', async () => {
    const c = workspace({ 'c.json': JSON.stringify({ name: 'ci', access: { internal: true } }) });
    assert.equal(await main(['validate', '--config', 'c.json'], c), EXIT.ok);
  });
  test('a JSON syntax error names its line too', async () => {
    const c = workspace({ 'c.json': '{\n  "name": "ci",\n  "access": {"internal": true,}\n  "x"\n}\n' });
    assert.equal(await main(['validate', '--config', 'c.json'], c), EXIT.failure);
    assert.match(c.io.text(), /^c\.json:[34]:\d+: JSON syntax error: /m);
  });
  test('--json prints one document with errors and warnings', async () => {
    const c = workspace({ 'bad.yaml': 'name: ci\nregoin: us-east-1\n' });
    assert.equal(await main(['validate', '--config', 'bad.yaml', '--json'], c), EXIT.failure);
    const doc = JSON.parse(c.io.text()) as { valid: boolean; errors: { path: string; message: string }[]; warnings: unknown[] };
    assert.equal(doc.valid, false);
    assert.equal(doc.errors[0]!.path, 'regoin');
    assert.match(doc.errors[0]!.message, /did you mean region/);
  });
});
