/**
 * THE TABLE: every AWS call each principal makes, as the authorization requests AWS evaluates for
 * it (resource ARNs the real call names, and the request context AWS supplies), plus negative
 * controls that must be denied. test/iam/simulation.test.ts runs every entry against the
 * synthesized policies of every example; test/iam/sdk-coverage.test.ts fails when an SDK command
 * used under src/ has no `allow` entry here.
 *
 * Extending it: add an entry to the principal's list with `sdk: '<service>:<Command>'` (the
 * command without the `Command` suffix) for every new `new XxxCommand(...)` under src/, and a
 * `deny` entry for the nearest thing the principal must not be able to do.
 */
import { TAGS } from '../../src/continuity/model.js';
import type { AuthRequest, Context } from './simulate.js';
import type { IamWorld, PrincipalName } from './world.js';

export interface SimCall {
  readonly principal: PrincipalName;
  /** `service:Command` of the SDK command this call is (`ec2:CreateSnapshot`); absent for calls AWS or the plugin make. */
  readonly sdk?: string;
  readonly what: string;
  /** `allow`: every request is allowed. `deny`: at least one is denied (the call fails). */
  readonly expect: 'allow' | 'deny';
  readonly requests: readonly AuthRequest[];
  /**
   * Why an `allow` call is not granted yet: src/ sends it, but no synthesized principal is wired
   * to it. Such an entry must simulate as denied; once the grant lands the test fails until this
   * field is removed, so the call is then proven like every other.
   */
  readonly pending?: string;
}

const OTHER = 'other-lineage';
const TASK_ID = '0123456789abcdef0123456789abcdef';
const VOLUME = 'vol-0123456789abcdef0';
const SNAPSHOT = 'snap-0123456789abcdef0';
const SOURCE = 'snap-0fedcba9876543210';

// ---- ARNs as the real calls name them --------------------------------------------------------

const volumeArn = (w: IamWorld, id = VOLUME): string => w.arn('ec2', `volume/${id}`);
/** Snapshot ARNs carry no account. */
const snapshotArn = (w: IamWorld, id = SNAPSHOT): string => w.arn('ec2', `snapshot/${id}`, { account: '' });
const taskArn = (w: IamWorld, cluster = w.names.cluster, id = TASK_ID): string => w.arn('ecs', `task/${cluster}/${id}`);
const parameterArn = (w: IamWorld): string => w.arn('ssm', `parameter/jenkins-ecs/${w.names.lineage}/pointer`);
const clusterArnOf = (w: IamWorld, cluster: string): string => w.arn('ecs', `cluster/${cluster}`);
/** A task-level ECS action (DescribeTasks, StopTask) on a task of `cluster`, as ECS authorizes it. */
const onTask = (w: IamWorld, action: string, cluster = w.names.cluster): AuthRequest => ({
  action,
  resource: taskArn(w, cluster),
  context: { 'ecs:cluster': clusterArnOf(w, cluster) },
});
/** A task-level call on a task of the deployment cluster, and its negative control in another cluster. */
const taskCallAndOtherCluster = (w: IamWorld, principal: PrincipalName, action: string, of: string, sdk?: string): SimCall[] => [
  { principal, ...(sdk ? { sdk } : {}), what: `${action} of ${of}`, expect: 'allow', requests: [onTask(w, action)] },
  { principal, what: `${action} in another cluster`, expect: 'deny', requests: [onTask(w, action, 'other-cluster')] },
];
const roleArn = (w: IamWorld, name: string): string => `arn:${w.env.partition}:iam::${w.env.account}:role/${name}`;

/** The tags a lineage home volume carries (service TagSpecifications + what ECS adds). */
function volumeTags(lineage: string, service: string): Context {
  return {
    [`aws:ResourceTag/${TAGS.lineage}`]: lineage,
    [`aws:ResourceTag/${TAGS.service}`]: service,
    'aws:ResourceTag/AmazonECSCreated': 'true',
    'aws:ResourceTag/AmazonECSManaged': 'true',
  };
}

