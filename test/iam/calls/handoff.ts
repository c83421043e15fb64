/**
 * The handoff bucket (docs/design/handoff.md): the stopping keeper PutObjects the delta under
 * `<lineage>/<final snapshot id>.delta`, the next task's keeper GetObjects it. With the home's
 * customer key (SSE-KMS with an S3 Bucket Key) S3 calls KMS as the caller, via S3, with the
 * bucket ARN as encryption context (S3 User Guide, "Encryption context" and "Reducing the cost of
 * SSE-KMS with Amazon S3 Bucket Keys"): PutObject needs GenerateDataKey, GetObject and multipart
 * uploads also Decrypt. S3 requests are simulated against the bucket's own policy too (the
 * enforceSSL deny), KMS requests against the key policy the README asks for.
 */
import type { AuthRequest, Context } from '../simulate.js';
import type { IamWorld, PrincipalName } from '../world.js';
import { OTHER, SNAPSHOT, type SimCall } from './shared.js';

/** Bucket ARNs carry no region and no account. */
const bucketArn = (w: IamWorld, bucket: string): string => `arn:${w.env.partition}:s3:::${bucket}`;
const deltaArn = (w: IamWorld, bucket: string, lineage = w.names.lineage): string => `${bucketArn(w, bucket)}/${lineage}/${SNAPSHOT}.delta`;

/** What every SigV4 request of the AWS SDK over HTTPS carries. */
const SDK_REQUEST: Context = { 'aws:SecureTransport': 'true', 's3:authType': 'REST-HEADER', 's3:signatureversion': 'AWS4-HMAC-SHA256' };

/** The KMS request S3 makes with the caller's credentials for an object of `bucket` (Bucket Key: the bucket ARN is the context). */
function viaS3(w: IamWorld, action: string, bucket: string, key = w.kmsKeyArn ?? ''): AuthRequest {
  return {
    action,
    resource: key,
    context: {
      'kms:ViaService': `s3.${w.env.region}.amazonaws.com`,
      'kms:CallerAccount': w.env.account,
      'kms:EncryptionContext:aws:s3:arn': bucketArn(w, bucket),
      'kms:EncryptionContextKeys': ['aws:s3:arn'],
    },
  };
}

/** PutObject of a delta, and the KMS calls S3 makes for it with the customer key. */
function put(w: IamWorld, bucket: string, resource = deltaArn(w, bucket), extra: Context = {}): AuthRequest[] {
  return [
    { action: 's3:PutObject', resource, context: { ...SDK_REQUEST, ...extra } },
    ...(w.kmsKeyArn ? [viaS3(w, 'kms:GenerateDataKey', bucket), viaS3(w, 'kms:Decrypt', bucket)] : []),
  ];
}

function get(w: IamWorld, bucket: string, resource = deltaArn(w, bucket)): AuthRequest[] {
  return [{ action: 's3:GetObject', resource, context: SDK_REQUEST }, ...(w.kmsKeyArn ? [viaS3(w, 'kms:Decrypt', bucket)] : [])];
}

/** The keeper ships and applies deltas under its lineage's prefix, and nothing else in S3. */
export function keeperHandoff(w: IamWorld): SimCall[] {
  const bucket = w.handoffBucket;
  if (!bucket) return [];
  const p: PrincipalName = 'keeper';
  // The encryption the bucket applies by default, as a PutObject that names it explicitly sends it.
  const explicitSse: Context = w.kmsKeyArn
    ? { 's3:x-amz-server-side-encryption': 'aws:kms', 's3:x-amz-server-side-encryption-aws-kms-key-id': w.kmsKeyArn }
    : { 's3:x-amz-server-side-encryption': 'AES256' };
  const other = 'jenkins-ecs-other-handoff';
  return [
    { principal: p, sdk: 's3:PutObject', what: 'PutObject of the delta <lineage>/<final>.delta (ship; bucket default encryption)', expect: 'allow', requests: put(w, bucket) },
    { principal: p, what: "PutObject of the delta naming the bucket's encryption itself", expect: 'allow', requests: put(w, bucket, deltaArn(w, bucket), explicitSse) },
    { principal: p, sdk: 's3:GetObject', what: 'GetObject of the delta (apply, before acquire)', expect: 'allow', requests: get(w, bucket) },
    { principal: p, what: "PutObject under another lineage's prefix", expect: 'deny', requests: put(w, bucket, deltaArn(w, bucket, OTHER)) },
    { principal: p, what: "GetObject under another lineage's prefix", expect: 'deny', requests: get(w, bucket, deltaArn(w, bucket, OTHER)) },
    { principal: p, what: 'PutObject at the bucket root, outside any lineage prefix', expect: 'deny', requests: put(w, bucket, `${bucketArn(w, bucket)}/${SNAPSHOT}.delta`) },
    { principal: p, what: 'PutObject of the same key in another bucket', expect: 'deny', requests: put(w, other, deltaArn(w, other)) },
    { principal: p, what: 'GetObject of the same key in another bucket', expect: 'deny', requests: get(w, other, deltaArn(w, other)) },
    { principal: p, what: 'PutObject over plain HTTP (the bucket policy denies it)', expect: 'deny', requests: put(w, bucket, deltaArn(w, bucket), { 'aws:SecureTransport': 'false' }) },
    { principal: p, what: 'DeleteObject of the delta (the lifecycle deletes)', expect: 'deny', requests: [{ action: 's3:DeleteObject', resource: deltaArn(w, bucket), context: SDK_REQUEST }] },
    {
      principal: p,
      what: "ListBucket of the lineage's prefix (the record names the key)",
      expect: 'deny',
      requests: [{ action: 's3:ListBucket', resource: bucketArn(w, bucket), context: { ...SDK_REQUEST, 's3:prefix': `${w.names.lineage}/` } }],
    },
    ...(w.kmsKeyArn
      ? ([
          { principal: p, what: 'GenerateDataKey of the home key via S3 for another bucket', expect: 'deny', requests: [viaS3(w, 'kms:GenerateDataKey', other)] },
          { principal: p, what: 'Decrypt with the home key via S3 for another bucket', expect: 'deny', requests: [viaS3(w, 'kms:Decrypt', other)] },
          {
            principal: p,
            what: 'Decrypt with the home key directly, not via S3',
            expect: 'deny',
            requests: [{ action: 'kms:Decrypt', resource: w.kmsKeyArn, context: { 'kms:CallerAccount': w.env.account, 'kms:EncryptionContext:aws:s3:arn': bucketArn(w, bucket) } }],
          },
          {
            principal: p,
            what: 'Decrypt with the home key via EC2 (the volume path is the infrastructure role’s)',
            expect: 'deny',
            requests: [{ action: 'kms:Decrypt', resource: w.kmsKeyArn, context: { 'kms:ViaService': `ec2.${w.env.region}.amazonaws.com`, 'kms:CallerAccount': w.env.account } }],
          },
        ] satisfies SimCall[])
      : []),
  ];
}

/** Principals other than the keeper never touch a delta. */
export function noHandoffAccess(w: IamWorld, principal: PrincipalName): SimCall[] {
  const bucket = w.handoffBucket;
  if (!bucket) return [];
  return [
    { principal, what: 'GetObject of a handoff delta (only the keeper reads them)', expect: 'deny', requests: get(w, bucket) },
    { principal, what: 'PutObject of a handoff delta (only the keeper writes them)', expect: 'deny', requests: put(w, bucket) },
  ];
}
