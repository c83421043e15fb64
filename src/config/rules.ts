/**
 * Rules that involve more than one field, plus advice (warnings). They run even when other
 * fields are broken: `View` hands a rule only values whose own field passed the schema, and a
 * rule whose inputs are unusable stays silent, so one typo does not hide other problems.
 */
import { agentTaskRoleVar, labelSlug } from './agents-casc.js';
import { ECS_CLOUD_NAME_PATTERN } from './amazon-ecs-keys.js';
import { parseCertificateArn, parseKmsArn } from './arn.js';
import { DEFAULTS, GP3_MIBPS_PER_IOPS, VOLUME_LIMITS } from './defaults.js';
import { defaultMemoryFor, describeMemoryChoices, fargateEbsCeiling, fargateMemoryChoices, isFargatePair } from './fargate.js';
import { error, pathToString, show, warning, type PathSegment } from './issues.js';
import { availabilityZoneRegion, isOpenCidr, partitionOf } from './network.js';
import { jenkinsVersionIssues } from './plugin-lock.js';
import { GP3_PRICES } from './prices.js';
import type { ConfigIssue, VolumeType } from './types.js';

/** Read access to the raw input that hides values whose field (or a parent) has an error. */
export class View {
  constructor(
    private readonly raw: unknown,
    private readonly errorPaths: readonly string[],
  ) {}

  get(path: readonly PathSegment[]): unknown {
    const p = pathToString(path);
    for (const e of this.errorPaths) {
      if (e === '(root)' || p === e || p.startsWith(`${e}.`) || p.startsWith(`${e}[`)) return undefined;
    }
    let cur: unknown = this.raw;
    for (const seg of path) {
      if (cur === null || typeof cur !== 'object') return undefined;
      cur = (cur as Record<string | number, unknown>)[seg];
    }
    return cur;
  }

  num(path: readonly PathSegment[]): number | undefined {
    const v = this.get(path);
    return typeof v === 'number' ? v : undefined;
  }

  str(path: readonly PathSegment[]): string | undefined {
    const v = this.get(path);
    return typeof v === 'string' ? v : undefined;
  }

  /** Whether the key is present in the input at all (whatever its validity). */
  has(path: readonly PathSegment[]): boolean {
    let cur: unknown = this.raw;
    for (const seg of path) {
      if (cur === null || typeof cur !== 'object') return false;
      cur = (cur as Record<string | number, unknown>)[seg];
    }
    return cur !== undefined;
  }

  /** Length of the list at `path` when it is a list, else 0. */
  length(path: readonly PathSegment[]): number {
    const v = this.get(path);
    return Array.isArray(v) ? v.length : 0;
  }
}

function nearest(choices: readonly number[], v: number): number {
  return [...choices].sort((a, b) => Math.abs(a - v) - Math.abs(b - v))[0]!;
}

function pairRule(v: View, base: PathSegment[], defaultCpu: number, out: ConfigIssue[]): void {
  const cpuPresent = v.has([...base, 'cpu']);
  const cpu = v.num([...base, 'cpu']) ?? (cpuPresent ? undefined : defaultCpu);
  const mem = v.num([...base, 'memoryMiB']);
  if (cpu === undefined || mem === undefined) return;
  if (!isFargatePair(cpu, mem)) {
    const choices = fargateMemoryChoices(cpu);
    out.push(
      error(
        pathToString([...base, 'memoryMiB']),
        `${mem} is not a valid Fargate memory for cpu ${cpu}${cpuPresent ? '' : ' (the default)'}; allowed ${describeMemoryChoices(cpu)} MiB — set memoryMiB to ${nearest(choices, mem)}, or pick a cpu that fits ${mem} MiB`,
      ),
    );
  }
}

