/**
 * The zod 4 schema of the config file: shape, types and single-field rules. Unknown keys are
 * errors (strict objects). Every leaf builds its own message from the value it received, so a
 * message always carries the value, the allowed range or choices and the fix. Rules that involve
 * more than one field live in rules.ts.
 */
import { z } from 'zod';
import { parseCertificateArn, parseKmsArn, parseSnsTopicArn } from './arn.js';
import { FARGATE_CPUS, isFargateCpu } from './fargate.js';
import { DEFAULTS } from './defaults.js';
import { closest, show } from './issues.js';
import {
  availabilityZoneRegion,
  AWS_REGIONS,
  cidrProblem,
  EFS_ACCESS_POINT_ID_PATTERN,
  EFS_ID_PATTERN,
  FARGATE_UNSUPPORTED_ZONE_ID,
  HOSTED_ZONE_ID_PATTERN,
  isDnsName,
  isKnownRegion,
  SNAPSHOT_ID_PATTERN,
  VPC_ID_PATTERN,
  ZONE_ID_PATTERN,
} from './network.js';
import { REGION_FACTS_SOURCE } from './regions.generated.js';

type Describe = (input: unknown) => string;
const msg = (describe: Describe) => (iss: { input?: unknown }) => describe(iss.input);

const missing = (key: string, example: string): string => `is required but missing — add ${key}: ${example}`;

interface IntSpec {
  readonly min: number;
  readonly max?: number;
  readonly unit?: string;
  readonly example: number;
  /** Extra words after the range, e.g. a per-type note. */
  readonly note?: string;
}

export function rangeText(min: number, max: number | undefined, unit = ''): string {
  const u = unit ? ` ${unit}` : '';
  return max === undefined ? `${min} or more${u}` : `${min}..${max}${u}`;
}

/**
 * A number written as a string (`keepLast: "12"`, `cpu: "2048"`): one wording for every numeric
 * key. `allowed` is the range or choices; undefined when `v` is not such a string.
 */
function quotedNumber(key: string, v: unknown, allowed: string): string | undefined {
  if (typeof v !== 'string' || v.trim() === '' || Number.isNaN(Number(v))) return undefined;
  return `${show(v)} is a string, not a number; allowed ${allowed} — write ${key}: ${v.trim()} without quotes`;
}

function describeInt(key: string, spec: IntSpec): Describe {
  const range = rangeText(spec.min, spec.max, spec.unit) + (spec.note ? ` ${spec.note}` : '');
  return (v) => {
    if (v === undefined) return missing(key, String(spec.example));
    const quoted = quotedNumber(key, v, range);
    if (quoted) return quoted;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      return `${show(v)} is not a number; allowed ${range} — set ${key} to a whole number such as ${spec.example}`;
    }
    if (!Number.isInteger(v)) {
      return `${v} is not a whole number; allowed ${range} — set ${key} to a whole number such as ${Math.round(v)}`;
    }
    if (v < spec.min) return `${v} is below the minimum; allowed ${range} — set ${key} to at least ${spec.min}`;
    if (spec.max !== undefined && v > spec.max) {
      return `${v} is above the maximum; allowed ${range} — set ${key} to at most ${spec.max}`;
    }
    return `${show(v)} is not allowed; allowed ${range}`;
  };
}

export function int(key: string, spec: IntSpec) {
  const e = { error: msg(describeInt(key, spec)) };
  const base = z.number(e).int(e).min(spec.min, e);
  return spec.max === undefined ? base : base.max(spec.max, e);
}

/** `"2 vCPU"`, `"0.5vcpu"`, `"4 vcpus"`: the vCPU count, else undefined. */
function vcpuCount(v: unknown): number | undefined {
  const m = typeof v === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*v?cpus?\s*$/i.exec(v) : null;
  return m ? Number(m[1]) : undefined;
}

