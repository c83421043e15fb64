import { ArnFormat, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

/** All snapshots of this region: snapshot ARNs carry no account. */
export function snapshotArns(stack: Stack): string {
  return stack.formatArn({ service: 'ec2', resource: 'snapshot', resourceName: '*', account: '', arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
}

/** ec2:DescribeSnapshots and ec2:DescribeVolumes, which support no resource-level permissions. */
export function describeEbsStatement(sid: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid,
    actions: ['ec2:DescribeSnapshots', 'ec2:DescribeVolumes'],
    resources: ['*'],
  });
}

/**
 * An EC2 ARN as cdk-nag spells it in a finding id: pseudo parameters as `<AWS::Region>` etc.,
 * concrete values when the stack has an explicit environment.
 */
export function nagArn(stack: Stack, resource: string, withAccount: boolean): string {
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = withAccount ? (Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account) : '';
  const partition = Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition;
  return `arn:${partition}:ec2:${region}:${account}:${resource}`;
}

/** cdk-nag AwsSolutions-IAM5 acknowledgements for a role's wildcards, on the role's policy. */
export function acknowledgeWildcards(role: iam.IRole, findings: readonly (readonly [string, string])[]): void {
  for (const [finding, reason] of findings) {
    Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
  }
}