function volumeRules(v: View, out: ConfigIssue[]): void {
  const base = ['controller', 'home'];
  const p = (k: string) => pathToString([...base, k]);
  const typePresent = v.has([...base, 'volumeType']);
  const type = (v.str([...base, 'volumeType']) ?? (typePresent ? undefined : DEFAULTS.volumeType)) as VolumeType | undefined;
  if (type === undefined) return;
  const limits = VOLUME_LIMITS[type];
  const sizePresent = v.has([...base, 'sizeGiB']);
  const size = v.num([...base, 'sizeGiB']) ?? (sizePresent ? undefined : DEFAULTS.sizeGiB);
  const iops = v.num([...base, 'iops']);
  const iopsPresent = v.has([...base, 'iops']);
  const throughput = v.num([...base, 'throughputMiBps']);

  if (size !== undefined && (size < limits.size[0] || size > limits.size[1])) {
    out.push(error(p('sizeGiB'), `${size} is outside the ${type} size range; allowed ${limits.size[0]}..${limits.size[1]} GiB — set sizeGiB to at least ${limits.size[0]}`));
  }

  if (!limits.iops) {
    if (iops !== undefined) out.push(error(p('iops'), `${iops} is set but ${type} takes no iops (its performance follows sizeGiB) — remove iops, or use volumeType gp3 (3000..16000 IOPS)`));
  } else if (iops === undefined) {
    if (!iopsPresent && type !== 'gp3') {
      out.push(error(p('iops'), `is required for ${type} but missing (received nothing); allowed ${limits.iops[0]}..${limits.iops[1]} (and at most ${limits.iopsPerGiB} per GiB of sizeGiB) — add iops, e.g. iops: 3000`));
    }
  } else {
    const [lo, hi] = limits.iops;
    const per = `(and at most ${limits.iopsPerGiB} per GiB of sizeGiB)`;
    if (iops < lo) out.push(error(p('iops'), `${iops} is below the ${type} minimum; allowed ${lo}..${hi} ${per} — set iops to at least ${lo}`));
    else if (iops > hi) out.push(error(p('iops'), `${iops} is above the ${type} maximum; allowed ${lo}..${hi} ${per} — set iops to at most ${hi}`));
    else if (size !== undefined && limits.iopsPerGiB !== undefined) {
      // gp3's 3000 baseline is available at any size; the ratio binds only above it.
      const max = Math.max(type === 'gp3' ? lo : 0, limits.iopsPerGiB * size);
      if (iops > max) {
        const needSize = Math.ceil(iops / limits.iopsPerGiB);
        out.push(error(p('iops'), `${iops} is more than ${limits.iopsPerGiB} IOPS per GiB of sizeGiB ${size} (at most ${max}); allowed ${lo}..${hi} ${per} — set iops to at most ${max} or sizeGiB to at least ${needSize}`));
      }
    }
  }

  if (throughput !== undefined) {
    if (!limits.throughput) {
      out.push(error(p('throughputMiBps'), `${throughput} is set but throughput is configurable only on gp3 (volumeType is ${type}) — remove throughputMiBps, or use volumeType gp3`));
    } else if (iops !== undefined || !iopsPresent) {
      const effIops = iops ?? DEFAULTS.gp3Iops;
      const max = Math.max(limits.throughput[0], Math.floor(effIops * GP3_MIBPS_PER_IOPS));
      if (throughput > max) {
        out.push(error(p('throughputMiBps'), `${throughput} is more than ${GP3_MIBPS_PER_IOPS} MiB/s per IOPS of iops ${effIops} (at most ${max}); allowed 125..1000 MiB/s and at most 0.25 per IOPS — set throughputMiBps to at most ${max} or iops to at least ${Math.ceil(throughput / GP3_MIBPS_PER_IOPS)}`));
      }
    }
  }

  // Fargate caps per-task EBS performance by cpu; provisioning above that cap is paid for but unusable.
  const cpuPresent = v.has(['controller', 'cpu']);
  const cpu = v.num(['controller', 'cpu']) ?? (cpuPresent ? undefined : DEFAULTS.controllerCpu);
  if (cpu === undefined) return;
  const ceiling = fargateEbsCeiling(cpu);
  const freeIops = type === 'gp3' ? DEFAULTS.gp3Iops : 0;
  if (iops !== undefined && iops > Math.max(ceiling.iops, freeIops)) {
    const waste = iops - Math.max(ceiling.iops, freeIops);
    const price = type === 'gp3' ? ` (about $${(waste * GP3_PRICES.iopsMonth).toFixed(2)}/month)` : '';
    out.push(warning(p('iops'), `${iops} is above the Fargate per-task EBS ceiling of ${ceiling.iops} IOPS for cpu ${cpu}; the extra ${waste} IOPS${price} is money that buys nothing — lower iops to ${Math.max(ceiling.iops, freeIops)} or raise controller.cpu`));
  }
  if (throughput !== undefined && type === 'gp3' && throughput > Math.max(ceiling.throughputMiBps, DEFAULTS.gp3ThroughputMiBps)) {
    const floor = Math.max(ceiling.throughputMiBps, DEFAULTS.gp3ThroughputMiBps);
    const waste = throughput - floor;
    out.push(warning(p('throughputMiBps'), `${throughput} is above the Fargate per-task EBS ceiling of ${ceiling.throughputMiBps} MiB/s for cpu ${cpu}; the extra ${waste} MiB/s (about $${(waste * GP3_PRICES.throughputMonth).toFixed(2)}/month) is money that buys nothing — lower throughputMiBps to ${floor} or raise controller.cpu`));
  }
}