function fargateCpu(key: string) {
  const choices = FARGATE_CPUS.join(', ');
  const allowed = `Fargate cpu values ${choices} (1024 = 1 vCPU)`;
  const d: Describe = (v) => {
    if (v === undefined) return missing(key, '1024');
    const quoted = quotedNumber(key, v, allowed);
    if (quoted) return quoted;
    const vcpus = vcpuCount(v);
    if (vcpus !== undefined) {
      const units = vcpus * 1024;
      return isFargateCpu(units)
        ? `${show(v)} is a string, not a number; allowed ${allowed} — write ${key}: ${units} for ${vcpus} vCPU`
        : `${show(v)} is not a Fargate size (${units} cpu units); allowed ${allowed} — set ${key} to one of them`;
    }
    if (typeof v !== 'number') return `${show(v)} is not a number; allowed ${allowed} — set ${key} to one of them`;
    const near = [...FARGATE_CPUS].sort((a, b) => Math.abs(a - v) - Math.abs(b - v))[0];
    return `${v} is not a Fargate cpu value; allowed ${allowed} — set ${key} to one of them, e.g. ${near}`;
  };
  return z.number({ error: msg(d) }).refine(isFargateCpu, { error: msg(d) });
}

export function oneOf<const T extends readonly [string, ...string[]]>(key: string, choices: T) {
  const list = choices.join(' | ');
  const d: Describe = (v) => {
    if (v === undefined) return missing(key, choices[0]);
    const hint = typeof v === 'string' ? closest(v, choices) : undefined;
    const fix = hint ? `did you mean ${hint}? set ${key}: ${hint}` : `set ${key} to one of them`;
    return `${show(v)} is not one of ${list} — ${fix}`;
  };
  return z.enum(choices, { error: msg(d) });
}

/** A string that must satisfy `check`; `want` describes the allowed form, `fix` how to repair. */
export function str(key: string, want: string, check: (s: string) => boolean, fix: (v: unknown) => string) {
  const d: Describe = (v) => {
    if (v === undefined) return `${key} is required but missing (received nothing); allowed ${want} — ${fix(v)}`;
    if (typeof v !== 'string') return `${show(v)} is not a string; allowed ${want} — ${fix(v)}`;
    return `${show(v)} is not ${want} — ${fix(v)}`;
  };
  return z.string({ error: msg(d) }).refine(check, { error: msg(d) });
}

function bool(key: string) {
  const d: Describe = (v) => `${show(v)} is not true or false — write ${key}: true or ${key}: false (no quotes)`;
  return z.boolean({ error: msg(d) });
}

/** A strict mapping: unknown keys are reported per key by parse.ts with a suggestion. */
export function mapping<S extends z.ZodRawShape>(key: string, shape: S) {
  const keys = Object.keys(shape).join(', ');
  const d: Describe = (v) => `${show(v)} is not a mapping; expected keys ${keys} — write ${key} as a mapping of those keys, or remove it for the defaults`;
  return z.strictObject(shape, { error: msg(d) });
}

function list<T extends z.ZodType>(key: string, item: T, what: string) {
  const d: Describe = (v) => `${show(v)} is not a list; expected a list of ${what} — write ${key} as a YAML list (- item per line) or remove it for the default`;
  return z.array(item, { error: msg(d) });
}

/** Lowercase, hyphenated guess at a valid `name` from an invalid one. */
export function suggestName(v: unknown): string {
  const s = typeof v === 'string' ? v.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^[^a-z]+/, '').replace(/-+$/, '') : '';
  return s.length >= 2 ? s.slice(0, 31) : 'ci';
}

export const NAME_PATTERN = /^[a-z][a-z0-9-]{1,30}$/;
export const JENKINS_VERSION_PATTERN = /^\d+\.\d+\.\d+$/;
export const AGENT_LABEL_PATTERN = /^[A-Za-z0-9_.-]+$/;

