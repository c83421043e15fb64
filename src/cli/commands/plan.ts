/**
 * `jenkins-ecs plan [--config F] [--io-mibps N] [--read-fraction F] [--agent-hours H]
 *  [--change-rate F] [--logs-gb N] [--json]`
 * What would be deployed and an approximate monthly cost, beside the same home on EFS.
 * Pure: reads the config file only; no AWS SDK, no network.
 */
import { deploymentNames, FARGATE_CPUS, fargateEbsCeiling, formatIssue, loadConfigFile, type JenkinsEcsConfig } from '../../config/index.js';
import { DEFAULT_ASSUMPTIONS, estimateCost, type CostAssumptions, type CostEstimate } from '../../config/cost.js';
import { PRICE_REGION } from '../../config/prices.js';
import { METRICS } from '../../continuity/settings.js';
import { displayPath, numberOption, parseOptions, resolveConfigPath } from '../args.js';
import type { CommandContext } from '../context.js';
import { EXIT } from '../errors.js';
import { formatTable } from '../format.js';

const usd = (n: number) => `$${n.toFixed(2)}`;

/** A plan table (first row as the header row), indented by two spaces, no trailing spaces. */
function indentedTable(rows: readonly (readonly string[])[], rightAlign: readonly number[] = []): string[] {
  const [header = [], ...body] = rows;
  return formatTable(header, body, rightAlign).map((l) => `  ${l}`.trimEnd());
}

function ceilingText(cpu: number): string {
  const ceiling = fargateEbsCeiling(cpu);
  return `${ceiling.iops} IOPS / ${ceiling.throughputMiBps} MiB/s`;
}

export function describeDeployment(config: JenkinsEcsConfig): [string, string][] {
  const names = deploymentNames(config.name);
  const { access, controller: c } = config;
  const h = c.home;
  const tls = access.certificateArn
    ? 'HTTPS with the given certificate, HTTP redirects'
    : access.hostedZoneId && access.domainName
      ? `HTTPS with a DNS-validated certificate for ${access.domainName}, HTTP redirects`
      : 'HTTP only';
  const perf = [h.iops !== undefined ? `${h.iops} IOPS` : undefined, h.throughputMiBps !== undefined ? `${h.throughputMiBps} MiB/s` : undefined].filter(Boolean).join(', ');
  return [
    ['stacks', `${names.stateStack} (lineage record), ${names.stack}`],
    ['region', config.region ?? 'from the environment at deploy time'],
    ['network', config.vpc ? `imported ${config.vpc.id}` : `new VPC, ${config.newVpc ? config.newVpc.availabilityZones.join(', ') : '2 AZs'}, 1 NAT gateway`],
    ['load balancer', `${access.internal ? 'internal' : 'internet-facing'} ALB, ${tls}; allowed ${access.allowedCidrs.join(', ')}`],
    ['dns', access.domainName ? `${access.domainName}${access.hostedZoneId ? ` (alias in ${access.hostedZoneId})` : ' (no record created)'}` : 'the ALB DNS name'],
    ['controller', `Jenkins ${c.jenkinsVersion}, ${c.cpu / 1024} vCPU / ${c.memoryMiB / 1024} GiB on Fargate, service ${names.service}`],
    ['home', `${h.volumeType} ${h.sizeGiB} GiB${perf ? `, ${perf}` : ''}, ${h.fileSystem}, encrypted with ${h.kmsKeyArn ?? 'the AWS-managed EBS key'}`],
    ['usable EBS', `up to ${ceilingText(c.cpu)} (Fargate per-task ceiling for ${c.cpu / 1024} vCPU)`],
    ['first start', h.seedSnapshotId ? `from seed snapshot ${h.seedSnapshotId}` : 'empty volume'],
    ['restores', h.initializationRateMiBps ? `volume initialization at ${h.initializationRateMiBps} MiB/s` : 'lazy loading (no initialization rate)'],
    ['snapshots', `every ${c.snapshots.intervalMinutes} min, keep last ${c.snapshots.keepLast} + ${c.snapshots.keepDailyDays} daily; lineage ${names.lineage}, record table ${names.recordTable}`],
    ...config.agents.map((a, i): [string, string] => [
      i === 0 ? 'agents' : '',
      `${a.label}: ${a.cpu / 1024} vCPU / ${a.memoryMiB / 1024} GiB, ${a.capacity}, up to ${a.maxAgents}, ${a.image}`,
    ]),
    ...(config.agents.length === 0 ? [['agents', 'none'] as [string, string]] : []),
  ];
}