function tagContext(tags: Readonly<Record<string, string>>): Context {
  const out: Record<string, string | string[]> = { 'aws:TagKeys': Object.keys(tags) };
  for (const [k, v] of Object.entries(tags)) out[`aws:RequestTag/${k}`] = v;
  return out;
}

/**
 * CreateSnapshot with TagSpecifications: AWS authorizes the volume, the new snapshot (with the
 * request tags), and CreateTags on the snapshot with ec2:CreateAction = CreateSnapshot.
 */
function createSnapshot(w: IamWorld, tags: Readonly<Record<string, string>>, volumeLineage = w.names.lineage): AuthRequest[] {
  const requested = tagContext(tags);
  return [
    { action: 'ec2:CreateSnapshot', resource: volumeArn(w), context: volumeTags(volumeLineage, w.names.service) },
    { action: 'ec2:CreateSnapshot', resource: snapshotArn(w), context: requested },
    { action: 'ec2:CreateTags', resource: snapshotArn(w), context: { ...requested, 'ec2:CreateAction': 'CreateSnapshot' } },
  ];
}

function snapshotTags(w: IamWorld, kind: string, extra: Record<string, string> = {}): Record<string, string> {
  return { [TAGS.lineage]: w.names.lineage, [TAGS.kind]: kind, [TAGS.task]: taskArn(w), [TAGS.source]: SOURCE, ...extra };
}

const describeEbs = (principal: PrincipalName, why: string): SimCall[] => [
  { principal, sdk: 'ec2:DescribeSnapshots', what: `DescribeSnapshots (${why})`, expect: 'allow', requests: [{ action: 'ec2:DescribeSnapshots', resource: '*' }] },
  { principal, sdk: 'ec2:DescribeVolumes', what: `DescribeVolumes (${why})`, expect: 'allow', requests: [{ action: 'ec2:DescribeVolumes', resource: '*' }] },
];

const describeServices = (w: IamWorld, principal: PrincipalName): SimCall => ({
  principal,
  sdk: 'ecs:DescribeServices',
  what: 'DescribeServices of the controller service',
  expect: 'allow',
  requests: [{ action: 'ecs:DescribeServices', resource: w.serviceArn, context: { 'ecs:cluster': w.clusterArn } }],
});

const passInfrastructureRole = (w: IamWorld, role = w.infrastructureRoleArn, to = 'ecs.amazonaws.com'): AuthRequest => ({
  action: 'iam:PassRole',
  resource: role,
  context: { 'iam:PassedToService': to },
});

/** UpdateService rolling the home to a snapshot: the volume configuration passes the infrastructure role. */
const rollService = (w: IamWorld, principal: PrincipalName, what: string): SimCall => ({
  principal,
  sdk: 'ecs:UpdateService',
  what,
  expect: 'allow',
  requests: [
    { action: 'ecs:UpdateService', resource: w.serviceArn, context: { 'ecs:cluster': w.clusterArn } },
    passInfrastructureRole(w),
  ],
});

/** v0.1's SSM pointer is gone: nobody may read or write it (a retained parameter stays untouched). */
const noPointer = (w: IamWorld, principal: PrincipalName): SimCall[] => [
  { principal, what: "GetParameter of v0.1's pointer (nothing reads it)", expect: 'deny', requests: [{ action: 'ssm:GetParameter', resource: parameterArn(w) }] },
  { principal, what: "PutParameter of v0.1's pointer (nothing writes it)", expect: 'deny', requests: [{ action: 'ssm:PutParameter', resource: parameterArn(w) }] },
];

/**
 * The lineage record: a consistent GetItem and a conditional PutItem of this lineage's item only
 * (dynamodb:LeadingKeys = the lineage id), on table jenkins-ecs-<name>-lineage.
 */