function arnRules(v: View, out: ConfigIssue[]): void {
  const region = v.str(['region']);
  const kms = v.str(['controller', 'home', 'kmsKeyArn']);
  const kmsArn = kms ? parseKmsArn(kms) : undefined;
  if (kmsArn && region) {
    if (kmsArn.partition !== partitionOf(region)) {
      out.push(error('controller.home.kmsKeyArn', `${show(kms)} is in partition ${kmsArn.partition} but region ${region} is in ${partitionOf(region)} — use a key from ${region}`));
    } else if (kmsArn.region !== region) {
      out.push(error('controller.home.kmsKeyArn', `${show(kms)} is in ${kmsArn.region} but region is ${region}; EBS can only use a key in the volume's own region — use a key from ${region} (or a multi-Region replica there)`));
    }
  }
  const cert = v.str(['access', 'certificateArn']);
  const certArn = cert ? parseCertificateArn(cert) : undefined;
  if (certArn && region) {
    if (certArn.partition !== partitionOf(region)) {
      out.push(error('access.certificateArn', `${show(cert)} is in partition ${certArn.partition} but region ${region} is in ${partitionOf(region)} — use a certificate issued in ${region}`));
    } else if (certArn.region !== region) {
      out.push(warning('access.certificateArn', `${show(cert)} is in ${certArn.region} but region is ${region}; a load balancer can only use a certificate from its own region — request or import the certificate in ${region}`));
    }
  }
}

function accessRules(v: View, out: ConfigIssue[]): void {
  const zone = v.str(['access', 'hostedZoneId']);
  const domainPresent = v.has(['access', 'domainName']);
  const domain = v.str(['access', 'domainName']);
  const cert = v.str(['access', 'certificateArn']);
  if (zone !== undefined && !domainPresent) {
    out.push(error('access.hostedZoneId', `${show(zone)} is set but access.domainName is missing; access.hostedZoneId needs access.domainName to know which record to create — add access.domainName (e.g. jenkins.example.com) or remove access.hostedZoneId`));
  }
  if (domain !== undefined && zone === undefined && cert === undefined && !v.has(['access', 'hostedZoneId']) && !v.has(['access', 'certificateArn'])) {
    // The construct still creates an HTTPS listener with a DNS-validated certificate for the name.
    out.push(warning('access.domainName', `${show(domain)} is set without access.hostedZoneId or access.certificateArn: no DNS record is created, and the deploy waits until you add the certificate's DNS validation record by hand — add access.hostedZoneId (record + certificate) or access.certificateArn`));
  }
  if (cert !== undefined && !domainPresent) {
    out.push(warning('access.certificateArn', `is set without access.domainName; browsers will reject the certificate on the load balancer's own DNS name — set access.domainName to a name the certificate covers`));
  }
  const internal = v.get(['access', 'internal']) === true;
  const cidrs = v.get(['access', 'allowedCidrs']);
  const list = Array.isArray(cidrs) ? (cidrs as unknown[]) : v.has(['access', 'allowedCidrs']) ? [] : DEFAULTS.allowedCidrs;
  const open = list.some((c) => typeof c === 'string' && isOpenCidr(c));
  // Any domainName or certificateArn gives an HTTPS listener with HTTP redirected to it.
  const tls = v.has(['access', 'certificateArn']) || domainPresent;
  if (!internal && open && !tls) {
    out.push(warning('access.allowedCidrs', `${list.filter((c) => typeof c === 'string' && isOpenCidr(c)).map(show).join(', ')} exposes the Jenkins login to the internet over plain HTTP — restrict allowedCidrs, set internal: true, or add a certificate (certificateArn, or domainName + hostedZoneId)`));
  }
}

