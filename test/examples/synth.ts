/**
 * Synthesizes a config file through the app builder the way `cdk synth` would, offline: lookups
 * (the imported VPC of `vpc.id`, the AZs of a new VPC) are served from app context, the way
 * `cdk.context.json` caches them, so no AWS call is made. Shared by test/examples and test/iam.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { buildApp } from '../../src/app.js';
import { loadConfigFile } from '../../src/config/index.js';
import type { JenkinsEcsConfig } from '../../src/config/types.js';

export const ROOT = join(__dirname, '../..');
export const ACCOUNT = '123456789012';

/** The repo-root config and every documented example. */
export const CONFIGS = [
  'jenkins-ecs.yaml',
  ...readdirSync(join(ROOT, 'examples'))
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort()
    .map((f) => `examples/${f}`),
];

/** A cached VPC lookup (the shape the cdk CLI stores in cdk.context.json): 2 AZs, public + private. */
export function vpcLookupContext(vpcId: string, region: string): Record<string, unknown> {
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

export interface SynthesizedStack {
  readonly stackName: string;
  readonly templateFile: string;
  readonly template: Record<string, unknown>;
}

export interface SynthesizedExample {
  readonly file: string;
  readonly config: JenkinsEcsConfig;
  readonly region: string;
  readonly assembly: CloudAssembly;
  readonly stacks: readonly SynthesizedStack[];
}

/** Loads and synthesizes one config (`file` relative to the repo root); throws if it is rejected. */
export function synthExample(file: string, options: { nag?: boolean; builtinValidation?: boolean } = {}): SynthesizedExample {
  const outdir = mkdtempSync(join(tmpdir(), 'jenkins-ecs-example-'));
  const result = loadConfigFile(join(ROOT, file));
  if (!result.ok) throw new Error(`${file} rejected: ${JSON.stringify(result.errors)}`);
  const config = result.config;
  const region = config.region ?? 'us-east-1';
  const context = {
    // A new VPC in a stack with a known account looks up the region's AZs.
    [`availability-zones:account=${ACCOUNT}:region=${region}`]: [`${region}a`, `${region}b`, `${region}c`],
    ...(config.vpc ? vpcLookupContext(config.vpc.id, region) : {}),
  };
  // aws-cdk-lib's built-in CloudFormation validation also needs CDK_VALIDATION unset (the test
  // runner sets it to "false"; see scripts/run-tests.mjs).
  const app = new App({ outdir, context, ...(options.builtinValidation !== undefined ? { builtinCloudFormationValidation: options.builtinValidation } : {}) });
  buildApp(config, { app, env: { account: ACCOUNT, region }, nag: options.nag ?? true });
  // cdk-nag (when on) runs inside synth and throws on any unacknowledged finding.
  const assembly = app.synth();
  const stacks = assembly.stacksRecursively.map((st) => {
    const templateFile = join(outdir, st.templateFile);
    return { stackName: st.stackName, templateFile, template: JSON.parse(readFileSync(templateFile, 'utf8')) as Record<string, unknown> };
  });
  return { file, config, region, assembly, stacks };
}
