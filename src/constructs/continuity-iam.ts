/**
 * IAM helpers the continuity constructs, the operator policy and the agents share: resource
 * scopes, the snapshot tag conditions, and how cdk-nag spells a scope in a finding id.
 */
import { ArnFormat, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { DeploymentNames } from '../config/names.js';
import { TAGS, type SnapshotKind } from '../continuity/model.js';

/** All snapshots of this region: snapshot ARNs carry no account. */
export function snapshotArns(stack: Stack): string {
  return stack.formatArn({ service: 'ec2', resource: 'snapshot', resourceName: '*', account: '', arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
}

/** ec2:DescribeSnapshots and ec2:DescribeVolumes, which support no resource-level permissions. */
/** PassRole of the home volume's ECS infrastructure role, to ECS only (UpdateService/RunTask with volumeConfigurations). */
export function passInfrastructureRoleStatement(sid: string, role: iam.IRole): iam.PolicyStatement {
  return new iam.PolicyStatement({ sid, actions: ['iam:PassRole'], resources: [role.roleArn], conditions: { StringEquals: { 'iam:PassedToService': 'ecs.amazonaws.com' } } });
}

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

/** Snapshot kinds the keeper creates itself; `manual` is the operator's, `seed` nobody's. */
export const KEEPER_SNAPSHOT_KINDS: readonly SnapshotKind[] = ['periodic', 'final'];

/** The kind the CLI's `snapshot` command creates. */
export const OPERATOR_SNAPSHOT_KINDS: readonly SnapshotKind[] = ['manual'];

/** The kind of the handover's pre-copy snapshot (src/continuity/handover.ts, `startPreCopy`). */
export const HANDOVER_SNAPSHOT_KINDS: readonly SnapshotKind[] = ['manual'];

/**
 * Tag keys a protocol snapshot may carry: what `snapshotTagList` in src/aws/ec2-adapter.ts sends
 * (lineage, kind, task, source). `promoted-at` is never set at birth (and goes with the record).
 */
export const SNAPSHOT_TAG_KEYS: readonly string[] = [TAGS.lineage, TAGS.kind, TAGS.task, TAGS.source];

export interface SnapshotTagConditions {
  readonly StringEquals: Record<string, string | string[]>;
  readonly 'ForAllValues:StringEquals': Record<string, string[]>;
}

/**
 * Conditions for creating a snapshot (and its CreateTags-on-create): tagged with this lineage and
 * one of `kinds` from birth, and no tag key outside SNAPSHOT_TAG_KEYS.
 */
export function snapshotTagConditions(lineage: string, kinds: readonly SnapshotKind[]): SnapshotTagConditions {
  return {
    StringEquals: { [`aws:RequestTag/${TAGS.lineage}`]: lineage, [`aws:RequestTag/${TAGS.kind}`]: [...kinds] },
    'ForAllValues:StringEquals': { 'aws:TagKeys': [...SNAPSHOT_TAG_KEYS] },
  };
}

/**
 * CreateSnapshot of this lineage's home volume, as AWS authorizes it: the volume (tagged with the
 * lineage by the service's volume TagSpecifications), the new snapshot (the lineage tag and one of
 * `kinds` from birth, no tag key outside SNAPSHOT_TAG_KEYS) and CreateTags on it, only as part of
 * CreateSnapshot (no retagging of history). Sids are `<prefix>SnapshotLineageVolume`,
 * `<prefix>SnapshotTaggedWithLineage`, `<prefix>TagSnapshotsOnCreate`.
 */
export function createSnapshotStatements(stack: Stack, lineage: string, prefix: string, kinds: readonly SnapshotKind[]): iam.PolicyStatement[] {
  const tags = snapshotTagConditions(lineage, kinds);
  const snapshots = snapshotArns(stack);
  return [
    new iam.PolicyStatement({
      sid: `${prefix}SnapshotLineageVolume`,
      actions: ['ec2:CreateSnapshot'],
      resources: [volumeArns(stack)],
      conditions: { StringEquals: { [`aws:ResourceTag/${TAGS.lineage}`]: lineage } },
    }),
    new iam.PolicyStatement({ sid: `${prefix}SnapshotTaggedWithLineage`, actions: ['ec2:CreateSnapshot'], resources: [snapshots], conditions: tags }),
    new iam.PolicyStatement({
      sid: `${prefix}TagSnapshotsOnCreate`,
      actions: ['ec2:CreateTags'],
      resources: [snapshots],
      conditions: { ...tags, StringEquals: { ...tags.StringEquals, 'ec2:CreateAction': 'CreateSnapshot' } },
    }),
  ];
}

/** All volumes of this account and region. */
export function volumeArns(stack: Stack): string {
  return stack.formatArn({ service: 'ec2', resource: 'volume', resourceName: '*' });
}

/** Every task of a cluster (long ARN format, the only one since 2021): task/<cluster name>/<id>. */
export function clusterTaskArns(stack: Stack, cluster: ecs.ICluster): string {
  return stack.formatArn({ service: 'ecs', resource: 'task', resourceName: `${cluster.clusterName}/*` });
}

/**
 * A string as cdk-nag prints it inside a finding id: tokens resolved, `Ref` as `<Id>` and
 * `Fn::GetAtt` as `<Id.Attr>`, so acknowledgements match whatever the stack's env is.
 */
export function nagText(stack: Stack, value: string): string {
  const render = (v: unknown): string => {
    if (typeof v === 'string') return v;
    if (typeof v !== 'object' || v === null) return String(v);
    const o = v as Record<string, unknown>;
    if (typeof o.Ref === 'string') return `<${o.Ref}>`;
    const getAtt = o['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${getAtt.join('.')}>`;
    const join = o['Fn::Join'];
    if (Array.isArray(join)) return (join[1] as unknown[]).map(render).join(String(join[0]));
    return JSON.stringify(v);
  };
  return render(stack.resolve(value));
}

/**
 * ARN of the controller service built from its fixed name, never from the service's Ref: the
 * continuity machinery must not depend on the service (see continuity-reconciler.ts).
 */
export function serviceArn(stack: Stack, cluster: ecs.ICluster, names: DeploymentNames): string {
  return stack.formatArn({ service: 'ecs', resource: 'service', resourceName: `${cluster.clusterName}/${names.service}` });
}

/** Every revision of the controller's task definition family (the family is the service name). */
export function controllerTaskDefinitionArns(stack: Stack, names: DeploymentNames): string {
  return stack.formatArn({ service: 'ecs', resource: 'task-definition', resourceName: `${names.service}:*` });
}

/**
 * `ecs:UpdateService` of the controller service, as far as the Service Authorization Reference
 * lets a policy narrow it. UpdateService has one resource type, `service`
 * (`service/<cluster>/<service>`, keys `aws:ResourceTag/*` and `ecs:cluster`), and action keys
 * (`ecs:task-definition`, `ecs:capacity-provider`, `ecs:subnet`, …). Granted: the service's ARN,
 * `ecs:cluster` = the deployment cluster, and, should a request name a task definition, only a
 * revision of the controller's family (`ArnLikeIfExists`: the handover, the reconciler and the CLI
 * send desiredCount and volumeConfigurations only, never a task definition, so the key may be
 * absent from their requests; a request that moves the service to another family is denied).
 * Left out: keys for settings the calls never send whose presence in a request that omits them
 * the reference does not say (capacity provider, subnets, public IP, execute command); a
 * condition on them could deny the calls themselves.
 */
export function updateControllerServiceStatement(sid: string, stack: Stack, cluster: ecs.ICluster, service: string, names: DeploymentNames): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid,
    actions: ['ecs:UpdateService'],
    resources: [service],
    conditions: {
      ArnEquals: { 'ecs:cluster': cluster.clusterArn },
      ArnLikeIfExists: { 'ecs:task-definition': controllerTaskDefinitionArns(stack, names) },
    },
  });
}

/** ARN of the lineage record table (docs/design/lineage-record.md), from its fixed name. */
export function recordTableArn(stack: Stack, names: DeploymentNames): string {
  return stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: names.recordTable });
}

/**
 * `actions` on the record table, limited to this lineage's item: `dynamodb:LeadingKeys` is the
 * partition key of every item the request touches, and the table's partition key is the lineage.
 */
export function recordStatement(stack: Stack, names: DeploymentNames, sid: string, actions: readonly string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid,
    actions: [...actions],
    resources: [recordTableArn(stack, names)],
    conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [names.lineage] } },
  });
}
