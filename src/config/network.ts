/** Validators for network-ish strings: CIDRs, regions, DNS names, ids. Pure, no dependencies. */
import { AWS_REGION_PARTITIONS } from './regions.generated.js';

/** Returns the reason a string is not a valid IPv4 CIDR, or undefined if it is valid. */
function ipv4CidrProblem(s: string): string | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  if (!m) return 'an IPv4 CIDR needs a prefix length, e.g. 10.0.0.0/16';
  const octets = m[1]!.split('.');
  if (octets.length !== 4) return 'an IPv4 address has 4 dot-separated parts';
  for (const o of octets) {
    // No leading zeros: "010" is ambiguous (octal in some parsers).
    if (!/^(0|[1-9]\d{0,2})$/.test(o) || Number(o) > 255) return `octet "${o}" is not 0..255`;
  }
  const prefix = Number(m[2]);
  if (prefix > 32) return `prefix length /${prefix} is above 32`;
  return undefined;
}

function ipv6Groups(addr: string): number[] | undefined {
  const halves = addr.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups = part.split(':');
    const out: number[] = [];
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0]!);
  if (!head) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const tail = parse(halves[1]!);
  if (!tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

function ipv6CidrProblem(s: string): string | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  if (!m) return 'an IPv6 CIDR needs a prefix length, e.g. 2001:db8::/32';
  if (!ipv6Groups(m[1]!)) return `"${m[1]}" is not an IPv6 address`;
  const prefix = Number(m[2]);
  if (prefix > 128) return `prefix length /${prefix} is above 128`;
  return undefined;
}

/** Why `s` is not a valid IPv4 or IPv6 CIDR block, or undefined when it is one. */
export function cidrProblem(s: string): string | undefined {
  return s.includes(':') ? ipv6CidrProblem(s) : ipv4CidrProblem(s);
}

export function isCidr(s: string): boolean {
  return cidrProblem(s) === undefined;
}

/** True when the CIDR admits every address (0.0.0.0/0 or ::/0). */
export function isOpenCidr(s: string): boolean {
  return /\/0$/.test(s);
}

/** AWS regions aws-cdk-lib's region facts know (regions.generated.ts), sorted. */
export const AWS_REGIONS: readonly string[] = Object.keys(AWS_REGION_PARTITIONS).sort();

/** Whether aws-cdk-lib's region facts know this region (`us-east-9` is not one). */
export function isKnownRegion(region: string): boolean {
  return Object.prototype.hasOwnProperty.call(AWS_REGION_PARTITIONS, region);
}

/** The partition of a region, from aws-cdk-lib's PARTITION fact (`aws` for an unknown one). */
export function partitionOf(region: string): string {
  return isKnownRegion(region) ? AWS_REGION_PARTITIONS[region]! : 'aws';
}

/** The region of an availability zone name (`us-east-1a` → `us-east-1`), if the region is known. */
export function availabilityZoneRegion(name: string): string | undefined {
  const m = /^([a-z0-9-]+-\d+)([a-z])$/.exec(name);
  return m && isKnownRegion(m[1]!) ? m[1] : undefined;
}

/** An availability zone id: the same physical zone in every account (`use1-az1`). */
export const ZONE_ID_PATTERN = /^[a-z]+\d+-az\d+$/;

/** "Fargate in use1-az3 is not supported" (aws-facts, from the AWS Fargate documentation). */
export const FARGATE_UNSUPPORTED_ZONE_ID = 'use1-az3';

export const VPC_ID_PATTERN = /^vpc-([0-9a-f]{8}|[0-9a-f]{17})$/;
export const SNAPSHOT_ID_PATTERN = /^snap-[0-9a-f]{8,17}$/;
/** An EFS file system id (`fs-` and 8 or 17 hex digits). */
export const EFS_ID_PATTERN = /^fs-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
/** An EFS access point id (`fsap-` and 17 hex digits). */
export const EFS_ACCESS_POINT_ID_PATTERN = /^fsap-[0-9a-f]{17}$/;
export const HOSTED_ZONE_ID_PATTERN = /^Z[0-9A-Z]{1,32}$/;

/** A fully qualified DNS name: labels of 1..63 letters, digits and inner hyphens, 253 chars max. */
export function isDnsName(s: string): boolean {
  if (s.length > 253 || !s.includes('.')) return false;
  return s.split('.').every((l) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(l));
}
