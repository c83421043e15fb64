import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Days a delta archive is kept: a handoff is used within minutes, or never (docs/design/handoff.md). */
export const HANDOFF_EXPIRATION_DAYS = 7;
/** Days before S3 aborts a multipart upload a stopped keeper left behind. */
export const HANDOFF_ABORT_UPLOAD_DAYS = 1;

export interface HandoffBucketProps {
  /**
   * `controller.home.kmsKeyArn`: the home's customer managed key. The deltas hold home data, so
   * they are encrypted with the same key (SSE-KMS with an S3 Bucket Key).
   * @default - SSE-S3 (S3-managed keys), like the home's AWS-managed EBS encryption
   */
  readonly homeKeyArn?: string;
}

/**
 * The S3 bucket of the handoff (docs/design/handoff.md): the stopping keeper uploads the delta
 * archive of a planned handover to `<lineage>/<final snapshot id>.delta`, the next task's keeper
 * downloads it. Transient data: no versioning, objects expire after 7 days. Retained on stack
 * deletion, since it may still hold home data (README, Teardown). CloudFormation names it.
 */
export class HandoffBucket extends Construct {
  public readonly bucket: s3.Bucket;
  /** The generated bucket name (the keeper's `JENKINS_ECS_HANDOFF_BUCKET`). */
  public readonly bucketName: string;
  /** The home's customer managed key the bucket encrypts with, when there is one. */
  public readonly encryptionKey?: kms.IKey;

  constructor(scope: Construct, id: string, props: HandoffBucketProps = {}) {
    super(scope, id);
    this.encryptionKey = props.homeKeyArn ? kms.Key.fromKeyArn(this, 'HomeKey', props.homeKeyArn) : undefined;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...(this.encryptionKey
        ? // A Bucket Key: S3 asks KMS for a bucket-level key now and then instead of a data key per object.
          { encryption: s3.BucketEncryption.KMS, encryptionKey: this.encryptionKey, bucketKeyEnabled: true }
        : { encryption: s3.BucketEncryption.S3_MANAGED }),
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: false,
      lifecycleRules: [
        {
          id: 'ExpireDeltas',
          expiration: Duration.days(HANDOFF_EXPIRATION_DAYS),
          abortIncompleteMultipartUploadAfter: Duration.days(HANDOFF_ABORT_UPLOAD_DAYS),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucketName = this.bucket.bucketName;
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Transient delta archives (expire after 7 days), written and read only by the keeper with the controller task role, ' +
        'under one lineage prefix; CloudTrail S3 data events are the audit path for object access, and a log bucket per deployment would outlive the data it logs.',
    });
  }

  /** ARN of every object under the lineage's prefix: `arn:<partition>:s3:::<bucket>/<lineage>/*`. */
  public lineageObjects(lineage: string): string {
    return this.bucket.arnForObjects(`${lineage}/*`);
  }

  /**
   * The keeper's statements: PutObject (ship) and GetObject (apply) under the lineage's prefix
   * only; no ListBucket (the record names the key) and no DeleteObject (the lifecycle deletes).
   * With the home key: GenerateDataKey and Decrypt of that key, only via S3 in this Region and
   * only for this bucket (with a Bucket Key the encryption context is the bucket ARN; see
   * docs/aws-notes.md, "The handoff bucket").
   */
  public keeperStatements(lineage: string, sidPrefix = 'KeeperHandoff'): iam.PolicyStatement[] {
    const statements = [
      new iam.PolicyStatement({
        sid: `${sidPrefix}Objects`,
        actions: ['s3:PutObject', 's3:GetObject'],
        resources: [this.lineageObjects(lineage)],
      }),
    ];
    if (this.encryptionKey) {
      statements.push(
        new iam.PolicyStatement({
          sid: `${sidPrefix}Key`,
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [this.encryptionKey.keyArn],
          conditions: {
            StringEquals: {
              'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com`,
              'kms:EncryptionContext:aws:s3:arn': this.bucket.bucketArn,
            },
          },
        }),
      );
    }
    return statements;
  }
}
