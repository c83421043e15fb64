/**
 * The managed policy an operator (a person, or a CI job) needs to run the `jenkins-ecs` CLI
 * against one deployment: status, snapshots, snapshot, restore and restart. Attach it to the operator's
 * role or group; the stack output `OperatorPolicyArn` names it.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { DeploymentNames } from '../config/names.js';
import { TAGS } from '../continuity/model.js';
import { clusterTaskArns, nagText, OPERATOR_SNAPSHOT_KINDS, passInfrastructureRoleStatement, recordStatement, snapshotArns, snapshotTagConditions, updateControllerServiceStatement, volumeArns } from './continuity-iam.js';

export interface OperatorPolicyProps {
  readonly names: DeploymentNames;
  readonly cluster: ecs.ICluster;
  /** The controller service the CLI reads and restore rolls. */
  readonly service: ecs.IBaseService;
  /** The ECS infrastructure role of the home volume: restore passes it on UpdateService. */
  readonly infrastructureRole: iam.IRole;
  /** `controller.home.kmsKeyArn`: `migrate --from-snapshot` copies the seed into this key. */
  readonly homeKeyArn?: string;
}

export class OperatorPolicy extends Construct {
  public readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: OperatorPolicyProps) {
    super(scope, id);
    const { names } = props;
    const stack = Stack.of(this);
    const onCluster = { ArnEquals: { 'ecs:cluster': props.cluster.clusterArn } };
    const lineageResource = { [`aws:ResourceTag/${TAGS.lineage}`]: names.lineage };
    const manualTags = snapshotTagConditions(names.lineage, OPERATOR_SNAPSHOT_KINDS);
    const seedTags = snapshotTagConditions(names.lineage, ['seed']);
    const snapshots = snapshotArns(stack);

    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `jenkins-ecs ${names.lineage}: what the jenkins-ecs CLI needs (status, snapshots, snapshot, restore, restart, migrate --from-snapshot)`,
      statements: [
        new iam.PolicyStatement({ sid: 'OperatorReadService', actions: ['ecs:DescribeServices'], resources: [props.service.serviceArn] }),
        // status and snapshot list the service's tasks; ListTasks names a container instance,
        // which Fargate tasks have none of: the ecs:cluster condition is the scope.
        new iam.PolicyStatement({ sid: 'OperatorListControllerTasks', actions: ['ecs:ListTasks'], resources: ['*'], conditions: onCluster }),
        new iam.PolicyStatement({
          sid: 'OperatorDescribeControllerTasks',
          actions: ['ecs:DescribeTasks'],
          resources: [clusterTaskArns(stack, props.cluster)],
          conditions: onCluster,
        }),
        // restore: stop the controller, roll it to the chosen snapshot, start it again.
        updateControllerServiceStatement('OperatorRollService', stack, props.cluster, props.service.serviceArn, names),
        passInfrastructureRoleStatement('OperatorPassInfrastructureRole', props.infrastructureRole),
        // Every command reads the lineage record (consistent GetItem); restore, snapshot, restart
        // and migrate write it (PutItem conditioned on the seq read). Only this lineage's item.
        recordStatement(stack, names, 'OperatorRecord', ['dynamodb:GetItem', 'dynamodb:PutItem']),
        new iam.PolicyStatement({ sid: 'OperatorDescribeEbs', actions: ['ec2:DescribeSnapshots', 'ec2:DescribeVolumes'], resources: ['*'] }),
        // snapshot: a manual snapshot of the holder volume, tagged like the keeper's but kind=manual.
        new iam.PolicyStatement({
          sid: 'OperatorSnapshotLineageVolume',
          actions: ['ec2:CreateSnapshot'],
          resources: [volumeArns(stack)],
          conditions: { StringEquals: lineageResource },
        }),
        new iam.PolicyStatement({ sid: 'OperatorSnapshotTagged', actions: ['ec2:CreateSnapshot'], resources: [snapshots], conditions: manualTags }),
        new iam.PolicyStatement({
          sid: 'OperatorTagSnapshotsOnCreate',
          actions: ['ec2:CreateTags'],
          resources: [snapshots],
          conditions: { ...manualTags, StringEquals: { ...manualTags.StringEquals, 'ec2:CreateAction': 'CreateSnapshot' } },
        }),
        // migrate --from-snapshot: CopySnapshot of the user's snapshot into a seed of this lineage.
        // CopySnapshot authorizes the source and the new snapshot; the request's tags are in the
        // context of both (aws:RequestTag is a request-level key), so one statement holds for both.
        new iam.PolicyStatement({ sid: 'OperatorCopySeed', actions: ['ec2:CopySnapshot'], resources: [snapshots], conditions: seedTags }),
        new iam.PolicyStatement({
          sid: 'OperatorTagSeedOnCopy',
          actions: ['ec2:CreateTags'],
          resources: [snapshots],
          conditions: { ...seedTags, StringEquals: { ...seedTags.StringEquals, 'ec2:CreateAction': 'CopySnapshot' } },
        }),
        ...(props.homeKeyArn ? seedKeyStatements(props.homeKeyArn, stack.region) : []),
      ],
    });
    const ack = (finding: string, reason: string): void => Validations.of(this.policy).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    ack('Resource::*', 'ec2:DescribeSnapshots and ec2:DescribeVolumes support no resource-level permissions; ecs:ListTasks (Fargate: no container instance) is limited by the ecs:cluster condition.');
    ack(`Resource::${nagText(stack, clusterTaskArns(stack, props.cluster))}`, 'Controller task ids change with every start; any task of the deployment cluster, also conditioned on ecs:cluster.');
    ack(`Resource::${nagText(stack, volumeArns(stack))}`, 'Home volumes get new ids with every task; the statement is limited to volumes tagged with this lineage.');
    ack(
      `Resource::${nagText(stack, snapshots)}`,
      "New snapshots have no id yet, and a copy's source is the user's snapshot; creation requires the lineage tag, kind=manual (snapshot) or kind=seed (copy) and only protocol tag keys; tags only on create.",
    );
  }
}

/**
 * The caller's side of CopySnapshot into the home key, as the EBS user guide ("Requirements for
 * Amazon EBS encryption", permissions for users) lists it: CreateGrant, Decrypt, DescribeKey,
 * GenerateDataKeyWithoutPlaintext and ReEncrypt, here only via EC2 and the grant only for an AWS
 * resource. The source snapshot's own key, if it is a customer key, is the user's to grant.
 */
function seedKeyStatements(keyArn: string, region: string): iam.PolicyStatement[] {
  const viaEc2 = { 'kms:ViaService': `ec2.${region}.amazonaws.com` };
  return [
    new iam.PolicyStatement({
      sid: 'OperatorSeedKeyUse',
      actions: ['kms:DescribeKey', 'kms:Decrypt', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
      resources: [keyArn],
      conditions: { StringEquals: viaEc2 },
    }),
    new iam.PolicyStatement({
      sid: 'OperatorSeedKeyGrant',
      actions: ['kms:CreateGrant'],
      resources: [keyArn],
      conditions: { StringEquals: viaEc2, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    }),
  ];
}
