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
import { clusterTaskArns, nagText, OPERATOR_SNAPSHOT_KINDS, recordStatement, snapshotArns, snapshotTagConditions, volumeArns } from './continuity-iam.js';

export interface OperatorPolicyProps {
  readonly names: DeploymentNames;
  readonly cluster: ecs.ICluster;
  /** The controller service the CLI reads and restore rolls. */
  readonly service: ecs.IBaseService;
  /** The ECS infrastructure role of the home volume: restore passes it on UpdateService. */
  readonly infrastructureRole: iam.IRole;
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
    const snapshots = snapshotArns(stack);

    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `jenkins-ecs ${names.lineage}: what the jenkins-ecs CLI needs (status, snapshots, snapshot, restore, restart)`,
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
        new iam.PolicyStatement({ sid: 'OperatorRollService', actions: ['ecs:UpdateService'], resources: [props.service.serviceArn] }),
        new iam.PolicyStatement({
          sid: 'OperatorPassInfrastructureRole',
          actions: ['iam:PassRole'],
          resources: [props.infrastructureRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'ecs.amazonaws.com' } },
        }),
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
      ],
    });
    const ack = (finding: string, reason: string): void => Validations.of(this.policy).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    ack('Resource::*', 'ec2:DescribeSnapshots and ec2:DescribeVolumes support no resource-level permissions; ecs:ListTasks (Fargate: no container instance) is limited by the ecs:cluster condition.');
    ack(`Resource::${nagText(stack, clusterTaskArns(stack, props.cluster))}`, 'Controller task ids change with every start; any task of the deployment cluster, also conditioned on ecs:cluster.');
    ack(`Resource::${nagText(stack, volumeArns(stack))}`, 'Home volumes get new ids with every task; the statement is limited to volumes tagged with this lineage.');
    ack(`Resource::${nagText(stack, snapshots)}`, 'New snapshots have no id yet; creation requires the lineage tag, kind=manual and only protocol tag keys; tags only on create.');
  }
}
