/** The operator: the jenkins-ecs CLI under the operator policy (and MigrationOperatorPolicy with `migration`). */
import { TAGS } from '../../../src/continuity/model.js';
import type { AuthRequest } from '../simulate.js';
import type { IamWorld, PrincipalName } from '../world.js';
import { noHandoffAccess } from './handoff.js';
import { OTHER, SOURCE, TASK_ID, clusterArnOf, createSnapshot, describeEbs, describeServices, noPointer, onTask, passInfrastructureRole, recordCalls, roleArn, rollService, snapshotArn, snapshotTags, tagContext, taskArn, updateServiceLimits, volumeArn, volumeTags, type SimCall } from './shared.js';

// ---- the operator (CLI under the operator policy) ---------------------------------------------

export function operator(w: IamWorld): SimCall[] {
  const p: PrincipalName = 'operator';
  return [
    describeServices(w, p),
    {
      principal: p,
      sdk: 'ecs:ListTasks',
      what: 'ListTasks of the controller service (status, snapshot)',
      expect: 'allow',
      requests: [{ action: 'ecs:ListTasks', resource: '*', context: { 'ecs:cluster': w.clusterArn } }],
    },
    {
      principal: p,
      what: 'ListTasks in another cluster',
      expect: 'deny',
      requests: [{ action: 'ecs:ListTasks', resource: '*', context: { 'ecs:cluster': clusterArnOf(w, 'other-cluster') } }],
    },
    {
      principal: p,
      sdk: 'ecs:DescribeTasks',
      what: 'DescribeTasks of the controller tasks',
      expect: 'allow',
      requests: [onTask(w, 'ecs:DescribeTasks')],
    },
    rollService(w, p, 'UpdateService: restore rolls the controller to the chosen snapshot (passes the infrastructure role)'),
    {
      principal: p,
      what: 'UpdateService desiredCount (restore stops and starts the controller)',
      expect: 'allow',
      requests: [{ action: 'ecs:UpdateService', resource: w.serviceArn, context: { 'ecs:cluster': w.clusterArn } }],
    },
    ...updateServiceLimits(w, p),
    { principal: p, what: "PassRole of the controller's own task role", expect: 'deny', requests: [passInfrastructureRole(w, w.controllerRoleArn)] },
    { principal: p, what: 'PassRole of another role to ECS', expect: 'deny', requests: [passInfrastructureRole(w, roleArn(w, 'Admin'))] },
    ...describeEbs(p, 'status, snapshots, restore'),
    ...recordCalls(w, p, 'status, snapshots, snapshot, restore, restart, migrate'),
    { principal: p, what: 'CreateSnapshot kind=manual of the holder volume', expect: 'allow', requests: createSnapshot(w, snapshotTags(w, 'manual')) },
    { principal: p, what: "CreateSnapshot of another lineage's volume", expect: 'deny', requests: createSnapshot(w, snapshotTags(w, 'manual'), OTHER) },
    { principal: p, what: 'CreateSnapshot forging kind=seed', expect: 'deny', requests: createSnapshot(w, snapshotTags(w, 'seed')) },
    { principal: p, what: 'CreateSnapshot with an extra tag key', expect: 'deny', requests: createSnapshot(w, snapshotTags(w, 'manual', { extra: 'x' })) },
    {
      principal: p,
      what: 'CreateTags promoted-at on a lineage snapshot (v0.1 restore; the record orders the lineage now, nothing grants it)',
      expect: 'deny',
      requests: [{ action: 'ec2:CreateTags', resource: snapshotArn(w), context: { ...tagContext({ [TAGS.promotedAt]: '2026-12-01T00:00:00.000Z' }), [`aws:ResourceTag/${TAGS.lineage}`]: w.names.lineage } }],
    },
    {
      principal: p,
      what: 'CreateTags holder on a lineage volume',
      expect: 'deny',
      requests: [{ action: 'ec2:CreateTags', resource: volumeArn(w), context: { ...volumeTags(w.names.lineage, w.names.service), ...tagContext({ [TAGS.holder]: w.names.lineage }) } }],
    },
    {
      principal: p,
      what: 'CreateTags kind on a lineage snapshot (retagging history)',
      expect: 'deny',
      requests: [{ action: 'ec2:CreateTags', resource: snapshotArn(w), context: { ...tagContext({ [TAGS.kind]: 'seed' }), [`aws:ResourceTag/${TAGS.lineage}`]: w.names.lineage } }],
    },
    ...noPointer(w, p),
    ...noHandoffAccess(w, p),
    ...copySeedCalls(w, p),
    ...migrateEfsCalls(w, p),
  ];
}

