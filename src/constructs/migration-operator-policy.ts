/**
 * The managed policy `jenkins-ecs migrate --from-efs` needs on top of the operator policy: the
 * reads before the copy (the EFS file system, its mount targets and their security groups, the
 * service subnets, the BurstCreditBalance metric, the migration task definition), RunTask of the
 * migration task (passing its two roles and the volume's infrastructure role), and its log stream
 * for the progress bar. Only a deployment with `migration` in the config has it; the stack output
 * `MigrationOperatorPolicyArn` names it. (`--from-snapshot` needs only the operator policy.)
 */
import { CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { DeploymentNames } from '../config/names.js';
import type { MigrationConfig } from '../config/types.js';
import { TAGS } from '../continuity/model.js';
import { clusterTaskArns, nagText, passInfrastructureRoleStatement } from './continuity-iam.js';

export interface MigrationOperatorPolicyProps {
  readonly names: DeploymentNames;
  readonly cluster: ecs.ICluster;
  readonly source: MigrationConfig;
  /** The migration task definition: its family, task role and execution role. */
  readonly taskDefinition: ecs.TaskDefinition;
  /** The volume's infrastructure role, which RunTask passes in the volume configuration. */
  readonly infrastructureRole: iam.IRole;
  /** The task's log group (the progress bar reads its stream). */
  readonly logGroup: logs.ILogGroup;
}

export class MigrationOperatorPolicy extends Construct {
  public readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: MigrationOperatorPolicyProps) {
    super(scope, id);
    const { names, source } = props;
    const stack = Stack.of(this);
    const efs = (resource: string, name: string): string => stack.formatArn({ service: 'elasticfilesystem', resource, resourceName: name });
    const fileSystem = efs('file-system', source.efsFileSystemId);
    const accessPoint = source.efsAccessPointId ? efs('access-point', source.efsAccessPointId) : undefined;
    const family = stack.formatArn({ service: 'ecs', resource: 'task-definition', resourceName: `${names.migrationTask}:*` });
    const executionRole = props.taskDefinition.obtainExecutionRole();
    const onCluster = { ArnEquals: { 'ecs:cluster': props.cluster.clusterArn } };
    const lineageTag = {
      StringEquals: { [`aws:RequestTag/${TAGS.lineage}`]: names.lineage },
      'ForAllValues:StringEquals': { 'aws:TagKeys': [TAGS.lineage] },
    };

    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `jenkins-ecs ${names.lineage}: what jenkins-ecs migrate --from-efs needs on top of the operator policy`,
      statements: [
        // Preflight: the file system's size and throughput mode, the access point's owner, the
        // mount targets and their security groups (that call also needs the ENI attribute read).
        new iam.PolicyStatement({
          sid: 'MigrateDescribeSource',
          actions: ['elasticfilesystem:DescribeFileSystems', 'elasticfilesystem:DescribeMountTargets', 'elasticfilesystem:DescribeMountTargetSecurityGroups'],
          resources: [fileSystem],
        }),
        new iam.PolicyStatement({ sid: 'MigrateDescribeAccessPoint', actions: ['elasticfilesystem:DescribeAccessPoints'], resources: [accessPoint ?? fileSystem] }),
        // No resource-level permissions for any of these (Service Authorization Reference).
        new iam.PolicyStatement({
          sid: 'MigrateDescribeNetworkAndMetrics',
          actions: ['ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups', 'ec2:DescribeNetworkInterfaceAttribute', 'cloudwatch:GetMetricStatistics', 'ecs:DescribeTaskDefinition'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({ sid: 'MigrateRunTask', actions: ['ecs:RunTask'], resources: [family], conditions: onCluster }),
        // RunTask's tags (the lineage tag only) are tagged on create; no other tag write.
        new iam.PolicyStatement({
          sid: 'MigrateTagTaskOnRun',
          actions: ['ecs:TagResource'],
          resources: [clusterTaskArns(stack, props.cluster)],
          conditions: { ...lineageTag, StringEquals: { ...lineageTag.StringEquals, 'ecs:CreateAction': 'RunTask' } },
        }),
        new iam.PolicyStatement({
          sid: 'MigratePassTaskRoles',
          actions: ['iam:PassRole'],
          resources: [props.taskDefinition.taskRole.roleArn, executionRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
        }),
        passInfrastructureRoleStatement('MigratePassInfrastructureRole', props.infrastructureRole),
        new iam.PolicyStatement({ sid: 'MigrateReadTaskLog', actions: ['logs:GetLogEvents'], resources: [props.logGroup.logGroupArn] }),
      ],
    });
    const ack = (finding: string, reason: string): void => Validations.of(this.policy).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
    ack('Resource::*', 'ec2:DescribeSubnets, ec2:DescribeSecurityGroups, ec2:DescribeNetworkInterfaceAttribute, cloudwatch:GetMetricStatistics and ecs:DescribeTaskDefinition support no resource-level permissions.');
    ack(`Resource::${nagText(stack, family)}`, 'Every revision of the migration task family; RunTask is also limited to the deployment cluster.');
    ack(`Resource::${nagText(stack, clusterTaskArns(stack, props.cluster))}`, 'The new task has no id yet; tagging only on RunTask, with the lineage tag only.');
    ack(`Resource::${nagText(stack, props.logGroup.logGroupArn)}`, 'The streams of the migration log group only; each run writes a new stream.');

    new CfnOutput(stack, 'MigrationOperatorPolicyArn', {
      value: this.policy.managedPolicyArn,
      description: 'Managed policy to attach, next to OperatorPolicyArn, to whoever runs jenkins-ecs migrate --from-efs',
    });
  }
}