function recordCalls(w: IamWorld, principal: PrincipalName, why: string): SimCall[] {
  const table = w.arn('dynamodb', `table/${w.names.recordTable}`);
  const item = (action: string, lineage: string): AuthRequest => ({ action, resource: table, context: { 'dynamodb:LeadingKeys': [lineage] } });
  return [
    { principal, sdk: 'dynamodb:GetItem', what: `GetItem of the lineage record (${why})`, expect: 'allow', requests: [item('dynamodb:GetItem', w.names.lineage)] },
    { principal, sdk: 'dynamodb:PutItem', what: `conditional PutItem of the lineage record (${why})`, expect: 'allow', requests: [item('dynamodb:PutItem', w.names.lineage)] },
    { principal, what: "GetItem of another lineage's record", expect: 'deny', requests: [item('dynamodb:GetItem', OTHER)] },
    { principal, what: "PutItem of another lineage's record", expect: 'deny', requests: [item('dynamodb:PutItem', OTHER)] },
    { principal, what: 'Scan of the record table', expect: 'deny', requests: [{ action: 'dynamodb:Scan', resource: table }] },
    { principal, what: "DeleteItem of the lineage's record (nothing deletes it)", expect: 'deny', requests: [item('dynamodb:DeleteItem', w.names.lineage)] },
    { principal, what: "UpdateItem of the lineage's record (writes are whole, conditional PutItems)", expect: 'deny', requests: [item('dynamodb:UpdateItem', w.names.lineage)] },
    {
      principal,
      what: "GetItem of this lineage's key in another deployment's table",
      expect: 'deny',
      requests: [{ action: 'dynamodb:GetItem', resource: w.arn('dynamodb', `table/jenkins-ecs-${OTHER}-lineage`), context: { 'dynamodb:LeadingKeys': [w.names.lineage] } }],
    },
  ];
}

// ---- the keeper (controller task role) -------------------------------------------------------

function keeper(w: IamWorld): SimCall[] {
  const p: PrincipalName = 'keeper';
  const holderTag = { [TAGS.holder]: w.names.lineage };
  return [
    ...taskCallAndOtherCluster(w, p, 'ecs:DescribeTasks', "its own task (the home's EBS attachment)", 'ecs:DescribeTasks'),
    ...describeEbs(p, 'volume source, snapshot state, holders'),
    ...recordCalls(w, p, 'acquire, register, release'),
    { principal: p, sdk: 'ec2:CreateSnapshot', what: 'CreateSnapshot kind=periodic of the home', expect: 'allow', requests: createSnapshot(w, snapshotTags(w, 'periodic')) },
    { principal: p, what: 'CreateSnapshot kind=final of the home', expect: 'allow', requests: createSnapshot(w, snapshotTags(w, 'final')) },
    { principal: p, what: 'CreateSnapshot with only the lineage and kind tags (no task, no source)', expect: 'allow', requests: createSnapshot(w, { [TAGS.lineage]: w.names.lineage, [TAGS.kind]: 'periodic' }) },
    { principal: p, what: "CreateSnapshot of another lineage's volume", expect: 'deny', requests: createSnapshot(w, snapshotTags(w, 'periodic'), OTHER) },
    { principal: p, what: 'CreateSnapshot tagged with another lineage', expect: 'deny', requests: createSnapshot(w, snapshotTags(w, 'periodic', { [TAGS.lineage]: OTHER })) },
    { principal: p, what: 'CreateSnapshot without the lineage tag', expect: 'deny', requests: createSnapshot(w, { [TAGS.kind]: 'periodic' }) },
    { principal: p, what: 'CreateSnapshot forging kind=seed (escapes retention)', expect: 'deny', requests: createSnapshot(w, snapshotTags(w, 'seed')) },
    { principal: p, what: 'CreateSnapshot forging kind=manual', expect: 'deny', requests: createSnapshot(w, snapshotTags(w, 'manual')) },
    {
      principal: p,
      what: 'CreateSnapshot with an extra tag key (promoted-at forges the order)',
      expect: 'deny',
      requests: createSnapshot(w, snapshotTags(w, 'periodic', { 'jenkins-ecs:promoted-at': '2099-01-01T00:00:00Z' })),
    },
    {
      principal: p,
      what: 'CreateTags on an existing snapshot (retagging history)',
      expect: 'deny',
      requests: [{ action: 'ec2:CreateTags', resource: snapshotArn(w), context: { ...tagContext({ [TAGS.kind]: 'seed' }), [`aws:ResourceTag/${TAGS.lineage}`]: w.names.lineage } }],
    },
    // v0.1's holder tag is gone (the holder is a lease in the record): no tag writes on volumes.
    {
      principal: p,
      what: "CreateTags holder=lineage on the home volume (v0.1's holder tag; nothing grants it)",
      expect: 'deny',
      requests: [{ action: 'ec2:CreateTags', resource: volumeArn(w), context: { ...volumeTags(w.names.lineage, w.names.service), ...tagContext(holderTag) } }],
    },
    {
      principal: p,
      what: 'DeleteTags holder on the home volume',
      expect: 'deny',
      requests: [{ action: 'ec2:DeleteTags', resource: volumeArn(w), context: { ...volumeTags(w.names.lineage, w.names.service), 'aws:TagKeys': [TAGS.holder] } }],
    },
    {
      principal: p,
      what: 'DeleteTags AmazonECSManaged on the home volume',
      expect: 'deny',
      requests: [{ action: 'ec2:DeleteTags', resource: volumeArn(w), context: { ...volumeTags(w.names.lineage, w.names.service), 'aws:TagKeys': ['AmazonECSManaged'] } }],
    },
    {
      principal: p,
      what: 'CreateTags promoted-at on a lineage snapshot (forging the order)',
      expect: 'deny',
      requests: [{ action: 'ec2:CreateTags', resource: snapshotArn(w), context: { ...tagContext({ [TAGS.promotedAt]: '2099-01-01T00:00:00Z' }), [`aws:ResourceTag/${TAGS.lineage}`]: w.names.lineage } }],
    },
    {
      principal: p,
      what: 'DeleteSnapshot (retention is the reconciler’s)',
      expect: 'deny',
      requests: [{ action: 'ec2:DeleteSnapshot', resource: snapshotArn(w), context: { [`aws:ResourceTag/${TAGS.lineage}`]: w.names.lineage } }],
    },
  ];
}

