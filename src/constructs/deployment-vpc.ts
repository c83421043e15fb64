/**
 * The deployment's network: the VPC named by `vpc.id` (looked up), or a new one with public and
 * private subnets, one NAT gateway, flow logs of rejected traffic and an S3 gateway endpoint.
 */
import { RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { JenkinsEcsConfig } from '../config/types.js';
import { JenkinsEcsConstructError } from './errors.js';

/** Construct id of the S3 gateway endpoint under the new VPC. */
export const S3_ENDPOINT_ID = 'S3Endpoint';

/** The VPC of `config.vpc.id`, else a new one; its constructs are created in `scope` (ids `Vpc`, `FlowLogGroup`). */
export function createOrImportVpc(scope: Construct, config: JenkinsEcsConfig, retention: logs.RetentionDays): ec2.IVpc {
  if (config.vpc) {
    const stack = Stack.of(scope);
    // Lookups need a concrete account and region; without them CDK would synthesize dummies.
    if (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)) {
      throw new JenkinsEcsConstructError(
        `vpc.id: importing "${config.vpc.id}" needs the AWS account and region at synth time, for the VPC lookup; ` +
          'run `npx cdk synth` once with credentials (it caches the lookup in cdk.context.json; commit that file), ' +
          'or give the stack an env with the account the lookup was cached for',
      );
    }
    // An imported VPC is left as it is: the README recommends an S3 gateway endpoint in it.
    return ec2.Vpc.fromLookup(scope, 'Vpc', { vpcId: config.vpc.id });
  }
  const zones = config.newVpc?.availabilityZones;
  const vpc = new ec2.Vpc(scope, 'Vpc', {
    // The configured zones (vpc.availabilityZones), else the first two of the region. With an
    // account and region, CDK checks the names against the region's zones (cached lookup).
    ...(zones ? { availabilityZones: [...zones] } : { maxAzs: 2 }),
    natGateways: 1,
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
      { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
    ],
  });
  const flowLogGroup = new logs.LogGroup(scope, 'FlowLogGroup', {
    retention,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  vpc.addFlowLog('FlowLog', {
    destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
    trafficType: ec2.FlowLogTrafficType.REJECT,
  });
  // S3 of this region without the NAT gateway: the handover's delta (uploaded by the stopping
  // keeper, downloaded by the next task: on the downtime path), ECR image layers, the agents' S3
  // traffic. A gateway endpoint costs nothing; the NAT gateway charges per GB processed. On the
  // private subnets' route tables only: nothing in the public subnets (load balancer, NAT
  // gateway) calls S3 itself.
  // The endpoint policy stays the default (full access), on purpose: the route to the region's
  // S3 prefix list takes every S3 request from these subnets, so an endpoint policy would cap all
  // of them: ECR layer pulls (AWS-owned starport-layer buckets), the agents' builds (any bucket a
  // job uses), plugins, the migration task. Access to the handoff bucket is limited where it
  // belongs, by the keeper's statements and the bucket policy (TLS only, no public access).
  vpc.addGatewayEndpoint(S3_ENDPOINT_ID, {
    service: ec2.GatewayVpcEndpointAwsService.S3,
    subnets: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }],
  });
  return vpc;
}
