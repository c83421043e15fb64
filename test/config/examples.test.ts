import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatIssues, loadConfigFile } from '../../src/config/index.js';

const root = join(__dirname, '..', '..');
const examples = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.yaml'));

test('the three documented examples exist', () => {
  for (const f of ['minimal.yaml', 'production.yaml', 'existing-vpc.yaml']) assert.ok(examples.includes(f), f);
});

for (const f of examples) {
  test(`examples/${f} validates without errors`, () => {
    const r = loadConfigFile(join(root, 'examples', f));
    assert.ok(r.ok, r.ok ? '' : formatIssues(r.errors).join('\n'));
  });
}

test('minimal.yaml sets only name', () => {
  const r = loadConfigFile(join(root, 'examples', 'minimal.yaml'));
  assert.ok(r.ok);
  assert.equal(r.config.name, 'ci');
  assert.equal(r.config.agents.length, 1);
});

test('production.yaml has a domain with a zone, a certificate, a KMS key and an on-demand agent among several', () => {
  const r = loadConfigFile(join(root, 'examples', 'production.yaml'));
  assert.ok(r.ok);
  const c = r.config;
  assert.ok(c.access.domainName && c.access.hostedZoneId && c.access.certificateArn);
  assert.ok(c.controller.home.kmsKeyArn);
  assert.ok(c.agents.length >= 3);
  assert.ok(c.agents.some((a) => a.capacity === 'on-demand'));
  assert.deepEqual(r.warnings, [], formatIssues(r.warnings).join('\n'));
});

test('existing-vpc.yaml imports a VPC behind an internal ALB with restricted CIDRs', () => {
  const r = loadConfigFile(join(root, 'examples', 'existing-vpc.yaml'));
  assert.ok(r.ok);
  assert.match(r.config.vpc!.id, /^vpc-/);
  assert.equal(r.config.access.internal, true);
  assert.ok(!r.config.access.allowedCidrs.includes('0.0.0.0/0'));
});

test('the repo-root jenkins-ecs.yaml is the same config as examples/minimal.yaml', () => {
  const a = loadConfigFile(join(root, 'jenkins-ecs.yaml'));
  const b = loadConfigFile(join(root, 'examples', 'minimal.yaml'));
  assert.ok(a.ok && b.ok);
  assert.deepEqual(a.config, b.config);
  assert.ok(readFileSync(join(root, 'jenkins-ecs.yaml'), 'utf8').includes('name: ci'));
});
