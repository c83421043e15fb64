/**
 * What `jenkins-ecs migrate` decides before it starts anything: which of the deployment's subnets
 * can reach a mount target of the file system, whether the mount target's security groups admit
 * NFS from the migration task, and how long the copy should take. Pure: the CLI reads the facts
 * (EFS, EC2, CloudWatch) and hands them in.
 */
import { fargateEbsCeiling } from '../config/fargate.js';
import { efsBaselineMiBps, efsBurstMiBps, meteringFactor } from '../config/efs-burst.js';
import { NFS_PORT } from './events.js';

/**
 * Size of the migration task. 4 vCPU: a Fargate task's EBS throughput ceiling grows with its size
 * (120 MiB/s at 4 vCPU, 75 at 2; config/fargate.ts) and bounds the copy. 8 GiB: rsync holds the
 * whole file list (--no-inc-recursive, about 100 bytes per file), the verification an inode map.
 */
export const MIGRATION_TASK_CPU = 4096;
export const MIGRATION_TASK_MEMORY_MIB = 8192;

export interface SubnetFact {
  readonly subnetId: string;
  readonly availabilityZone: string;
  readonly cidr?: string;
}

export interface MountTargetFact {
  readonly mountTargetId: string;
  readonly availabilityZone: string;
  /** available | creating | deleting ... */
  readonly state: string;
  readonly securityGroups: readonly string[];
}

export interface IngressRule {
  /** '-1' for all protocols, else 'tcp', 'udp', ... */
  readonly protocol: string;
  readonly fromPort?: number;
  readonly toPort?: number;
  readonly sourceGroups: readonly string[];
  readonly cidrs: readonly string[];
}

export interface SecurityGroupFact {
  readonly groupId: string;
  readonly ingress: readonly IngressRule[];
}