/**
 * `jenkins-ecs migrate --from-snapshot` (src/cli/migrate-flow.ts, MigrationAdapter.copySnapshot):
 * CopySnapshot of the user's snapshot into a seed of this lineage, under the operator policy on
 * every deployment. CopySnapshot authorizes the source and the new snapshot (resource-level
 * permissions on the source since the EBS change of 2024); aws:RequestTag and aws:TagKeys are
 * request-level keys, so both carry the request's tags. With a customer home key the copy is
 * encrypted into it: the caller's KMS calls go via EC2 (EBS user guide, encryption requirements).
 */
function copySeedCalls(w: IamWorld, p: PrincipalName): SimCall[] {
  const seedTags = { [TAGS.lineage]: w.names.lineage, [TAGS.kind]: 'seed', [TAGS.source]: SOURCE };
  const copy = (tags: Readonly<Record<string, string>>): AuthRequest[] => [
    { action: 'ec2:CopySnapshot', resource: snapshotArn(w, SOURCE), context: tagContext(tags) },
    { action: 'ec2:CopySnapshot', resource: snapshotArn(w), context: tagContext(tags) },
    { action: 'ec2:CreateTags', resource: snapshotArn(w), context: { ...tagContext(tags), 'ec2:CreateAction': 'CopySnapshot' } },
  ];
  const key = w.kmsKeyArn;
  const viaEc2 = { 'kms:ViaService': `ec2.${w.env.region}.amazonaws.com`, 'kms:CallerAccount': w.env.account };
  return [
    { principal: p, sdk: 'ec2:CopySnapshot', what: 'CopySnapshot of the user snapshot into a seed (migrate --from-snapshot)', expect: 'allow', requests: copy(seedTags) },
    { principal: p, what: 'CopySnapshot into a kind=periodic snapshot', expect: 'deny', requests: copy({ ...seedTags, [TAGS.kind]: 'periodic' }) },
    { principal: p, what: 'CopySnapshot tagged with another lineage', expect: 'deny', requests: copy({ ...seedTags, [TAGS.lineage]: OTHER }) },
    { principal: p, what: 'CopySnapshot with an extra tag key (promoted-at)', expect: 'deny', requests: copy({ ...seedTags, [TAGS.promotedAt]: '2099-01-01T00:00:00Z' }) },
    ...(key
      ? ([
          {
            principal: p,
            what: 'the copy into the home key: DescribeKey, CreateGrant (for EC2), GenerateDataKeyWithoutPlaintext, Decrypt, ReEncrypt via EC2',
            expect: 'allow',
            requests: [
              { action: 'kms:DescribeKey', resource: key, context: viaEc2 },
              { action: 'kms:CreateGrant', resource: key, context: { ...viaEc2, 'kms:GrantIsForAWSResource': 'true' } },
              { action: 'kms:GenerateDataKeyWithoutPlaintext', resource: key, context: viaEc2 },
              { action: 'kms:Decrypt', resource: key, context: viaEc2 },
              { action: 'kms:ReEncryptFrom', resource: key, context: viaEc2 },
              { action: 'kms:ReEncryptTo', resource: key, context: viaEc2 },
            ],
          },
          { principal: p, what: 'Decrypt with the home key directly, not via EC2', expect: 'deny', requests: [{ action: 'kms:Decrypt', resource: key, context: { 'kms:CallerAccount': w.env.account } }] },
          { principal: p, what: 'CreateGrant on the home key not for an AWS resource', expect: 'deny', requests: [{ action: 'kms:CreateGrant', resource: key, context: { ...viaEc2, 'kms:GrantIsForAWSResource': 'false' } }] },
        ] satisfies SimCall[])
      : []),
  ];
}

/**
 * `jenkins-ecs migrate --from-efs` (src/cli/commands/migrate.ts, src/aws/migration-adapter.ts),
 * under the operator policy plus MigrationOperatorPolicy (only with `migration` in the config): the
 * reads before the copy, RunTask of the migration task (passing its two roles and the volume's
 * infrastructure role), and the task's log stream.
 */