function snapshotRules(v: View, out: ConfigIssue[]): void {
  const base = ['controller', 'snapshots'];
  const interval = v.num([...base, 'intervalMinutes']) ?? (v.has([...base, 'intervalMinutes']) ? undefined : DEFAULTS.intervalMinutes);
  const keepLast = v.num([...base, 'keepLast']) ?? (v.has([...base, 'keepLast']) ? undefined : DEFAULTS.keepLast);
  const keepDaily = v.num([...base, 'keepDailyDays']) ?? (v.has([...base, 'keepDailyDays']) ? undefined : DEFAULTS.keepDailyDays);
  if (interval !== undefined && keepLast !== undefined && interval * keepLast < 60) {
    out.push(warning('controller.snapshots.keepLast', `${keepLast} × intervalMinutes ${interval} keeps only ${interval * keepLast} minutes of recent restore points; a mistake noticed after that can only go back to a daily snapshot — raise keepLast to at least ${Math.ceil(60 / interval)}`));
  }
  if (interval !== undefined && interval > 60) {
    out.push(warning('controller.snapshots.intervalMinutes', `${interval} minutes: a crash (no final snapshot) can lose up to ${interval} minutes of builds and settings — consider 15..60`));
  }
  if (keepDaily === 0 && interval !== undefined && keepLast !== undefined && interval * keepLast < 24 * 60) {
    out.push(warning('controller.snapshots.keepDailyDays', `0 keeps no daily snapshots, so nothing older than ${interval * keepLast} minutes survives — set keepDailyDays to at least 1`));
  }
}

function controllerRules(v: View, out: ConfigIssue[]): void {
  pairRule(v, ['controller'], DEFAULTS.controllerCpu, out);
  const mem = v.num(['controller', 'memoryMiB']);
  if (mem !== undefined && mem < 2048) {
    out.push(warning('controller.memoryMiB', `${mem} MiB is tight for a Jenkins controller (the JVM, plugins and the keeper sidecar share it) — use at least 2048`));
  }
  const seed = v.str(['controller', 'home', 'seedSnapshotId']);
  if (seed !== undefined) {
    const fs = v.str(['controller', 'home', 'fileSystem']) ?? DEFAULTS.fileSystem;
    out.push(warning('controller.home.fileSystem', `${fs} must be the file system the seed snapshot ${seed} was made with; a mismatch makes the task time out configuring the volume — set fileSystem to match the snapshot`));
  }
}

