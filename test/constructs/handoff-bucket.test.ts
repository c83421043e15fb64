// The handoff bucket (docs/design/handoff.md, "Infrastructure") in the synthesized main stack,
// with and without the home's customer managed key: encryption per key choice, lifecycle, public
// access, TLS-only policy, retention, the keeper's env var and its statements. The statements'
// least privilege is proven by simulation in test/iam (calls/handoff.ts); cdk-nag and cfn-lint of
// every example run in test/examples.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/index.js';
import { KEEPER_ENV } from '../../src/continuity/settings.js';
import { HandoffBucket } from '../../src/constructs/handoff-bucket.js';

const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d';

function synth(home: Record<string, unknown>) {
  const parsed = parseConfig({ name: 'ci', controller: { home } });
  if (!parsed.ok) assert.fail(JSON.stringify(parsed.errors));
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'jenkins-ecs-handoff-')) });
  const { stack, jenkins } = buildApp(parsed.config, { app, env: { account: '123456789012', region: 'eu-west-1' }, nag: false });
  const continuity = jenkins.continuity ?? assert.fail('no home continuity');
  const t = Template.fromStack(stack);
  const bucketId = stack.getLogicalId(continuity.handoffBucket.bucket.node.defaultChild as never);
  return { stack, t, continuity, bucketId };
}

interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** Every statement of the controller task role's policies. */
function taskRoleStatements(t: Template): Statement[] {
  return Object.entries(t.findResources('AWS::IAM::Policy'))
    .filter(([id]) => id.startsWith('JenkinsControllerTaskRole'))
    .flatMap(([, p]) => (p.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement);
}

const plain = synth({});
const keyed = synth({ kmsKeyArn: KMS_KEY });

describe('handoff bucket', () => {
  test('one bucket, named by CloudFormation, retained on stack deletion and on replacement', () => {
    for (const { t, bucketId } of [plain, keyed]) {
      const bucket = t.toJSON().Resources[bucketId] as { DeletionPolicy: string; UpdateReplacePolicy: string; Properties: Record<string, unknown> };
      assert.equal(bucket.DeletionPolicy, 'Retain');
      assert.equal(bucket.UpdateReplacePolicy, 'Retain');
      assert.equal(bucket.Properties.BucketName, undefined);
    }
  });

  test('without a customer key: SSE-S3 (AES256), no KMS key, no bucket key', () => {
    plain.t.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectEquals({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } })] },
      LifecycleConfiguration: Match.objectLike({ Rules: [Match.objectLike({ Id: 'ExpireDeltas' })] }),
    });
  });

  test("with controller.home.kmsKeyArn: SSE-KMS with the home's key and an S3 Bucket Key", () => {
    keyed.t.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [Match.objectEquals({ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KMS_KEY } })],
      },
    });
  });

  test('objects expire after 7 days, incomplete multipart uploads are aborted after 1 day, no versioning', () => {
    for (const { t, bucketId } of [plain, keyed]) {
      const props = (t.toJSON().Resources[bucketId] as { Properties: Record<string, unknown> }).Properties;
      assert.deepEqual(props.LifecycleConfiguration, {
        Rules: [{ Id: 'ExpireDeltas', Status: 'Enabled', ExpirationInDays: 7, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }],
      });
      assert.equal(props.VersioningConfiguration, undefined);
    }
  });

  test('all public access blocked, ACLs disabled (bucket owner enforced)', () => {
    plain.t.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
  });

  test('the bucket policy denies every request without TLS, on the bucket and its objects', () => {
    const arn = { 'Fn::GetAtt': [plain.bucketId, 'Arn'] };
    plain.t.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: plain.bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Resource: [arn, { 'Fn::Join': ['', [arn, '/*']] }],
          }),
        ]),
      },
    });
  });

  test('the keeper container is told the bucket in JENKINS_ECS_HANDOFF_BUCKET', () => {
    const defs = Object.values(plain.t.findResources('AWS::ECS::TaskDefinition', { Properties: { Family: 'jenkins-ecs-ci-controller' } }));
    assert.equal(defs.length, 1);
    const containers = (defs[0]!.Properties as { ContainerDefinitions: { Name: string; Environment?: { Name: string; Value: unknown }[] }[] }).ContainerDefinitions;
    const env = (name: string) => containers.find((c) => c.Name === name)?.Environment?.find((e) => e.Name === KEEPER_ENV.handoffBucket)?.Value;
    assert.deepEqual(env('keeper'), { Ref: plain.bucketId });
    // Jenkins is not told (it shares the task role, but nothing in it should go looking).
    assert.equal(env('jenkins'), undefined);
  });

  test("the keeper may Put and Get objects under its lineage's prefix only; no List, no Delete", () => {
    for (const { t, bucketId } of [plain, keyed]) {
      const statements = taskRoleStatements(t);
      const objects = statements.filter((s) => s.Sid === 'KeeperHandoffObjects');
      assert.equal(objects.length, 1);
      assert.deepEqual(objects[0]!.Action, ['s3:PutObject', 's3:GetObject']);
      assert.deepEqual(objects[0]!.Resource, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/ci/*']] });
      assert.equal(objects[0]!.Condition, undefined);
      const s3 = statements.flatMap((s) => [s.Action].flat()).filter((a) => a.startsWith('s3:'));
      assert.deepEqual(s3.sort(), ['s3:GetObject', 's3:PutObject']);
    }
  });

  test('with the customer key: GenerateDataKey and Decrypt of that key only, via S3 in the Region, for this bucket', () => {
    const key = taskRoleStatements(keyed.t).filter((s) => s.Sid === 'KeeperHandoffKey');
    assert.equal(key.length, 1);
    assert.deepEqual(key[0]!.Action, ['kms:GenerateDataKey', 'kms:Decrypt']);
    assert.equal(key[0]!.Resource, KMS_KEY);
    assert.deepEqual(key[0]!.Condition, {
      StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com', 'kms:EncryptionContext:aws:s3:arn': { 'Fn::GetAtt': [keyed.bucketId, 'Arn'] } },
    });
    // Without a customer key S3 encrypts with its own keys: no KMS grant at all.
    assert.deepEqual(taskRoleStatements(plain.t).filter((s) => [s.Action].flat().some((a) => a.startsWith('kms:'))), []);
  });

  test('the construct alone in a region-agnostic stack: the key condition follows the stack Region', () => {
    const stack = new Stack(new App(), 'S');
    const bucket = new HandoffBucket(stack, 'H', { homeKeyArn: KMS_KEY });
    const [, key] = bucket.keeperStatements('lin').map((s) => stack.resolve(s.toStatementJson()) as Statement);
    assert.deepEqual(key?.Condition?.StringEquals?.['kms:ViaService'], { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] });
    assert.equal(bucket.keeperStatements('lin', 'X')[0]?.sid, 'XObjects');
  });
});
