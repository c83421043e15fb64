/**
 * Approximate monthly cost of a deployment, line by line, and the same home on EFS Standard.
 * Pure: prices come from prices.ts (us-east-1, docs/aws-notes.md); usage that the config cannot
 * know (agent hours, I/O, change rate, log volume) comes in as explicit assumptions.
 */
import { simulateBurst, MIB_PER_GIB, type BurstResult } from './efs-burst.js';
import {
  ALB_PRICES,
  EFS_PRICES,
  FARGATE_PRICES,
  GP3_PRICES,
  HOURS_PER_MONTH,
  LOGS_PRICES,
  NAT_PRICES,
  OTHER_EBS_PRICES_ASSUMED,
  SECRETS_PRICES,
  SNAPSHOT_PRICES,
} from './prices.js';
import type { HomeConfig, JenkinsEcsConfig } from './types.js';

export interface CostAssumptions {
  /** Task-hours per month for each agent template. */
  readonly agentHoursPerTemplate: number;
  /** Sustained JENKINS_HOME I/O, MiB/s (for the EFS comparison). */
  readonly ioMiBps: number;
  /** Share of that I/O that is reads, 0..1. */
  readonly readFraction: number;
  /** Share of the home's data that changes per day (incremental snapshot growth). */
  readonly dailyChangeRate: number;
  /** CloudWatch Logs ingested per month, GB. */
  readonly logsGbPerMonth: number;
  /** Data through the NAT gateway per month, GB (plugin and image downloads; S3 in the Region takes the new VPC's gateway endpoint). */
  readonly natGbPerMonth: number;
  /** Average ALB load balancer capacity units; a small Jenkins stays near one. */
  readonly albLcu: number;
}

export const DEFAULT_ASSUMPTIONS: CostAssumptions = {
  agentHoursPerTemplate: 200,
  ioMiBps: 5,
  readFraction: 0.5,
  dailyChangeRate: 0.05,
  logsGbPerMonth: 5,
  natGbPerMonth: 50,
  albLcu: 1,
};

export interface CostLine {
  readonly item: string;
  readonly detail: string;
  readonly usdPerMonth: number;
  /** `list`: list prices × known quantities; `assumed`: depends on an assumption or an assumed price. */
  readonly basis: 'list' | 'assumed';
}

export interface EfsOption {
  readonly mode: 'bursting' | 'elastic' | 'provisioned';
  readonly detail: string;
  readonly storageUsd: number;
  readonly throughputUsd: number;
  readonly usdPerMonth: number;
}

