/** Partition-aware parsing of the ARNs the config accepts (ACM certificates, KMS keys). */

export interface Arn {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  readonly resource: string;
}

const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b'];

export function parseArn(s: string): Arn | undefined {
  const m = /^arn:([a-z-]+):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|):(.+)$/.exec(s);
  if (!m || !PARTITIONS.includes(m[1]!)) return undefined;
  return { partition: m[1]!, service: m[2]!, region: m[3]!, account: m[4]!, resource: m[5]! };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MRK = /^mrk-[0-9a-f]{32}$/;

/** An ACM certificate ARN: `arn:<partition>:acm:<region>:<account>:certificate/<uuid>`. */
export function parseCertificateArn(s: string): Arn | undefined {
  const arn = parseArn(s);
  if (!arn || arn.service !== 'acm' || !arn.region || !arn.account) return undefined;
  const m = /^certificate\/(.+)$/.exec(arn.resource);
  return m && UUID.test(m[1]!) ? arn : undefined;
}

export type KmsArnKind = 'key' | 'alias';

/** A KMS key ARN (`key/<uuid>` or multi-Region `key/mrk-…`); also tells an alias ARN apart. */
export function parseKmsArn(s: string): (Arn & { kind: KmsArnKind }) | undefined {
  const arn = parseArn(s);
  if (!arn || arn.service !== 'kms' || !arn.region || !arn.account) return undefined;
  const key = /^key\/(.+)$/.exec(arn.resource);
  if (key && (UUID.test(key[1]!) || MRK.test(key[1]!))) return { ...arn, kind: 'key' };
  if (/^alias\/[A-Za-z0-9/_-]{1,250}$/.test(arn.resource)) return { ...arn, kind: 'alias' };
  return undefined;
}

/** A standard SNS topic ARN, `arn:<partition>:sns:<region>:<account>:<name>` (FIFO topics are not alarm targets). */
export function parseSnsTopicArn(s: string): Arn | undefined {
  const arn = parseArn(s);
  if (!arn || arn.service !== 'sns' || !arn.region || !arn.account) return undefined;
  return /^[A-Za-z0-9_-]{1,256}$/.test(arn.resource) ? arn : undefined;
}
