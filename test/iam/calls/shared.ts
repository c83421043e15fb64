/** What every principal's table shares: the entry type, the ARNs real calls name, and calls several principals make. */
import { TAGS } from '../../../src/continuity/model.js';
import type { AuthRequest, Context } from '../simulate.js';
import type { IamWorld, PrincipalName } from '../world.js';

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

export const OTHER = 'other-lineage';
export const TASK_ID = '0123456789abcdef0123456789abcdef';
export const VOLUME = 'vol-0123456789abcdef0';
export const SNAPSHOT = 'snap-0123456789abcdef0';
export const SOURCE = 'snap-0fedcba9876543210';

// ---- ARNs as the real calls name them --------------------------------------------------------

export const volumeArn = (w: IamWorld, id = VOLUME): string => w.arn('ec2', `volume/${id}`);
/** Snapshot ARNs carry no account. */
export const snapshotArn = (w: IamWorld, id = SNAPSHOT): string => w.arn('ec2', `snapshot/${id}`, { account: '' });
export const taskArn = (w: IamWorld, cluster = w.names.cluster, id = TASK_ID): string => w.arn('ecs', `task/${cluster}/${id}`);
export const parameterArn = (w: IamWorld): string => w.arn('ssm', `parameter/jenkins-ecs/${w.names.lineage}/pointer`);
export const clusterArnOf = (w: IamWorld, cluster: string): string => w.arn('ecs', `cluster/${cluster}`);
/** A task-level ECS action (DescribeTasks, StopTask) on a task of `cluster`, as ECS authorizes it. */
export const onTask = (w: IamWorld, action: string, cluster = w.names.cluster): AuthRequest => ({
  action,
  resource: taskArn(w, cluster),
  context: { 'ecs:cluster': clusterArnOf(w, cluster) },
});
/** A task-level call on a task of the deployment cluster, and its negative control in another cluster. */
export const taskCallAndOtherCluster = (w: IamWorld, principal: PrincipalName, action: string, of: string, sdk?: string): SimCall[] => [
  { principal, ...(sdk ? { sdk } : {}), what: `${action} of ${of}`, expect: 'allow', requests: [onTask(w, action)] },
  { principal, what: `${action} in another cluster`, expect: 'deny', requests: [onTask(w, action, 'other-cluster')] },
];
export const roleArn = (w: IamWorld, name: string): string => `arn:${w.env.partition}:iam::${w.env.account}:role/${name}`;

/** The tags a lineage home volume carries (service TagSpecifications + what ECS adds). */
export function volumeTags(lineage: string, service: string): Context {
  return {
    [`aws:ResourceTag/${TAGS.lineage}`]: lineage,
    [`aws:ResourceTag/${TAGS.service}`]: service,
    'aws:ResourceTag/AmazonECSCreated': 'true',
    'aws:ResourceTag/AmazonECSManaged': 'true',
  };
}

export function tagContext(tags: Readonly<Record<string, string>>): Context {
  const out: Record<string, string | string[]> = { 'aws:TagKeys': Object.keys(tags) };
  for (const [k, v] of Object.entries(tags)) out[`aws:RequestTag/${k}`] = v;
  return out;
}

/**
 * CreateSnapshot with TagSpecifications: AWS authorizes the volume, the new snapshot (with the
 * request tags), and CreateTags on the snapshot with ec2:CreateAction = CreateSnapshot.
 */
export function createSnapshot(w: IamWorld, tags: Readonly<Record<string, string>>, volumeLineage = w.names.lineage): AuthRequest[] {
  const requested = tagContext(tags);
  return [
    { action: 'ec2:CreateSnapshot', resource: volumeArn(w), context: volumeTags(volumeLineage, w.names.service) },
    { action: 'ec2:CreateSnapshot', resource: snapshotArn(w), context: requested },
    { action: 'ec2:CreateTags', resource: snapshotArn(w), context: { ...requested, 'ec2:CreateAction': 'CreateSnapshot' } },
  ];
}

export function snapshotTags(w: IamWorld, kind: string, extra: Record<string, string> = {}): Record<string, string> {
  return { [TAGS.lineage]: w.names.lineage, [TAGS.kind]: kind, [TAGS.task]: taskArn(w), [TAGS.source]: SOURCE, ...extra };
}