export function renderPlan(file: string, config: JenkinsEcsConfig, est: CostEstimate): string[] {
  const a = est.assumptions;
  const out: string[] = [];
  out.push(`plan for '${config.name}' from ${file} (no AWS calls made)`, '');
  out.push('What would be deployed', ...indentedTable(describeDeployment(config)), '');
  const elsewhere = config.region && config.region !== PRICE_REGION ? `; ${config.region} prices differ` : '';
  out.push(`Approximate monthly cost (USD, ${PRICE_REGION} list prices${elsewhere}; * = rests on an assumption, see --help)`);
  const rows = [['ITEM', 'DETAIL', 'USD/MONTH', ''], ...est.lines.map((l) => [l.item, l.detail, usd(l.usdPerMonth), l.basis === 'assumed' ? '*' : ''])];
  rows.push(['Total (approximate)', 'not counted: data transfer, alarms, Lambda, EventBridge', `~${usd(est.totalUsdPerMonth)}`, '']);
  out.push(...indentedTable(rows, [2]), '');
  out.push(`JENKINS_HOME: EBS vs EFS Standard (approximate; ${config.controller.home.sizeGiB} GiB stored, ${a.ioMiBps} MiB/s sustained I/O, ${Math.round(a.readFraction * 100)}% reads)`);
  const ebs = ebsUsable(config, a.ioMiBps);
  const ebsNote = ebs.enough
    ? 'performance is provisioned; no credits to run out'
    : `delivers at most ${ebs.usableMiBps} MiB/s here (${ebs.limitedBy}), less than ${a.ioMiBps} MiB/s`;
  const homeRows = [
    ['OPTION', 'USD/MONTH', 'NOTE'],
    [`EBS ${config.controller.home.volumeType} (this plan)`, usd(est.home.ebsUsdPerMonth), ebsNote],
    ...est.home.efs.map((o) => [`EFS ${o.mode}`, usd(o.usdPerMonth), o.detail]),
  ];
  out.push(...indentedTable(homeRows, [1]));
  if (!ebs.enough) out.push('', `warning: --io-mibps ${a.ioMiBps} is above what this home can use on EBS: ${ebs.limitedBy} — ${ebs.fix}`);
  const b = est.home.burst;
  const cap = `EFS bursting is capped at ${round2(b.burstMiBps)} MiB/s for ${config.controller.home.sizeGiB} GiB stored (100 MiB/s, or 100 MiB/s per TiB stored where that is more), however full the credit bucket`;
  out.push('', b.aboveBurst ? `${cap}: ${a.ioMiBps} MiB/s is above it from the first second.` : `${cap}.`);
  if (b.hoursUntilEmpty !== undefined) {
    out.push(
      `EFS bursting: a full ${(b.bucketMiB / 1024 / 1024).toFixed(1)} TiB credit bucket drains at ${b.drainMiBps.toFixed(2)} MiB/s and empties after ~${b.hoursUntilEmpty.toFixed(0)} h;`,
      `then throughput falls to the ${b.baselineMiBps.toFixed(2)} MiB/s baseline (about ${b.ioAfterEmptyMiBps.toFixed(2)} MiB/s of this read/write mix) until the load drops.`,
    );
  }
  return out;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export interface EbsUsable {
  /** Throughput this controller can get from its home volume: the lower of the two limits. */
  readonly usableMiBps: number;
  /** Whether `ioMiBps` fits within it. */
  readonly enough: boolean;
  /** What binds, e.g. `the Fargate per-task ceiling for 2 vCPU is 75 MiB/s`. */
  readonly limitedBy: string;
  /** How to get there, or that no setting does. */
  readonly fix: string;
}

/**
 * What the home can deliver on EBS at this cpu: the Fargate per-task ceiling (aws-facts: 2 vCPU
 * 75 MiB/s … 16 vCPU 500 MiB/s) and, for gp3, the volume's provisioned throughput.
 */
export function ebsUsable(config: JenkinsEcsConfig, ioMiBps: number): EbsUsable {
  const { cpu, home } = config.controller;
  const ceiling = fargateEbsCeiling(cpu).throughputMiBps;
  const volume = home.volumeType === 'gp3' ? home.throughputMiBps : undefined;
  const usableMiBps = volume !== undefined ? Math.min(ceiling, volume) : ceiling;
  const volumeBinds = volume !== undefined && volume < ceiling;
  const limitedBy = volumeBinds
    ? `controller.home.throughputMiBps is ${volume} MiB/s`
    : `the Fargate per-task EBS ceiling for ${cpu / 1024} vCPU is ${ceiling} MiB/s`;
  const bigEnough = FARGATE_CPUS.find((c) => c >= cpu && fargateEbsCeiling(c).throughputMiBps >= ioMiBps);
  const cpuFix =
    bigEnough === undefined
      ? `no Fargate task reaches it (16 vCPU: ${fargateEbsCeiling(16384).throughputMiBps} MiB/s); keep the rate down or spread the load`
      : bigEnough === cpu
        ? undefined
        : `set controller.cpu to ${bigEnough} (${fargateEbsCeiling(bigEnough).throughputMiBps} MiB/s)`;
  const volumeFix =
    volume !== undefined && volume < ioMiBps ? `set controller.home.throughputMiBps to at least ${Math.min(1000, Math.ceil(ioMiBps))} (gp3: 125..1000)` : undefined;
  return {
    usableMiBps,
    enough: ioMiBps <= usableMiBps,
    limitedBy,
    fix: [cpuFix, volumeFix].filter(Boolean).join(', and ') || 'lower --io-mibps',
  };
}

function assumptionsFrom(values: Record<string, string | boolean | undefined>): Partial<CostAssumptions> {
  const s = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  return {
    ioMiBps: numberOption('io-mibps', s('io-mibps'), DEFAULT_ASSUMPTIONS.ioMiBps, { max: 100000 }),
    readFraction: numberOption('read-fraction', s('read-fraction'), DEFAULT_ASSUMPTIONS.readFraction, { max: 1 }),
    agentHoursPerTemplate: numberOption('agent-hours', s('agent-hours'), DEFAULT_ASSUMPTIONS.agentHoursPerTemplate, { max: 744 * 100 }),
    dailyChangeRate: numberOption('change-rate', s('change-rate'), DEFAULT_ASSUMPTIONS.dailyChangeRate, { max: 1 }),
    logsGbPerMonth: numberOption('logs-gb', s('logs-gb'), DEFAULT_ASSUMPTIONS.logsGbPerMonth),
  };
}

export async function run(args: readonly string[], ctx: CommandContext): Promise<number> {
  const { values } = parseOptions('plan', args, {
    config: { type: 'string', short: 'c' },
    'io-mibps': { type: 'string' },
    'read-fraction': { type: 'string' },
    'agent-hours': { type: 'string' },
    'change-rate': { type: 'string' },
    'logs-gb': { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  const assumptions = assumptionsFrom(values);
  const path = resolveConfigPath(values.config, ctx);
  const shown = displayPath(path, ctx.cwd);
  const result = loadConfigFile(path, shown);
  if (!result.ok) {
    if (values.json) {
      ctx.io.out(JSON.stringify({ file: shown, valid: false, errors: result.errors, warnings: result.warnings }, null, 2));
    } else {
      for (const issue of [...result.errors, ...result.warnings]) ctx.io.err(formatIssue(issue));
      ctx.io.err(`${shown}: invalid, nothing to plan (run jenkins-ecs validate for details)`);
    }
    return EXIT.failure;
  }
  const est = estimateCost(result.config, assumptions);
  if (values.json) {
    ctx.io.out(
      JSON.stringify(
        {
          file: shown,
          approximate: true,
          currency: 'USD',
          priceRegion: PRICE_REGION,
          // metricsNamespace stays in the document (it used to be a DeploymentNames field).
          names: { ...deploymentNames(result.config.name), metricsNamespace: METRICS.namespace },
          deployment: Object.fromEntries(describeDeployment(result.config).filter(([k]) => k !== '')),
          config: result.config,
          warnings: result.warnings,
          cost: est,
          ebs: ebsUsable(result.config, est.assumptions.ioMiBps),
        },
        null,
        2,
      ),
    );
    return EXIT.ok;
  }
  for (const issue of result.warnings) ctx.io.err(formatIssue(issue));
  for (const line of renderPlan(shown, result.config, est)) ctx.io.out(line);
  return EXIT.ok;
}