export interface CostEstimate {
  readonly lines: readonly CostLine[];
  readonly totalUsdPerMonth: number;
  readonly home: { readonly ebsUsdPerMonth: number; readonly efs: readonly EfsOption[]; readonly burst: BurstResult };
  readonly assumptions: CostAssumptions;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** On-demand Fargate price per hour for a task size. */
export function fargateHourly(cpu: number, memoryMiB: number): number {
  return (cpu / 1024) * FARGATE_PRICES.vcpuHour + (memoryMiB / 1024) * FARGATE_PRICES.gbHour;
}

export function ebsMonthly(home: HomeConfig): { usd: number; detail: string; basis: CostLine['basis'] } {
  if (home.volumeType === 'gp3') {
    const iops = home.iops ?? GP3_PRICES.includedIops;
    const thr = home.throughputMiBps ?? GP3_PRICES.includedThroughputMiBps;
    const extraIops = Math.max(0, iops - GP3_PRICES.includedIops);
    const extraThr = Math.max(0, thr - GP3_PRICES.includedThroughputMiBps);
    const usd = home.sizeGiB * GP3_PRICES.gbMonth + extraIops * GP3_PRICES.iopsMonth + extraThr * GP3_PRICES.throughputMonth;
    return { usd, detail: `gp3 ${home.sizeGiB} GiB, ${iops} IOPS, ${thr} MiB/s`, basis: 'list' };
  }
  const p = OTHER_EBS_PRICES_ASSUMED[home.volumeType];
  const iops = home.iops ?? 0;
  const usd = home.sizeGiB * p.gbMonth + iops * p.iopsMonth;
  const iopsText = home.volumeType === 'gp2' ? '' : `, ${iops} IOPS`;
  return { usd, detail: `${home.volumeType} ${home.sizeGiB} GiB${iopsText} (assumed ${home.volumeType} price, not a checked list price)`, basis: 'assumed' };
}

/**
 * Snapshot storage: the first snapshot holds the whole home (assumed full), later ones only
 * changed blocks; each day's changes stay billed for as long as some snapshot retains them.
 */
export function snapshotGiB(config: JenkinsEcsConfig, dailyChangeRate: number): { gib: number; retentionDays: number } {
  const s = config.controller.snapshots;
  const retentionDays = Math.max(s.keepDailyDays, (s.keepLast * s.intervalMinutes) / 1440);
  const size = config.controller.home.sizeGiB;
  return { gib: size * (1 + dailyChangeRate * retentionDays), retentionDays };
}

export function efsOptions(storedGiB: number, a: Pick<CostAssumptions, 'ioMiBps' | 'readFraction'>): { options: EfsOption[]; burst: BurstResult } {
  const storageUsd = storedGiB * EFS_PRICES.standardGbMonth;
  const burst = simulateBurst({ storedGiB, ioMiBps: a.ioMiBps, readFraction: a.readFraction });
  // GB treated as GiB: the difference (7%) is below the precision of these estimates.
  const gibPerMonth = (a.ioMiBps * HOURS_PER_MONTH * 3600) / MIB_PER_GIB;
  const readGiB = gibPerMonth * a.readFraction;
  const writeGiB = gibPerMonth - readGiB;
  const elasticUsd = readGiB * EFS_PRICES.elasticReadPerGb + writeGiB * EFS_PRICES.elasticWritePerGb;
  const provisioned = Math.max(1, a.ioMiBps);
  const provisionedUsd = provisioned * EFS_PRICES.provisionedMiBpsMonth;
  const lasts =
    burst.hoursUntilEmpty === undefined
      ? `baseline ${burst.baselineMiBps.toFixed(2)} MiB/s covers ${a.ioMiBps} MiB/s: credits never run out`
      : `credits run out after ~${burst.hoursUntilEmpty.toFixed(0)} h (${(burst.hoursUntilEmpty / 24).toFixed(1)} days), then ~${burst.ioAfterEmptyMiBps.toFixed(2)} MiB/s (baseline ${burst.baselineMiBps.toFixed(2)} MiB/s metered)`;
  return {
    burst,
    options: [
      { mode: 'bursting', detail: lasts, storageUsd, throughputUsd: 0, usdPerMonth: storageUsd },
      {
        mode: 'elastic',
        detail: `${readGiB.toFixed(0)} GB read + ${writeGiB.toFixed(0)} GB written per month at ${a.ioMiBps} MiB/s`,
        storageUsd,
        throughputUsd: elasticUsd,
        usdPerMonth: storageUsd + elasticUsd,
      },
      {
        mode: 'provisioned',
        detail: `${provisioned} MiB/s provisioned`,
        storageUsd,
        throughputUsd: provisionedUsd,
        usdPerMonth: storageUsd + provisionedUsd,
      },
    ],
  };
}

export function estimateCost(config: JenkinsEcsConfig, assumptions: Partial<CostAssumptions> = {}): CostEstimate {
  const a: CostAssumptions = { ...DEFAULT_ASSUMPTIONS, ...assumptions };
  const lines: CostLine[] = [];
  const c = config.controller;

  lines.push({
    item: 'Fargate controller',
    detail: `${c.cpu / 1024} vCPU, ${c.memoryMiB / 1024} GiB × ${HOURS_PER_MONTH} h`,
    usdPerMonth: fargateHourly(c.cpu, c.memoryMiB) * HOURS_PER_MONTH,
    basis: 'list',
  });
  for (const agent of config.agents) {
    const spot = agent.capacity === 'spot';
    const hourly = fargateHourly(agent.cpu, agent.memoryMiB) * (spot ? 1 - FARGATE_PRICES.spotDiscount : 1);
    lines.push({
      item: `Agents '${agent.label}'`,
      detail: `${agent.cpu / 1024} vCPU, ${agent.memoryMiB / 1024} GiB × ${a.agentHoursPerTemplate} task-h assumed${spot ? ', Spot ~70% off (varies)' : ', on-demand'}`,
      usdPerMonth: hourly * a.agentHoursPerTemplate,
      basis: 'assumed',
    });
  }
  const ebs = ebsMonthly(c.home);
  lines.push({ item: 'EBS home', detail: ebs.detail, usdPerMonth: ebs.usd, basis: ebs.basis });
  const snap = snapshotGiB(config, a.dailyChangeRate);
  lines.push({
    item: 'EBS snapshots',
    detail: `~${snap.gib.toFixed(0)} GB: full home + ${(a.dailyChangeRate * 100).toFixed(0)}%/day changes × ${snap.retentionDays.toFixed(1)} days kept (assumed)`,
    usdPerMonth: snap.gib * SNAPSHOT_PRICES.gbMonth,
    basis: 'assumed',
  });
  lines.push({
    item: 'Load balancer',
    detail: `${config.access.internal ? 'internal' : 'internet-facing'} ALB × ${HOURS_PER_MONTH} h + ${a.albLcu} LCU assumed`,
    usdPerMonth: (ALB_PRICES.hour + a.albLcu * ALB_PRICES.lcuHour) * HOURS_PER_MONTH,
    basis: 'assumed',
  });
  if (!config.vpc) {
    lines.push({
      item: 'NAT gateway',
      detail: `1 gateway (new VPC) × ${HOURS_PER_MONTH} h + ${a.natGbPerMonth} GB assumed`,
      usdPerMonth: NAT_PRICES.hour * HOURS_PER_MONTH + a.natGbPerMonth * NAT_PRICES.perGb,
      basis: 'assumed',
    });
  }
  lines.push({ item: 'Secrets Manager', detail: '1 secret (admin password)', usdPerMonth: SECRETS_PRICES.secretMonth, basis: 'list' });
  lines.push({ item: 'CloudWatch Logs', detail: `${a.logsGbPerMonth} GB ingested (assumed)`, usdPerMonth: a.logsGbPerMonth * LOGS_PRICES.ingestPerGb, basis: 'assumed' });

  const rounded = lines.map((l) => ({ ...l, usdPerMonth: round2(l.usdPerMonth) }));
  const efs = efsOptions(c.home.sizeGiB, a);
  return {
    lines: rounded,
    totalUsdPerMonth: round2(rounded.reduce((s, l) => s + l.usdPerMonth, 0)),
    home: {
      ebsUsdPerMonth: round2(ebs.usd),
      efs: efs.options.map((o) => ({ ...o, storageUsd: round2(o.storageUsd), throughputUsd: round2(o.throughputUsd), usdPerMonth: round2(o.usdPerMonth) })),
      burst: efs.burst,
    },
    assumptions: a,
  };
}