function ipv4(addr: string): number | undefined {
  const parts = addr.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

/** True when IPv4 CIDR `inner` lies entirely inside `outer`. */
export function cidrContains(outer: string, inner: string): boolean {
  const [oa, ob] = outer.split('/');
  const [ia, ib] = inner.split('/');
  const o = ipv4(oa ?? '');
  const i = ipv4(ia ?? '');
  const op = Number(ob);
  const ip = Number(ib ?? '32');
  if (o === undefined || i === undefined || !(op >= 0 && op <= 32) || !(ip >= op && ip <= 32)) return false;
  const size = 2 ** (32 - op);
  return Math.floor(o / size) === Math.floor(i / size);
}

function coversNfs(rule: IngressRule): boolean {
  if (rule.protocol === '-1') return true;
  if (rule.protocol !== 'tcp' && rule.protocol !== '6') return false;
  return (rule.fromPort ?? 0) <= NFS_PORT && NFS_PORT <= (rule.toPort ?? 65535);
}

/** Whether any of the mount target's groups admits TCP 2049 from the task's group or its subnet. */
export function admitsNfs(groups: readonly SecurityGroupFact[], taskGroup: string, subnetCidr: string | undefined): boolean {
  return groups.some((g) =>
    g.ingress.some((r) => coversNfs(r) && (r.sourceGroups.includes(taskGroup) || (subnetCidr !== undefined && r.cidrs.some((c) => cidrContains(c, subnetCidr))))),
  );
}

export type NetworkVerdict =
  | { readonly ok: true; readonly subnets: readonly string[] }
  | { readonly ok: false; readonly reason: 'no-mount-target' | 'nfs-not-allowed'; readonly message: string };

/**
 * The subnets RunTask may use: those of the deployment whose AZ has an available mount target
 * that admits NFS from the migration task. A refusal names the one fix.
 */
export function usableSubnets(input: {
  readonly fileSystemId: string;
  readonly subnets: readonly SubnetFact[];
  readonly mountTargets: readonly MountTargetFact[];
  readonly groups: readonly SecurityGroupFact[];
  readonly taskGroup: string;
}): NetworkVerdict {
  const available = input.mountTargets.filter((m) => m.state === 'available');
  const reachable = input.subnets.filter((s) => available.some((m) => m.availabilityZone === s.availabilityZone));
  if (reachable.length === 0) {
    const azs = [...new Set(input.subnets.map((s) => s.availabilityZone))].sort();
    const first = input.subnets[0];
    return {
      ok: false,
      reason: 'no-mount-target',
      message: `${input.fileSystemId} has no available mount target in the AZs of the deployment's subnets (${azs.join(', ')}); add one, e.g. aws efs create-mount-target --file-system-id ${input.fileSystemId} --subnet-id ${first?.subnetId ?? '<subnet>'}`,
    };
  }
  const admitted = reachable.filter((s) => {
    const target = available.find((m) => m.availabilityZone === s.availabilityZone);
    const groups = input.groups.filter((g) => target?.securityGroups.includes(g.groupId));
    return admitsNfs(groups, input.taskGroup, s.cidr);
  });
  if (admitted.length === 0) {
    const target = available.find((m) => reachable.some((s) => s.availabilityZone === m.availabilityZone));
    const group = target?.securityGroups[0] ?? '<mount target security group>';
    return {
      ok: false,
      reason: 'nfs-not-allowed',
      message: `the security groups of ${input.fileSystemId}'s mount target ${target?.mountTargetId ?? ''} do not allow NFS from the migration task; add: aws ec2 authorize-security-group-ingress --group-id ${group} --protocol tcp --port ${NFS_PORT} --source-group ${input.taskGroup}`,
    };
  }
  return { ok: true, subnets: admitted.map((s) => s.subnetId) };
}

export type ThroughputMode = 'bursting' | 'elastic' | 'provisioned';

export interface EstimateInput {
  readonly sizeBytes: number;
  readonly throughputMode: ThroughputMode;
  readonly provisionedMiBps?: number;
  /** BurstCreditBalance (bytes), when CloudWatch had a datapoint. @default - a full bucket (assumed) */
  readonly burstCreditBytes?: number;
  /** Write ceiling of the new volume (gp3: its throughput). */
  readonly volumeThroughputMiBps: number;
}

export interface CopyEstimate {
  /** The task's write ceiling: min(Fargate EBS ceiling of the task, the volume's throughput). */
  readonly writeMiBps: number;
  /** What the source delivers while credits last (or always, outside bursting). */
  readonly readMiBps: number;
  readonly seconds: number;
  /** Bursting only. */
  readonly burst?: {
    readonly creditBytes: number;
    readonly creditAssumed: boolean;
    /** Seconds until the credits run out during the copy; undefined if they last. */
    readonly emptyAfterSeconds?: number;
    /** Read rate once they are out (baseline, reads metered at 1/3). */
    readonly afterEmptyMiBps: number;
    /** The same copy at the write ceiling, as on Elastic throughput. */
    readonly elasticSeconds: number;
  };
}

const MiB = 1024 * 1024;

/**
 * Copy time for the bytes alone (rsync also pays a round trip per file over NFS, so a home of many
 * small files takes longer). Bursting uses the credit arithmetic of `plan` (config/efs-burst.ts):
 * a pure read is metered at 1/3, credits drain at metered rate minus baseline.
 */
export function estimateCopy(input: EstimateInput): CopyEstimate {
  const writeMiBps = Math.min(fargateEbsCeiling(MIGRATION_TASK_CPU).throughputMiBps, input.volumeThroughputMiBps);
  const sizeMiB = input.sizeBytes / MiB;
  const factor = meteringFactor(1);
  if (input.throughputMode !== 'bursting') {
    const source = input.throughputMode === 'provisioned' ? (input.provisionedMiBps ?? 0) / factor : Infinity;
    const readMiBps = Math.min(writeMiBps, source);
    return { writeMiBps, readMiBps, seconds: readMiBps > 0 ? sizeMiB / readMiBps : Infinity };
  }
  const storedGiB = input.sizeBytes / (1024 * MiB);
  const baseline = efsBaselineMiBps(storedGiB);
  const burstRate = efsBurstMiBps(storedGiB);
  const readMiBps = Math.min(writeMiBps, burstRate / factor);
  const afterEmptyMiBps = Math.min(writeMiBps, baseline / factor);
  const creditAssumed = input.burstCreditBytes === undefined;
  // A full bucket: 2.1 TiB, or 2.1 TiB per TiB stored (config/efs-burst.ts).
  const creditMiB = (input.burstCreditBytes ?? 2.1 * 1024 * 1024 * MiB * Math.max(1, storedGiB / 1024)) / MiB;
  const drain = Math.max(0, readMiBps * factor - baseline);
  const lastsSeconds = drain > 0 ? creditMiB / drain : Infinity;
  const fullSpeedSeconds = sizeMiB / readMiBps;
  const elasticSeconds = sizeMiB / writeMiBps;
  if (lastsSeconds >= fullSpeedSeconds) {
    return { writeMiBps, readMiBps, seconds: fullSpeedSeconds, burst: { creditBytes: creditMiB * MiB, creditAssumed, afterEmptyMiBps, elasticSeconds } };
  }
  const rest = sizeMiB - readMiBps * lastsSeconds;
  return {
    writeMiBps,
    readMiBps,
    seconds: lastsSeconds + rest / afterEmptyMiBps,
    burst: { creditBytes: creditMiB * MiB, creditAssumed, emptyAfterSeconds: lastsSeconds, afterEmptyMiBps, elasticSeconds },
  };
}

/** `45s`, `12 min`, `3.4 h`, `2.1 days`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'forever';
  if (seconds < 90) return `${Math.round(seconds)}s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} days`;
}

/** The lines printed before the copy starts. */
export function describeEstimate(fileSystemId: string, sizeBytes: number, est: CopyEstimate): string[] {
  const gib = (sizeBytes / (1024 * MiB)).toFixed(1);
  const lines = [`estimate: ${gib} GiB at up to ${est.readMiBps.toFixed(0)} MiB/s (task write ceiling ${est.writeMiBps} MiB/s): about ${formatDuration(est.seconds)} for the data, longer for many small files`];
  const b = est.burst;
  if (b) {
    const creditGiB = b.creditBytes / (1024 * MiB);
    const amount = creditGiB >= 1024 ? `${(creditGiB / 1024).toFixed(2)} TiB` : `${creditGiB.toFixed(0)} GiB`;
    const credit = `${amount} of burst credits${b.creditAssumed ? ' (assumed full: no BurstCreditBalance datapoint could be read)' : ''}`;
    lines.push(
      b.emptyAfterSeconds === undefined
        ? `${fileSystemId} is in bursting mode; ${credit} last for the whole copy`
        : `${fileSystemId} is in bursting mode; ${credit} run out after ${formatDuration(b.emptyAfterSeconds)}, then reads fall to ${b.afterEmptyMiBps.toFixed(1)} MiB/s`,
      `switch it to Elastic throughput for the copy (about ${formatDuration(b.elasticSeconds)}): aws efs update-file-system --file-system-id ${fileSystemId} --throughput-mode elastic`,
    );
  }
  return lines;
}
