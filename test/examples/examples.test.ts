// Every example config (and the repo-root jenkins-ecs.yaml) must synthesize offline with zero
// unacknowledged cdk-nag findings, and the written templates must be cfn-lint clean.
// Lookups (the imported VPC of `vpc.id`, the AZs of a new VPC) are served from app context, the
// way `cdk.context.json` caches them, so no AWS call is made. One cfn-lint rule is ignored globally
// (W3010, see the last test); the one resource-level ignore (W3005 on the controller service)
// lives in the template metadata, with its reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIGS, synthExample } from './synth.js';

function findCfnLint(): string {
  for (const candidate of ['cfn-lint', join(process.env.HOME ?? '', '.pyenv/shims/cfn-lint')]) {
    if (spawnSync(candidate, ['--version'], { encoding: 'utf8' }).status === 0) return candidate;
  }
  assert.fail('cfn-lint not found on PATH or in ~/.pyenv/shims (pip cfn-lint 1.x is required)');
}

test('the example set includes the repo-root config and the documented examples', () => {
  for (const f of ['jenkins-ecs.yaml', 'examples/minimal.yaml', 'examples/production.yaml', 'examples/existing-vpc.yaml']) {
    assert.ok(CONFIGS.includes(f), `${f} missing`);
  }
});

const allTemplates: string[] = [];

for (const file of CONFIGS) {
  test(`${file}: validates, synthesizes offline with no pending lookups and zero unacknowledged cdk-nag findings`, () => {
    // cdk-nag runs inside synth and throws on any unacknowledged finding.
    const { assembly, stacks } = synthExample(file);
    assert.deepEqual(assembly.manifest.missing ?? [], []);
    const templates = stacks.map((st) => st.templateFile);
    assert.ok(templates.length >= 1);
    for (const t of templates) assert.ok(existsSync(t), t);
    allTemplates.push(...templates);
  });
}

// One cfn-lint run for every template (it costs seconds to start).
// Ignored: W3010 "hardcoded availability zones" only. With a known account, CDK resolves the
// AZs at synth (cached lookup) and writes them into the subnets; that is how CDK pins subnets.
test('all example templates are cfn-lint clean', () => {
  assert.ok(allTemplates.length >= CONFIGS.length, 'some example did not synthesize');
  const run = spawnSync(findCfnLint(), ['--ignore-checks', 'W3010', '--', ...allTemplates], { encoding: 'utf8' });
  assert.equal(run.status, 0, `cfn-lint found problems:\n${run.stdout}${run.stderr}`);
});
