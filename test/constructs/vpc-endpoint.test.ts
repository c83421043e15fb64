// The S3 gateway endpoint (src/constructs/deployment-vpc.ts): a VPC the stack creates gets one on
// the route tables of the subnets the controller (and so the keeper, which moves the handover's
// delta) and the agents run in, so their S3 traffic bypasses the NAT gateway; a VPC imported by
// `vpc.id` gets nothing. cfn-lint (schema of AWS::EC2::VPCEndpoint) and cdk-nag run on every
// example in test/examples.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/index.js';
import { AGENT_ENV } from '../../src/config/agents-casc.js';

const ENV = { account: '123456789012', region: 'eu-west-1' };
const VPC_ID = 'vpc-0123456789abcdef0';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Ref = { Ref: string };

function synth(input: unknown, context: Record<string, unknown> = {}): Template {
  const parsed = parseConfig(input);
  if (!parsed.ok) assert.fail(JSON.stringify(parsed.errors));
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'jenkins-ecs-vpce-')), context });
  return Template.fromStack(buildApp(parsed.config, { app, env: ENV, nag: false }).stack);
}

const refs = (v: unknown): string[] => (v as Ref[]).map((r) => r.Ref);

/** The route table of each subnet, from the template's SubnetRouteTableAssociations. */
function routeTableOfSubnet(t: Template): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of Object.values(t.findResources('AWS::EC2::SubnetRouteTableAssociation')) as Resource[]) {
    out.set((r.Properties.SubnetId as Ref).Ref, (r.Properties.RouteTableId as Ref).Ref);
  }
  return out;
}

/** The subnets the agents are launched in: the controller's agent env var (a comma join of subnet refs). */
function agentSubnets(t: Template): string[] {
  for (const td of Object.values(t.findResources('AWS::ECS::TaskDefinition')) as Resource[]) {
    for (const c of td.Properties.ContainerDefinitions as Array<{ Name: string; Environment?: Array<{ Name: string; Value: unknown }> }>) {
      const v = c.Environment?.find((e) => e.Name === AGENT_ENV.subnets)?.Value;
      if (v === undefined) continue;
      // CDK flattens the comma join of the subnet ids into one join of refs and separators.
      const [, parts] = (v as { 'Fn::Join': [string, Array<Ref | string>] })['Fn::Join'];
      return parts.filter((p): p is Ref => typeof p === 'object').map((p) => p.Ref);
    }
  }
  return assert.fail(`no container has ${AGENT_ENV.subnets}`);
}

describe('new VPC: S3 gateway endpoint', () => {
  const t = synth({ name: 'ci', agents: [{ label: 'linux' }] });
  const endpoints = Object.values(t.findResources('AWS::EC2::VPCEndpoint')) as Resource[];

  test('one gateway endpoint for S3 of the stack region (com.amazonaws.<region>.s3) in the new VPC', () => {
    assert.equal(endpoints.length, 1);
    const e = endpoints[0]!.Properties;
    assert.equal(e.VpcEndpointType, 'Gateway');
    // The service name AWS documents for the S3 gateway endpoint: com.amazonaws.<region>.s3.
    assert.deepEqual(e.ServiceName, { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.s3']] });
    const vpcs = Object.keys(t.findResources('AWS::EC2::VPC'));
    assert.deepEqual(e.VpcId, { Ref: vpcs[0] });
  });

  test("it is on the route table of every subnet the controller and the agents run in, and on no other", () => {
    const routeTables = routeTableOfSubnet(t);
    const service = Object.values(t.findResources('AWS::ECS::Service'))[0] as Resource;
    const controllerSubnets = refs((service.Properties.NetworkConfiguration as { AwsvpcConfiguration: { Subnets: unknown } }).AwsvpcConfiguration.Subnets);
    const used = new Set([...controllerSubnets, ...agentSubnets(t)].map((s) => routeTables.get(s) ?? assert.fail(`subnet ${s} has no route table`)));
    assert.ok(used.size >= 2, 'expected the private subnets of two zones');
    assert.deepEqual(new Set(refs(endpoints[0]!.Properties.RouteTableIds)), used);
    // The public subnets' tables (their default route goes to the internet gateway) are left out.
    const publicTables = (Object.values(t.findResources('AWS::EC2::Route')) as Resource[])
      .filter((r) => r.Properties.GatewayId !== undefined)
      .map((r) => (r.Properties.RouteTableId as Ref).Ref);
    assert.ok(publicTables.length >= 2);
    for (const rt of publicTables) assert.ok(!used.has(rt), `${rt} is a public route table`);
  });

  test('the endpoint policy is the default full access (a restrictive one would cap ECR layer pulls and the builds\' S3 use)', () => {
    assert.equal(endpoints[0]!.Properties.PolicyDocument, undefined);
  });
});

describe('imported VPC (vpc.id): nothing added', () => {
  test('no endpoint and no VPC resource: the README recommends an S3 gateway endpoint instead', () => {
    // The cached lookup (cdk.context.json) of this VPC: two private subnets.
    const lookup = {
      vpcId: VPC_ID,
      vpcCidrBlock: '10.1.0.0/16',
      availabilityZones: [],
      subnetGroups: [
        {
          name: 'private',
          type: 'Private',
          subnets: [
            { subnetId: 'subnet-0aaaaaaaaaaaaaaa1', cidr: '10.1.0.0/20', availabilityZone: 'eu-west-1a', routeTableId: 'rtb-0aaaaaaaaaaaaaaa1' },
            { subnetId: 'subnet-0aaaaaaaaaaaaaaa2', cidr: '10.1.16.0/20', availabilityZone: 'eu-west-1b', routeTableId: 'rtb-0aaaaaaaaaaaaaaa2' },
          ],
        },
        {
          name: 'public',
          type: 'Public',
          subnets: [
            { subnetId: 'subnet-0bbbbbbbbbbbbbbb1', cidr: '10.1.128.0/24', availabilityZone: 'eu-west-1a', routeTableId: 'rtb-0bbbbbbbbbbbbbbb1' },
            { subnetId: 'subnet-0bbbbbbbbbbbbbbb2', cidr: '10.1.129.0/24', availabilityZone: 'eu-west-1b', routeTableId: 'rtb-0bbbbbbbbbbbbbbb2' },
          ],
        },
      ],
    };
    const key = `vpc-provider:account=${ENV.account}:filter.vpc-id=${VPC_ID}:region=${ENV.region}:returnAsymmetricSubnets=true`;
    const t = synth({ name: 'ci', vpc: { id: VPC_ID } }, { [key]: lookup });
    const service = Object.values(t.findResources('AWS::ECS::Service'))[0] as Resource;
    // The lookup was used (not CDK's dummy VPC): the controller runs in the imported private subnets.
    assert.deepEqual((service.Properties.NetworkConfiguration as { AwsvpcConfiguration: { Subnets: unknown } }).AwsvpcConfiguration.Subnets, ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2']);
    t.resourceCountIs('AWS::EC2::VPC', 0);
    t.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
  });
});