const jenkinsVersion = (() => {
  const key = 'jenkinsVersion';
  const d: Describe = (v) => {
    const fix = `set ${key} to a pinned LTS release in quotes, e.g. "${DEFAULTS.jenkinsVersion}"`;
    if (typeof v === 'number') return `${v} is a number (YAML reads unquoted versions as numbers) and not a pinned X.Y.Z LTS version — ${fix}`;
    if (v === 'latest' || v === 'lts') return `${show(v)} is not pinned; allowed X.Y.Z, e.g. "${DEFAULTS.jenkinsVersion}" — ${fix}; a moving tag changes Jenkins under you on every restart`;
    return `${show(v)} is not a pinned X.Y.Z LTS version — ${fix}`;
  };
  return z.string({ error: msg(d) }).regex(JENKINS_VERSION_PATTERN, { error: msg(d) });
})();

const cidr = (key: string) => {
  const d: Describe = (v) => {
    if (typeof v !== 'string') return `${show(v)} is not a CIDR string; allowed IPv4 (a.b.c.d/0..32) or IPv6 (x::/0..128) — quote it, e.g. "10.0.0.0/16"`;
    return `${show(v)} is not a valid CIDR (${cidrProblem(v) ?? 'unknown'}); allowed IPv4 a.b.c.d/0..32 or IPv6 x::/0..128 — fix ${key} entry, e.g. "203.0.113.0/24"`;
  };
  return z.string({ error: msg(d) }).refine((s) => cidrProblem(s) === undefined, { error: msg(d) });
};

const kmsKeyArn = (() => {
  const want = 'a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<key-id>)';
  const d: Describe = (v) => {
    if (typeof v === 'string' && parseKmsArn(v)?.kind === 'alias') {
      // IAM grants for the ECS infrastructure role are written on the key's ARN; an alias ARN in a
      // policy does not match the key, so the volume could not be created. See the README's configuration reference.
      return `${show(v)} is an alias ARN; allowed ${want} — use the key ARN the alias points to (aws kms describe-key --key-id alias/…)`;
    }
    return `${show(v)} is not ${want} — copy the key ARN from the KMS console or aws kms describe-key`;
  };
  return z.string({ error: msg(d) }).refine((s) => parseKmsArn(s)?.kind === 'key', { error: msg(d) });
})();

/**
 * An availability zone *name* of a new VPC (`us-east-1a`), which is what CloudFormation subnets
 * take. A zone *id* (`use1-az1`) is the same physical zone in every account, the name is not: an
 * id is refused with the command that maps it, and `use1-az3`, where Fargate does not run
 * (aws-facts), with that reason.
 */
const availabilityZone = (() => {
  const key = 'availabilityZones';
  const d: Describe = (v) => {
    if (typeof v === 'string' && ZONE_ID_PATTERN.test(v)) {
      const why = v === FARGATE_UNSUPPORTED_ZONE_ID ? `Fargate does not run in ${v}; pick another zone` : `a zone id, not a zone name`;
      return `${show(v)}: ${why}; allowed zone names such as us-east-1a — write the name your account gives a supported zone (aws ec2 describe-availability-zones --query 'AvailabilityZones[].[ZoneName,ZoneId]')`;
    }
    return `${show(v)} is not an availability zone name of a known region (a region such as us-east-1 and a letter: us-east-1a) — fix the ${key} entry`;
  };
  return z.string({ error: msg(d) }).refine((s) => availabilityZoneRegion(s) !== undefined, { error: msg(d) });
})();

