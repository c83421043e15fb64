// Every example config (and the repo-root jenkins-ecs.yaml) must synthesize offline with zero
// unacknowledged cdk-nag findings, and the written templates must be cfn-lint clean.
// Lookups (the imported VPC of `vpc.id`, the AZs of a new VPC) are served from app context, the
// way `cdk.context.json` caches them, so no AWS call is made. One cfn-lint rule is ignored globally
// (W3010, see the last test); the one resource-level ignore (W3005 on the controller service)
// lives in the template metadata, with its reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp } from '../../src/app.js';
import { loadConfigFile } from '../../src/config/index.js';

const ROOT = join(__dirname, '../..');
const ACCOUNT = '123456789012';
const CONFIGS = [
  'jenkins-ecs.yaml',
  ...readdirSync(join(ROOT, 'examples'))
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort()
    .map((f) => `examples/${f}`),
];

/** A cached VPC lookup (the shape the cdk CLI stores in cdk.context.json): 2 AZs, public + private. */
function vpcLookupContext(vpcId: string, region: string): Record<string, unknown> {
  const key = `vpc-provider:account=${ACCOUNT}:filter.vpc-id=${vpcId}:region=${region}:returnAsymmetricSubnets=true`;
  const subnet = (id: string, az: string, cidr: string) => ({
    subnetId: id,
    cidr,
    availabilityZone: `${region}${az}`,
    routeTableId: `rtb-${id.slice(7)}`,
  });
  return {
    [key]: {
      vpcId,
      vpcCidrBlock: '10.20.0.0/16',
      ownerAccountId: ACCOUNT,
      availabilityZones: [],
      subnetGroups: [
        {
          name: 'Public',
          type: 'Public',
          subnets: [subnet('subnet-0aaaaaaaaaaaaaaa1', 'a', '10.20.0.0/24'), subnet('subnet-0aaaaaaaaaaaaaaa2', 'b', '10.20.1.0/24')],
        },
        {
          name: 'Private',
          type: 'Private',
          subnets: [subnet('subnet-0bbbbbbbbbbbbbbb1', 'a', '10.20.16.0/20'), subnet('subnet-0bbbbbbbbbbbbbbb2', 'b', '10.20.32.0/20')],
        },
      ],
    },
  };
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

const allTemplates: string[] = [];

for (const file of CONFIGS) {
  test(`${file}: validates, synthesizes offline with no pending lookups and zero unacknowledged cdk-nag findings`, () => {
    const outdir = mkdtempSync(join(tmpdir(), 'jenkins-ecs-example-'));
    const result = loadConfigFile(join(ROOT, file));
    if (!result.ok) assert.fail(`${file} rejected: ${JSON.stringify(result.errors)}`);
    const config = result.config;
    const region = config.region ?? 'us-east-1';
    const context = {
      // A new VPC in a stack with a known account looks up the region's AZs.
      [`availability-zones:account=${ACCOUNT}:region=${region}`]: [`${region}a`, `${region}b`, `${region}c`],
      ...(config.vpc ? vpcLookupContext(config.vpc.id, region) : {}),
    };
    const app = new App({ outdir, context });
    buildApp(config, { app, env: { account: ACCOUNT, region } });
    // cdk-nag runs inside synth and throws on any unacknowledged finding.
    const assembly = app.synth();
    assert.deepEqual(assembly.manifest.missing ?? [], []);
    const templates = assembly.stacksRecursively.map((st) => join(outdir, st.templateFile));
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