export const describeEbs = (principal: PrincipalName, why: string): SimCall[] => [
  { principal, sdk: 'ec2:DescribeSnapshots', what: `DescribeSnapshots (${why})`, expect: 'allow', requests: [{ action: 'ec2:DescribeSnapshots', resource: '*' }] },
  { principal, sdk: 'ec2:DescribeVolumes', what: `DescribeVolumes (${why})`, expect: 'allow', requests: [{ action: 'ec2:DescribeVolumes', resource: '*' }] },
];

export const describeServices = (w: IamWorld, principal: PrincipalName): SimCall => ({
  principal,
  sdk: 'ecs:DescribeServices',
  what: 'DescribeServices of the controller service',
  expect: 'allow',
  requests: [{ action: 'ecs:DescribeServices', resource: w.serviceArn, context: { 'ecs:cluster': w.clusterArn } }],
});

export const passInfrastructureRole = (w: IamWorld, role = w.infrastructureRoleArn, to = 'ecs.amazonaws.com'): AuthRequest => ({
  action: 'iam:PassRole',
  resource: role,
  context: { 'iam:PassedToService': to },
});

/** UpdateService rolling the home to a snapshot: the volume configuration passes the infrastructure role. */
export const rollService = (w: IamWorld, principal: PrincipalName, what: string): SimCall => ({
  principal,
  sdk: 'ecs:UpdateService',
  what,
  expect: 'allow',
  requests: [
    { action: 'ecs:UpdateService', resource: w.serviceArn, context: { 'ecs:cluster': w.clusterArn } },
    passInfrastructureRole(w),
  ],
});

/** A task definition revision's ARN, as a request that names one carries it in ecs:task-definition. */
export const taskDefinitionArn = (w: IamWorld, family = w.names.service, revision = 8): string => w.arn('ecs', `task-definition/${family}:${revision}`);

/**
 * The limits of a principal's ecs:UpdateService (src/constructs/continuity-iam.ts,
 * updateControllerServiceStatement): a request that names the controller's own family is allowed
 * (should ECS put the service's task definition into requests that name none); another service,
 * the service's name in another cluster, and a switch to another task definition family are not.
 */
export function updateServiceLimits(w: IamWorld, principal: PrincipalName): SimCall[] {
  const update = (resource: string, cluster: string, taskDefinition?: string): AuthRequest => ({
    action: 'ecs:UpdateService',
    resource,
    context: { 'ecs:cluster': cluster, ...(taskDefinition ? { 'ecs:task-definition': taskDefinition } : {}) },
  });
  return [
    { principal, what: "UpdateService naming a revision of the controller's task definition family", expect: 'allow', requests: [update(w.serviceArn, w.clusterArn, taskDefinitionArn(w))] },
    { principal, what: 'UpdateService of another service in the cluster', expect: 'deny', requests: [update(w.arn('ecs', `service/${w.names.cluster}/other`), w.clusterArn)] },
    {
      principal,
      what: 'UpdateService of the service name in another cluster',
      expect: 'deny',
      requests: [update(w.arn('ecs', `service/other-cluster/${w.names.service}`), clusterArnOf(w, 'other-cluster'))],
    },
    { principal, what: 'UpdateService moving the controller to another task definition family', expect: 'deny', requests: [update(w.serviceArn, w.clusterArn, taskDefinitionArn(w, 'other-family'))] },
    {
      principal,
      what: "UpdateService to a family whose name starts with the controller's",
      expect: 'deny',
      requests: [update(w.serviceArn, w.clusterArn, taskDefinitionArn(w, `${w.names.service}-x`))],
    },
  ];
}

/** v0.1's SSM pointer is gone: nobody may read or write it (a retained parameter stays untouched). */
export const noPointer = (w: IamWorld, principal: PrincipalName): SimCall[] => [
  { principal, what: "GetParameter of v0.1's pointer (nothing reads it)", expect: 'deny', requests: [{ action: 'ssm:GetParameter', resource: parameterArn(w) }] },
  { principal, what: "PutParameter of v0.1's pointer (nothing writes it)", expect: 'deny', requests: [{ action: 'ssm:PutParameter', resource: parameterArn(w) }] },
];

/**
 * The lineage record: a consistent GetItem and a conditional PutItem of this lineage's item only
 * (dynamodb:LeadingKeys = the lineage id), on table jenkins-ecs-<name>-lineage.
 */
export function recordCalls(w: IamWorld, principal: PrincipalName, why: string): SimCall[] {
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

/** The Lambda runtime writes the function's logs with its role: CreateLogStream, PutLogEvents. */
export function lambdaLogs(w: IamWorld, principal: PrincipalName, logGroup: string | undefined): SimCall[] {
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