export const homeSchema = mapping('home', {
  sizeGiB: int('sizeGiB', { min: 1, max: 16384, unit: 'GiB', example: 50, note: '(io1/io2: 4..16384)' }).optional(),
  volumeType: oneOf('volumeType', ['gp3', 'io2', 'io1', 'gp2']).optional(),
  iops: int('iops', { min: 100, max: 256000, example: 3000, note: '(gp3 3000..16000, io1 100..64000, io2 100..256000)' }).optional(),
  throughputMiBps: int('throughputMiBps', { min: 125, max: 1000, unit: 'MiB/s', example: 125, note: '(gp3 only)' }).optional(),
  fileSystem: oneOf('fileSystem', ['xfs', 'ext4']).optional(),
  kmsKeyArn: kmsKeyArn.optional(),
  seedSnapshotId: str('seedSnapshotId', 'a snapshot id (snap- and 8 or 17 hex digits)', (s) => SNAPSHOT_ID_PATTERN.test(s), () => 'copy the id from aws ec2 describe-snapshots, e.g. snap-0123456789abcdef0').optional(),
  initializationRateMiBps: int('initializationRateMiBps', { min: 100, max: 300, unit: 'MiB/s', example: 200 }).optional(),
});

export const snapshotsSchema = mapping('snapshots', {
  intervalMinutes: int('intervalMinutes', { min: 5, max: 1440, unit: 'minutes', example: 15 }).optional(),
  keepLast: int('keepLast', { min: 1, max: 10000, example: 12 }).optional(),
  keepDailyDays: int('keepDailyDays', { min: 0, max: 3650, unit: 'days', example: 14 }).optional(),
});

export const controllerSchema = mapping('controller', {
  jenkinsVersion: jenkinsVersion.optional(),
  cpu: fargateCpu('cpu').optional(),
  memoryMiB: int('memoryMiB', { min: 512, max: 122880, unit: 'MiB', example: 4096, note: '(a valid pair with cpu)' }).optional(),
  home: homeSchema.optional(),
  snapshots: snapshotsSchema.optional(),
});

export const agentSchema = mapping('agents[]', {
  label: str('label', 'a Jenkins label of letters, digits, _ . -', (s) => AGENT_LABEL_PATTERN.test(s), () => 'set label to e.g. linux or build-large'),
  cpu: fargateCpu('cpu').optional(),
  memoryMiB: int('memoryMiB', { min: 512, max: 122880, unit: 'MiB', example: 2048, note: '(a valid pair with cpu)' }).optional(),
  image: str('image', 'a non-empty container image reference', (s) => s.trim() !== '' && !/\s/.test(s), () => 'set image to e.g. jenkins/inbound-agent:3345.v03dee9b_f88fc-1-jdk21').optional(),
  capacity: oneOf('capacity', ['spot', 'on-demand']).optional(),
  maxAgents: int('maxAgents', { min: 1, max: 100, example: 10 }).optional(),
});

export const accessSchema = mapping('access', {
  internal: bool('internal').optional(),
  allowedCidrs: list('allowedCidrs', cidr('allowedCidrs'), 'CIDR strings')
    .min(1, { error: () => 'an empty list admits nobody; allowed one or more CIDRs — list at least one, e.g. "203.0.113.0/24", or remove the key for ["0.0.0.0/0"]' })
    .optional(),
  domainName: str('domainName', 'a fully qualified DNS name', isDnsName, () => 'set domainName to e.g. jenkins.example.com').optional(),
  hostedZoneId: str('hostedZoneId', 'a Route 53 hosted zone id (Z followed by letters and digits)', (s) => HOSTED_ZONE_ID_PATTERN.test(s), () => 'copy the id from aws route53 list-hosted-zones without the /hostedzone/ prefix').optional(),
  certificateArn: str('certificateArn', 'an ACM certificate ARN (arn:<partition>:acm:<region>:<account>:certificate/<uuid>)', (s) => parseCertificateArn(s) !== undefined, () => 'copy the ARN from aws acm list-certificates').optional(),
});

/** An e-mail address as SNS accepts for an `email` subscription (one @, a dotted domain, no spaces). */
export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const notificationsSchema = mapping('notifications', {
  emails: list('emails', str('emails', 'an e-mail address', (s) => EMAIL_PATTERN.test(s), () => 'write each entry as an address, e.g. ops@example.com'), 'e-mail addresses')
    .min(1, { error: () => 'an empty list subscribes nobody; allowed one or more addresses — list at least one, e.g. ops@example.com, or remove the key' })
    .optional(),
  topicArn: str('topicArn', 'a standard SNS topic ARN (arn:<partition>:sns:<region>:<account>:<topic-name>)', (s) => parseSnsTopicArn(s) !== undefined, () => 'copy the ARN from aws sns list-topics, e.g. arn:aws:sns:us-east-1:123456789012:ops-alerts').optional(),
});

