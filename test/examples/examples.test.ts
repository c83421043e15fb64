// Every example config (and the repo-root jenkins-ecs.yaml) must synthesize offline with zero
// unacknowledged cdk-nag findings, with no finding of aws-cdk-lib's built-in CloudFormation
// validation, and the written templates must be cfn-lint clean.
// This file is where the built-in validation runs: `npm run synth` and the other tests skip it
// (bin/app.ts and scripts/run-tests.mjs say why), the cdk CLI (`cdk diff`, `cdk deploy`) runs it
// again on the deploying machine's config.
// Lookups (the imported VPC of `vpc.id`, the AZs of a new VPC) are served from app context, the
// way `cdk.context.json` caches them, so no AWS call is made. One cfn-lint rule is ignored globally
// (W3010, see the last test); the one resource-level ignore (W3005 on the controller service)
// lives in the template metadata, with its reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { CONFIGS, synthExample } from './synth.js';

// The runner turns the built-in validation off for every test process; this one turns it back on.
delete process.env.CDK_VALIDATION;

interface ValidationReport {
  readonly pluginReports: readonly { readonly pluginName: string; readonly violations: readonly { readonly ruleName: string; readonly description?: string }[] }[];
}

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

/** The built-in validation's findings in an assembly's validation-report.json, as "rule: description". */
function builtinFindings(dir: string): string[] {
  const report = JSON.parse(readFileSync(join(dir, 'validation-report.json'), 'utf8')) as ValidationReport;
  return report.pluginReports.filter((r) => r.pluginName === 'CloudFormation Validate').flatMap((r) => r.violations.map((v) => `${v.ruleName}: ${v.description ?? ''}`));
}

test('the built-in validation runs in this file: a template with an unknown property is reported', () => {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'jenkins-ecs-validation-')) });
  new CfnResource(new Stack(app, 'Bad'), 'Bucket', { type: 'AWS::S3::Bucket', properties: { NoSuchProperty: 1 } });
  app.synth();
  assert.match(builtinFindings(app.outdir).join('\n'), /NoSuchProperty/);
});

const allTemplates: string[] = [];

for (const file of CONFIGS) {
  test(`${file}: validates, synthesizes offline with no pending lookups, zero unacknowledged cdk-nag findings and no built-in validation finding`, () => {
    // cdk-nag runs inside synth and throws on any unacknowledged finding; the built-in
    // validation only reports (errors downgraded to warnings), into validation-report.json.
    const { assembly, stacks } = synthExample(file, { builtinValidation: true });
    assert.deepEqual(assembly.manifest.missing ?? [], []);
    // The report lists a plugin only when it found (or was told to suppress) something.
    assert.deepEqual(builtinFindings(assembly.directory), []);
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