function agentRules(v: View, out: ConfigIssue[]): void {
  const n = v.length(['agents']);
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    pairRule(v, ['agents', i], DEFAULTS.agentCpu, out);
    const label = v.str(['agents', i, 'label']);
    if (label !== undefined) {
      const first = seen.get(label);
      if (first !== undefined) {
        out.push(error(`agents[${i}].label`, `${show(label)} is already used by agents[${first}].label; labels must be unique across agents[${first}] and agents[${i}] — rename agents[${i}].label`));
      } else {
        seen.set(label, i);
        agentNameRules(v, i, label, seen, out);
      }
    }
    const image = v.str(['agents', i, 'image']);
    if (image !== undefined && /:latest([-.]|$)|^[^:@]+$/.test(image.replace(/^[^/]*\.[^/]*\//, ''))) {
      out.push(warning(`agents[${i}].image`, `${show(image)} is a moving tag; agents may change between builds — pin a version tag (or a digest) for reproducible builds`));
    }
  }
}

/**
 * What the agents renderer (agents-casc.ts) would refuse at synth, reported by validate instead:
 * each label becomes an amazon-ecs cloud name and a controller environment variable, so labels
 * equal up to case or `.`/`_`/`-` collide, and a long label makes a cloud name the plugin refuses.
 */
function agentNameRules(v: View, i: number, label: string, seen: ReadonlyMap<string, number>, out: ConfigIssue[]): void {
  const key = (l: string) => agentTaskRoleVar(l);
  for (const [other, j] of seen) {
    if (j !== i && (key(other) === key(label) || labelSlug(other) === labelSlug(label))) {
      out.push(error(`agents[${i}].label`, `${show(label)} collides with agents[${j}].label ${show(other)}: labels that differ only in case or in . _ - share one agent cloud or task role variable (${key(label)}) — rename agents[${i}].label`));
      return;
    }
  }
  const name = v.str(['name']);
  if (name === undefined) return;
  const cloudName = `jenkins-ecs-${name}-${labelSlug(label)}`;
  if (!ECS_CLOUD_NAME_PATTERN.test(cloudName)) {
    const max = label.length - (cloudName.length - 127);
    out.push(error(`agents[${i}].label`, `${show(label)} is ${label.length} characters; the amazon-ecs cloud name ${cloudName.length > 40 ? `jenkins-ecs-${name}-…` : cloudName} would be ${cloudName.length} (the plugin allows at most 127) — shorten agents[${i}].label to at most ${max} characters`));
  }
}

function vpcRules(v: View, out: ConfigIssue[]): void {
  const vpc = v.get(['vpc']);
  const zones = v.get(['vpc', 'availabilityZones']);
  if (typeof vpc === 'object' && vpc !== null && !Array.isArray(vpc) && v.get(['vpc', 'id']) === undefined && zones === undefined) {
    out.push(error('vpc', 'is empty; allowed keys id (import an existing VPC) or availabilityZones (zones of a new one) — set one, or remove vpc for a new VPC in the first two zones'));
  }
  if (Array.isArray(zones)) {
    if (v.get(['vpc', 'id']) !== undefined) {
      out.push(error('vpc.availabilityZones', 'applies to a new VPC, but vpc.id imports one, which brings its own subnets — remove vpc.availabilityZones, or vpc.id to create a VPC'));
    } else if (zones.length < 2) {
      out.push(error('vpc.availabilityZones', `lists ${zones.length} zone(s); allowed 2 or more (the load balancer needs subnets in two zones) — add a second zone`));
    }
    const region = v.str(['region']);
    zones.forEach((z: unknown, i) => {
      if (typeof z !== 'string') return;
      if (zones.indexOf(z) !== i) out.push(error(`vpc.availabilityZones[${i}]`, `${show(z)} is listed twice — list each zone once`));
      const zoneRegion = availabilityZoneRegion(z);
      if (region !== undefined && zoneRegion !== undefined && zoneRegion !== region) {
        out.push(error(`vpc.availabilityZones[${i}]`, `${show(z)} is in ${zoneRegion}, but region is ${region} — use zones of ${region}, e.g. ${region}a`));
      }
    });
  }
  if (v.str(['vpc', 'id']) !== undefined && v.get(['region']) === undefined) {
    out.push(warning('region', `is not set while vpc.id imports an existing VPC; the VPC lookup at synth needs a region — set region, or make sure CDK_DEFAULT_REGION is set when synthesizing`));
  }
}

export function crossFieldRules(view: View): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  controllerRules(view, out);
  volumeRules(view, out);
  snapshotRules(view, out);
  arnRules(view, out);
  accessRules(view, out);
  agentRules(view, out);
  vpcRules(view, out);
  const jenkinsVersion = view.str(['controller', 'jenkinsVersion']);
  if (jenkinsVersion !== undefined) out.push(...jenkinsVersionIssues(jenkinsVersion));
  return out;
}

/** Default memory for a cpu when memoryMiB is absent (re-exported for the cost model). */
export { defaultMemoryFor };