// ---- the reconciler Lambda -------------------------------------------------------------------

function reconciler(w: IamWorld): SimCall[] {
  const p: PrincipalName = 'reconciler';
  return [
    describeServices(w, p),
    rollService(w, p, 'UpdateService: roll the controller to the head (passes the infrastructure role)'),
    {
      principal: p,
      what: 'UpdateService of another service in the cluster',
      expect: 'deny',
      requests: [{ action: 'ecs:UpdateService', resource: w.arn('ecs', `service/${w.names.cluster}/other`), context: { 'ecs:cluster': w.clusterArn } }],
    },
    { principal: p, what: "PassRole of the controller's own task role", expect: 'deny', requests: [passInfrastructureRole(w, w.controllerRoleArn)] },
    { principal: p, what: 'PassRole of the infrastructure role to another service', expect: 'deny', requests: [passInfrastructureRole(w, w.infrastructureRoleArn, 'ec2.amazonaws.com')] },
    ...describeEbs(p, 'lineage listing, head state, holders'),
    ...recordCalls(w, p, 'fence, roll, prune'),
    {
      principal: p,
      sdk: 'ec2:DeleteSnapshot',
      what: 'DeleteSnapshot of a lineage snapshot (retention)',
      expect: 'allow',
      requests: [{ action: 'ec2:DeleteSnapshot', resource: snapshotArn(w), context: { [`aws:ResourceTag/${TAGS.lineage}`]: w.names.lineage } }],
    },
    {
      principal: p,
      what: "DeleteSnapshot of another lineage's snapshot",
      expect: 'deny',
      requests: [{ action: 'ec2:DeleteSnapshot', resource: snapshotArn(w), context: { [`aws:ResourceTag/${TAGS.lineage}`]: OTHER } }],
    },
    ...noPointer(w, p),
    ...lambdaLogs(w, p, w.reconcilerLogGroup),
  ];
}