function migrateEfsCalls(w: IamWorld, p: PrincipalName): SimCall[] {
  const source = w.config.migration;
  const task = w.migrationTask;
  if (!source || !task) return [];
  const fileSystem = w.arn('elasticfilesystem', `file-system/${source.efsFileSystemId}`);
  const accessPoint = source.efsAccessPointId ? w.arn('elasticfilesystem', `access-point/${source.efsAccessPointId}`) : fileSystem;
  const allow = (sdk: string, what: string, requests: AuthRequest[]): SimCall => ({ principal: p, sdk, what: `${what} (migrate)`, expect: 'allow', requests });
  const taskDef = w.arn('ecs', `task-definition/${w.names.migrationTask}:3`);
  const runTask = (cluster: string, taskDefinition = taskDef, tags: Readonly<Record<string, string>> = { [TAGS.lineage]: w.names.lineage }): AuthRequest[] => [
    { action: 'ecs:RunTask', resource: taskDefinition, context: { 'ecs:cluster': clusterArnOf(w, cluster), ...tagContext(tags) } },
    { action: 'ecs:TagResource', resource: taskArn(w, cluster), context: { 'ecs:CreateAction': 'RunTask', ...tagContext(tags) } },
  ];
  const passRoles = [task.taskRoleArn, task.executionRoleArn].map((r) => passInfrastructureRole(w, r, 'ecs-tasks.amazonaws.com'));
  return [
    allow('efs:DescribeFileSystems', 'DescribeFileSystems of the source', [{ action: 'elasticfilesystem:DescribeFileSystems', resource: fileSystem }]),
    allow('efs:DescribeAccessPoints', 'DescribeAccessPoints of --access-point', [{ action: 'elasticfilesystem:DescribeAccessPoints', resource: accessPoint }]),
    allow('efs:DescribeMountTargets', 'DescribeMountTargets of the source', [{ action: 'elasticfilesystem:DescribeMountTargets', resource: fileSystem }]),
    allow('efs:DescribeMountTargetSecurityGroups', 'DescribeMountTargetSecurityGroups of its mount targets', [
      { action: 'elasticfilesystem:DescribeMountTargetSecurityGroups', resource: fileSystem },
      { action: 'ec2:DescribeNetworkInterfaceAttribute', resource: '*' },
    ]),
    { principal: p, what: 'DescribeFileSystems of another file system', expect: 'deny', requests: [{ action: 'elasticfilesystem:DescribeFileSystems', resource: w.arn('elasticfilesystem', 'file-system/fs-0ffffffffffffffff') }] },
    allow('ec2:DescribeSubnets', 'DescribeSubnets of the service subnets', [{ action: 'ec2:DescribeSubnets', resource: '*' }]),
    allow('ec2:DescribeSecurityGroups', 'DescribeSecurityGroups of the mount targets', [{ action: 'ec2:DescribeSecurityGroups', resource: '*' }]),
    allow('cloudwatch:GetMetricStatistics', 'GetMetricStatistics BurstCreditBalance of the source', [{ action: 'cloudwatch:GetMetricStatistics', resource: '*' }]),
    allow('ecs:DescribeTaskDefinition', 'DescribeTaskDefinition of the migration family', [{ action: 'ecs:DescribeTaskDefinition', resource: '*' }]),
    allow('ecs:RunTask', 'RunTask of the migration task with its lineage tag, its roles and the volume role', [...runTask(w.names.cluster), ...passRoles, passInfrastructureRole(w)]),
    { principal: p, what: 'RunTask of the migration task in another cluster', expect: 'deny', requests: runTask('other-cluster') },
    { principal: p, what: 'RunTask of another task definition family', expect: 'deny', requests: runTask(w.names.cluster, w.arn('ecs', 'task-definition/anything:1')) },
    { principal: p, what: 'RunTask tagging the task with another tag key', expect: 'deny', requests: runTask(w.names.cluster, taskDef, { [TAGS.lineage]: w.names.lineage, extra: 'x' }) },
    { principal: p, what: "PassRole of the controller's task role to a task", expect: 'deny', requests: [passInfrastructureRole(w, w.controllerRoleArn, 'ecs-tasks.amazonaws.com')] },
    { principal: p, what: 'PassRole of the migration task role to another service', expect: 'deny', requests: [passInfrastructureRole(w, task.taskRoleArn, 'ec2.amazonaws.com')] },
    allow('logs:GetLogEvents', 'GetLogEvents of the migration task stream', [{ action: 'logs:GetLogEvents', resource: w.arn('logs', `log-group:${task.logGroup}:log-stream:migrate/migrate/${TASK_ID}`) }]),
    { principal: p, what: "GetLogEvents of the controller's log group", expect: 'deny', requests: [{ action: 'logs:GetLogEvents', resource: w.arn('logs', `log-group:/aws/ecs/other:log-stream:jenkins/jenkins/${TASK_ID}`) }] },
  ];
}
