/** The ECS infrastructure role of the home volume. */
import type { IamWorld, PrincipalName } from '../world.js';
import { type SimCall } from './shared.js';

// ---- the ECS infrastructure role's KMS path (customer-managed home key only) ------------------

export function infrastructure(w: IamWorld): SimCall[] {
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