export const reconcilerSchema = mapping('reconciler', {
  reservedConcurrency: int('reservedConcurrency', { min: 1, max: 1000, example: 1, note: '(reserved from the account\'s Lambda concurrency quota; leave unset unless the account has spare)' }).optional(),
});

export const configSchema = mapping('the file', {
  name: str('name', 'a name matching ^[a-z][a-z0-9-]{1,30}$ (lowercase letter, then 1..30 lowercase letters, digits or hyphens)', (s) => NAME_PATTERN.test(s), (v) => `set name to e.g. ${suggestName(v)}`),
  region: str('region', `an AWS region known to ${REGION_FACTS_SOURCE} (${AWS_REGIONS.length} regions: ${AWS_REGIONS.join(', ')})`, isKnownRegion, (v) => {
    const near = typeof v === 'string' ? closest(v, AWS_REGIONS) : undefined;
    return `${near ? `did you mean ${near}? set region: ${near}` : 'set region to e.g. us-east-1'}, or remove it to use the environment`;
  }).optional(),
  vpc: mapping('vpc', {
    id: str('id', 'a VPC id (vpc- and 8 or 17 hex digits)', (s) => VPC_ID_PATTERN.test(s), () => 'copy it from aws ec2 describe-vpcs, e.g. vpc-0123456789abcdef0').optional(),
    availabilityZones: list('availabilityZones', availabilityZone, 'availability zone names').optional(),
  }).optional(),
  access: accessSchema.optional(),
  controller: controllerSchema.optional(),
  agents: list('agents', agentSchema, 'agent templates').optional(),
  migration: mapping('migration', {
    efsFileSystemId: str('efsFileSystemId', 'an EFS file system id (fs- and 8 or 17 hex digits)', (s) => EFS_ID_PATTERN.test(s), () => 'copy it from aws efs describe-file-systems, e.g. fs-0123456789abcdef0'),
    efsAccessPointId: str('efsAccessPointId', 'an EFS access point id (fsap- and 17 hex digits)', (s) => EFS_ACCESS_POINT_ID_PATTERN.test(s), () => 'copy it from aws efs describe-access-points, or remove it to mount the file system root').optional(),
  }).optional(),
  notifications: notificationsSchema.optional(),
  reconciler: reconcilerSchema.optional(),
});

/** The shape zod hands back: every field still optional, before defaults. */
export type RawConfig = z.infer<typeof configSchema>;

/** Known keys of the mapping at `path` (array indices step into the element), for "did you mean". */
export function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let s: z.ZodType = configSchema;
  for (const seg of path) {
    while (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    if (typeof seg === 'number') {
      if (s instanceof z.ZodArray) s = s.element as z.ZodType;
      else return [];
    } else if (s instanceof z.ZodObject) {
      const next = (s.shape as Record<string, z.ZodType>)[String(seg)];
      if (!next) return [];
      s = next;
    } else return [];
  }
  while (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

/** Every place in the schema where `key` is a known key, as paths like `controller.home` or `agents[].cpu`. */
export function placesOfKey(key: string): string[] {
  const out: string[] = [];
  const walk = (schema: z.ZodType, path: string): void => {
    let s = schema;
    while (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    if (s instanceof z.ZodArray) return walk(s.element as z.ZodType, `${path}[]`);
    if (!(s instanceof z.ZodObject)) return;
    for (const [k, child] of Object.entries(s.shape as Record<string, z.ZodType>)) {
      const here = path === '' ? k : `${path}.${k}`;
      if (k === key) out.push(here);
      walk(child, here);
    }
  };
  walk(configSchema, '');
  return out;
}