// ---- the LaunchSnapshot custom resource's handlers (deploy-time launch decision and handover) ---
// src/launch/handler.ts around src/continuity/handover.ts: the record (read, begin/advance/end,
// fence), DescribeServices and UpdateService (desiredCount 0, and the rollback's start with the
// volume configuration), DescribeTasks of the holder by ARN, the pre-copy CreateSnapshot
// (kind=manual) of the holder's volume, DescribeSnapshots by id.

function launch(w: IamWorld): SimCall[] {
  const p: PrincipalName = 'launch';
  const preCopyTags = { [TAGS.lineage]: w.names.lineage, [TAGS.kind]: 'manual', [TAGS.task]: taskArn(w) };
  return [
    ...recordCalls(w, p, 'launch decision, handover operation'),
    describeServices(w, p),
    {
      principal: p,
      sdk: 'ecs:UpdateService',
      what: 'UpdateService desiredCount 0 (the handover stops Jenkins)',
      expect: 'allow',
      requests: [{ action: 'ecs:UpdateService', resource: w.serviceArn, context: { 'ecs:cluster': w.clusterArn } }],
    },
    rollService(w, p, 'UpdateService from the final snapshot, desiredCount 1 (a rollback\'s handover; passes the infrastructure role)'),
    {
      principal: p,
      what: 'UpdateService of another service in the cluster',
      expect: 'deny',
      requests: [{ action: 'ecs:UpdateService', resource: w.arn('ecs', `service/${w.names.cluster}/other`), context: { 'ecs:cluster': w.clusterArn } }],
    },
    {
      principal: p,
      what: 'UpdateService of the service name in another cluster',
      expect: 'deny',
      requests: [{ action: 'ecs:UpdateService', resource: w.arn('ecs', `service/other-cluster/${w.names.service}`), context: { 'ecs:cluster': clusterArnOf(w, 'other-cluster') } }],
    },
    { principal: p, what: "PassRole of the controller's own task role", expect: 'deny', requests: [passInfrastructureRole(w, w.controllerRoleArn)] },
    { principal: p, what: 'PassRole of the infrastructure role to another service', expect: 'deny', requests: [passInfrastructureRole(w, w.infrastructureRoleArn, 'ec2.amazonaws.com')] },
    ...taskCallAndOtherCluster(w, p, 'ecs:DescribeTasks', 'the holder task (fenced once STOPPED)', 'ecs:DescribeTasks'),
    { principal: p, what: 'ListTasks (the handover counts tasks from DescribeServices)', expect: 'deny', requests: [{ action: 'ecs:ListTasks', resource: '*', context: { 'ecs:cluster': w.clusterArn } }] },
    { principal: p, sdk: 'ec2:CreateSnapshot', what: 'CreateSnapshot kind=manual of the home (the pre-copy)', expect: 'allow', requests: createSnapshot(w, preCopyTags) },
    { principal: p, what: "CreateSnapshot of another lineage's volume", expect: 'deny', requests: createSnapshot(w, preCopyTags, OTHER) },
    { principal: p, what: 'CreateSnapshot tagged with another lineage', expect: 'deny', requests: createSnapshot(w, { ...preCopyTags, [TAGS.lineage]: OTHER }) },
    { principal: p, what: 'CreateSnapshot forging kind=final', expect: 'deny', requests: createSnapshot(w, { ...preCopyTags, [TAGS.kind]: 'final' }) },
    { principal: p, what: 'CreateSnapshot forging kind=seed (escapes retention)', expect: 'deny', requests: createSnapshot(w, { ...preCopyTags, [TAGS.kind]: 'seed' }) },
    { principal: p, what: 'CreateSnapshot with a forged tag key (promoted-at)', expect: 'deny', requests: createSnapshot(w, { ...preCopyTags, 'jenkins-ecs:promoted-at': '2099-01-01T00:00:00Z' }) },
    {
      principal: p,
      what: 'CreateTags on an existing snapshot (retagging history)',
      expect: 'deny',
      requests: [{ action: 'ec2:CreateTags', resource: snapshotArn(w), context: { ...tagContext({ [TAGS.kind]: 'seed' }), [`aws:ResourceTag/${TAGS.lineage}`]: w.names.lineage } }],
    },
    { principal: p, sdk: 'ec2:DescribeSnapshots', what: 'DescribeSnapshots (head, pre-copy and final snapshot by id)', expect: 'allow', requests: [{ action: 'ec2:DescribeSnapshots', resource: '*' }] },
    {
      principal: p,
      what: 'DeleteSnapshot (retention is the reconciler’s)',
      expect: 'deny',
      requests: [{ action: 'ec2:DeleteSnapshot', resource: snapshotArn(w), context: { [`aws:ResourceTag/${TAGS.lineage}`]: w.names.lineage } }],
    },
    ...lambdaLogs(w, p, w.launchLogGroup),
  ];
}

/** The Lambda runtime writes the function's logs with its role: CreateLogStream, PutLogEvents. */
function lambdaLogs(w: IamWorld, principal: PrincipalName, logGroup: string | undefined): SimCall[] {
  if (!logGroup) return [];
  const stream = (group: string): string => w.arn('logs', `log-group:${group}:log-stream:2026/12/01/[$LATEST]0123456789abcdef`);
  return [
    {
      principal,
      what: 'the Lambda runtime: CreateLogStream + PutLogEvents in its log group',
      expect: 'allow',
      requests: [
        { action: 'logs:CreateLogStream', resource: stream(logGroup) },
        { action: 'logs:PutLogEvents', resource: stream(logGroup) },
      ],
    },
    { principal, what: 'PutLogEvents into another log group', expect: 'deny', requests: [{ action: 'logs:PutLogEvents', resource: stream('/aws/lambda/other') }] },
  ];
}

// ---- the operator (CLI under the operator policy) ---------------------------------------------

function operator(w: IamWorld): SimCall[] {
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
    {
      principal: p,
      what: 'UpdateService of a service in another cluster',
      expect: 'deny',
      requests: [{ action: 'ecs:UpdateService', resource: w.arn('ecs', `service/other-cluster/${w.names.service}`), context: { 'ecs:cluster': clusterArnOf(w, 'other-cluster') } }],
    },
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

// ---- the amazon-ecs plugin (controller task role) ---------------------------------------------
// Calls of the pinned release (jenkins/controller/plugins.txt: amazon-ecs 1.49), listed with their
// sources in src/config/amazon-ecs-api.ts (AMAZON_ECS_API_CALLS). The stack defines the agent task
// definitions and the templates name them as taskDefinitionOverride, so registerTemplate only calls
// DescribeTaskDefinition (family); runEcsTask → RunTask (tags jenkins.label / jenkins.templatename,
// propagateTags TASK_DEFINITION); describeTask / waitForTasksRunning → DescribeTasks; stopTask →
// StopTask. RegisterTaskDefinition, ListTagsForResource and DeregisterTaskDefinition (the register
// path, not taken) must be denied. Left out: ListClusters, DescribeClusters and the EFS describes
// (config-page dropdowns only).

function plugin(w: IamWorld): SimCall[] {
  const p: PrincipalName = 'plugin';
  const out: SimCall[] = [];
  for (const a of w.agents) {
    const taskDef = w.arn('ecs', `task-definition/${a.family}:7`);
    const tags = { 'jenkins.label': a.label, 'jenkins.templatename': a.family };
    const passRoles = [a.taskRoleArn, w.agentExecutionRoleArn ?? ''].map((r) => passInfrastructureRole(w, r, 'ecs-tasks.amazonaws.com'));
    out.push(
      { principal: p, what: `DescribeTaskDefinition ${a.family}`, expect: 'allow', requests: [{ action: 'ecs:DescribeTaskDefinition', resource: '*' }] },
      { principal: p, what: `ListTagsForResource ${a.family} (register path only; not granted)`, expect: 'deny', requests: [{ action: 'ecs:ListTagsForResource', resource: taskDef }] },
      {
        principal: p,
        what: `RegisterTaskDefinition ${a.family} (the stack defines it; not granted)`,
        expect: 'deny',
        requests: [
          { action: 'ecs:RegisterTaskDefinition', resource: taskDef, context: tagContext(tags) },
          { action: 'ecs:TagResource', resource: taskDef, context: { ...tagContext(tags), 'ecs:CreateAction': 'RegisterTaskDefinition' } },
        ],
      },
      {
        principal: p,
        what: `RunTask ${a.family} in the agent cluster`,
        expect: 'allow',
        requests: [
          { action: 'ecs:RunTask', resource: taskDef, context: { 'ecs:cluster': w.clusterArn, ...tagContext(tags) } },
          { action: 'ecs:TagResource', resource: taskArn(w), context: { ...tagContext(tags), 'ecs:CreateAction': 'RunTask' } },
          ...passRoles,
        ],
      },
      {
        principal: p,
        what: `RunTask ${a.family} in another cluster`,
        expect: 'deny',
        requests: [{ action: 'ecs:RunTask', resource: taskDef, context: { 'ecs:cluster': clusterArnOf(w, 'other-cluster'), ...tagContext(tags) } }],
      },
    );
  }
  out.push(
    {
      principal: p,
      what: 'DescribeTasks of an agent task',
      expect: 'allow',
      requests: [onTask(w, 'ecs:DescribeTasks')],
    },
    ...taskCallAndOtherCluster(w, p, 'ecs:StopTask', 'an agent task'),
    {
      principal: p,
      what: 'RunTask of a task definition outside the agent families',
      expect: 'deny',
      requests: [{ action: 'ecs:RunTask', resource: w.arn('ecs', 'task-definition/anything:1'), context: { 'ecs:cluster': w.clusterArn } }],
    },
    { principal: p, what: 'DeregisterTaskDefinition (any task definition in the Region)', expect: 'deny', requests: [{ action: 'ecs:DeregisterTaskDefinition', resource: '*' }] },
    {
      principal: p,
      what: "PassRole of the controller's own task role to an agent task",
      expect: 'deny',
      requests: [passInfrastructureRole(w, w.controllerRoleArn, 'ecs-tasks.amazonaws.com')],
    },
  );
  return out;
}

// ---- the ECS infrastructure role's KMS path (customer-managed home key only) ------------------

function infrastructure(w: IamWorld): SimCall[] {
  const key = w.kmsKeyArn;
  if (!key) return [];
  const p: PrincipalName = 'infrastructure';
  const viaEc2 = { 'kms:ViaService': `ec2.${w.env.region}.amazonaws.com`, 'kms:CallerAccount': w.env.account };
  return [
    { principal: p, what: 'DescribeKey by ECS itself (validating the volume configuration)', expect: 'allow', requests: [{ action: 'kms:DescribeKey', resource: key, context: { 'kms:CallerAccount': w.env.account } }] },
    { principal: p, what: 'DescribeKey via EC2', expect: 'allow', requests: [{ action: 'kms:DescribeKey', resource: key, context: viaEc2 }] },
    {
      principal: p,
      what: 'CreateGrant via EC2 for the volume',
      expect: 'allow',
      requests: [{ action: 'kms:CreateGrant', resource: key, context: { ...viaEc2, 'kms:GrantIsForAWSResource': 'true' } }],
    },
    { principal: p, what: 'GenerateDataKeyWithoutPlaintext via EC2 (new volume)', expect: 'allow', requests: [{ action: 'kms:GenerateDataKeyWithoutPlaintext', resource: key, context: viaEc2 }] },
    { principal: p, what: 'Decrypt via EC2 (volume from an encrypted snapshot)', expect: 'allow', requests: [{ action: 'kms:Decrypt', resource: key, context: viaEc2 }] },
    { principal: p, what: 'ReEncryptFrom via EC2', expect: 'allow', requests: [{ action: 'kms:ReEncryptFrom', resource: key, context: viaEc2 }] },
    {
      principal: p,
      what: 'CreateGrant not for an AWS resource',
      expect: 'deny',
      requests: [{ action: 'kms:CreateGrant', resource: key, context: { ...viaEc2, 'kms:GrantIsForAWSResource': 'false' } }],
    },
    { principal: p, what: 'Decrypt directly, not via EC2', expect: 'deny', requests: [{ action: 'kms:Decrypt', resource: key, context: { 'kms:CallerAccount': w.env.account } }] },
    { principal: p, what: 'Decrypt with another key', expect: 'deny', requests: [{ action: 'kms:Decrypt', resource: w.arn('kms', 'key/00000000-0000-0000-0000-000000000000'), context: viaEc2 }] },
  ];
}

// ---- the migration task (only with `migration` in the config) ---------------------------------
// src/migrate/run.ts: CreateSnapshot kind=seed of its task volume, DescribeTasks of its own task
// (the EBS attachment), DescribeSnapshots until the seed completes; efs-utils mounts the source
// read-only with TLS and IAM authorization through a mount target.

function migration(w: IamWorld): SimCall[] {
  const source = w.config.migration;
  if (!source) return [];
  const p: PrincipalName = 'migration';
  const fs = w.arn('elasticfilesystem', `file-system/${source.efsFileSystemId}`);
  const mount = (action: string, extra: Context = {}): AuthRequest => ({
    action,
    resource: fs,
    context: {
      'aws:SecureTransport': 'true',
      'elasticfilesystem:AccessedViaMountTarget': 'true',
      ...(source.efsAccessPointId ? { 'elasticfilesystem:AccessPointArn': w.arn('elasticfilesystem', `access-point/${source.efsAccessPointId}`) } : {}),
      ...extra,
    },
  });
  const seedTags = { [TAGS.lineage]: w.names.lineage, [TAGS.kind]: 'seed', [TAGS.task]: taskArn(w) };
  return [
    { principal: p, what: 'ClientMount + ClientRootAccess of the source file system (TLS, via a mount target)', expect: 'allow', requests: [mount('elasticfilesystem:ClientMount'), mount('elasticfilesystem:ClientRootAccess')] },
    { principal: p, what: 'ClientWrite to the source file system', expect: 'deny', requests: [mount('elasticfilesystem:ClientWrite')] },
    { principal: p, what: 'ClientMount without TLS', expect: 'deny', requests: [mount('elasticfilesystem:ClientMount', { 'aws:SecureTransport': 'false' })] },
    { principal: p, what: 'CreateSnapshot kind=seed of the migrated volume', expect: 'allow', requests: createSnapshot(w, seedTags) },
    { principal: p, what: 'CreateSnapshot kind=periodic (only the keeper takes those)', expect: 'deny', requests: createSnapshot(w, { ...seedTags, [TAGS.kind]: 'periodic' }) },
    { principal: p, what: "CreateSnapshot of another lineage's volume", expect: 'deny', requests: createSnapshot(w, seedTags, OTHER) },
    { principal: p, what: 'CreateSnapshot with an extra tag key', expect: 'deny', requests: createSnapshot(w, { ...seedTags, extra: 'x' }) },
    ...taskCallAndOtherCluster(w, p, 'ecs:DescribeTasks', 'its own task (the EBS attachment)'),
    { principal: p, what: 'DescribeSnapshots (waiting for the seed)', expect: 'allow', requests: [{ action: 'ec2:DescribeSnapshots', resource: '*' }] },
    {
      principal: p,
      what: 'DeleteSnapshot',
      expect: 'deny',
      requests: [{ action: 'ec2:DeleteSnapshot', resource: snapshotArn(w), context: { [`aws:ResourceTag/${TAGS.lineage}`]: w.names.lineage } }],
    },
  ];
}

/** Every simulated call of a deployment, by principal. */
export const CALLS: Readonly<Record<PrincipalName, (w: IamWorld) => SimCall[]>> = { keeper, reconciler, launch, operator, plugin, infrastructure, migration };

export function allCalls(w: IamWorld): SimCall[] {
  return Object.values(CALLS).flatMap((f) => f(w));
}
