/**
 * Timing model of a planned restart (issue 12, acceptance 3): every duration on the critical path
 * as a distribution fitted to a published figure, each with its source. Where no source gives a
 * figure, the entry says `assumption` and why the value is what it is; only a real account can
 * confirm those (README, "Downtime").
 *
 * A distribution is log-normal, given by its p50 and p95 (right-skewed, as service latencies
 * are), or uniform between two bounds when a source gives only a range.
 */
import { Rng } from '../test/sim/rng.js';

export type Distribution =
  | { readonly kind: 'lognormal'; readonly p50: number; readonly p95: number }
  | { readonly kind: 'uniform'; readonly min: number; readonly max: number };

export interface Figure {
  readonly what: string;
  /** Seconds (or MiB/s for rates). */
  readonly dist: Distribution;
  readonly unit: 's' | 'MiB/s' | 'GiB' | 'count' | 'entries/s';
  /** Where the figure comes from: a URL and what it says, or `assumption: …`. */
  readonly source: string;
}

const Z95 = 1.6448536269514722;

/** One sample. Log-normal: exp(mu + sigma z) with mu = ln p50 and sigma = ln(p95/p50)/z95. */
export function sample(d: Distribution, rng: Rng): number {
  if (d.kind === 'uniform') return d.min + (d.max - d.min) * rng.next();
  // Box-Muller on two uniforms in (0, 1].
  const u1 = 1 - rng.next();
  const u2 = rng.next();
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return d.p50 * Math.exp((Math.log(d.p95 / d.p50) / Z95) * z);
}

export const FIGURES = {
  drain: {
    what: 'a stopping task from DEACTIVATING to its SIGTERM: the ALB drains the target (no request reaches Jenkins meanwhile)',
    dist: { kind: 'uniform', min: 0, max: 15 },
    unit: 's',
    source:
      'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/load-balancer-connection-draining.html: "Amazon ECS monitors the load balancer, and waits for the load balancer to report that the keep alive connection is closed (the target is in an UNUSED state)", at most the deregistration delay, then sends the stop signal; our target group sets it to 15 s (src/constructs/jenkins-on-fargate.ts); 0 when no connection is open',
  },
  jenkinsStop: {
    what: 'Jenkins from SIGTERM to exited (tini forwards it; Jenkins.cleanUp)',
    dist: { kind: 'uniform', min: 3, max: 20 },
    unit: 's',
    source: 'docs/aws-facts.md (jenkinsci/docker jenkins.sh, tini): "on SIGTERM Jenkins shuts down cleanly (seconds, ~20 s worst case)"',
  },
  taskStop: {
    what: 'task from its last container exited to STOPPED (DEPROVISIONING: ENI and volume detach)',
    dist: { kind: 'uniform', min: 3, max: 15 },
    unit: 's',
    source: 'assumption: ECS documents the DEPROVISIONING step (task-lifecycle) but no duration; ENI detach is "several seconds" (bestpracticesguide/task.html on awsvpc)',
  },
  taskStart: {
    what: 'Fargate task from scheduled to containers started, volume excluded (capacity, ENI, image pull)',
    dist: { kind: 'lognormal', p50: 40, p95: 90 },
    unit: 's',
    source: 'https://repost.aws/questions/QUjZAzJd27SZWxXM7MgyxOZw (AWS answer): "It is normal for new AWS Fargate tasks to take 30-45 seconds or longer to start"',
  },
  schedulerDelay: {
    what: 'UpdateService (or a stopped task) to the new task being scheduled',
    dist: { kind: 'uniform', min: 1, max: 10 },
    unit: 's',
    source: 'assumption: no published figure; the ECS service scheduler acts on the deployment within seconds in the AWS console history',
  },
  volumeFromSnapshot: {
    what: 'ECS-managed EBS volume created from a completed snapshot and attached to the task',
    dist: { kind: 'lognormal', p50: 20, p95: 60 },
    unit: 's',
    source: 'https://github.com/pingcap/docs-tidb-operator/pull/2131 (EBS snapshot restore measurements): "Restores volumes 20 s"; p95 assumed 3x',
  },
  efsMount: {
    what: 'EFS mount (TLS, IAM) at task start',
    dist: { kind: 'uniform', min: 1, max: 5 },
    unit: 's',
    source: 'assumption: no published figure; an NFS mount over an existing mount target is a few round trips plus the TLS tunnel start',
  },
  jenkinsBoot: {
    what: 'Jenkins from container start to serving /login (plugins, JCasC, jobs loaded), same home on EFS or EBS',
    dist: { kind: 'lognormal', p50: 90, p95: 240 },
    unit: 's',
    source: 'https://github.com/openshiftio/openshift.io/issues/4164: "Jenkins is taking around 3-4 minutes to boot" (CPU-limited pod, our p95); p50 assumed at half of that for a 2-4 vCPU controller',
  },
  bootReadGiB: {
    what: 'data Jenkins reads at boot (plugins, config, job metadata), fetched lazily from S3 on a restored volume',
    dist: { kind: 'uniform', min: 0.5, max: 1.5 },
    unit: 'GiB',
    source: 'assumption: a typical controller has ~100-300 plugins (~0.3-1 GiB expanded) plus job configs',
  },
  hydrationRate: {
    what: 'rate at which a restored volume serves not-yet-loaded blocks (volumeInitializationRate)',
    dist: { kind: 'uniform', min: 100, max: 300 },
    unit: 'MiB/s',
    source: 'docs/aws-facts.md (API_ServiceManagedEBSVolumeConfiguration): volumeInitializationRate 100-300 MiB/s; first reads of a lazily loaded volume are slow (EBS initalize-volume)',
  },
  snapshotOverhead: {
    what: 'EBS snapshot from CreateSnapshot to completed for a tiny delta (the fixed part)',
    dist: { kind: 'lognormal', p50: 150, p95: 420 },
    unit: 's',
    source: 'https://github.com/aws/aws-sdk-ruby/issues/978: "it takes about 3 minutes for the API to tell us that the snapshot is done"; docs/aws-facts.md: "~3 min for small deltas", "no way to predict EBS snapshot creation time" (re:Post)',
  },
  snapshotRate: {
    what: 'EBS snapshot copy rate of changed blocks',
    dist: { kind: 'uniform', min: 35, max: 70 },
    unit: 'MiB/s',
    source: 'https://github.com/pingcap/docs-tidb-operator/pull/2108: "16 m (50GB)" for a gp3 volume snapshot (~52 MiB/s); range assumed ±35%',
  },
  homeEntries: {
    what: 'entries (files, directories, links) in JENKINS_HOME that the stopping keeper walks',
    dist: { kind: 'uniform', min: 50_000, max: 150_000 },
    unit: 'count',
    source: 'assumption: ~200 plugins (~50 entries each once exploded) plus 100-300 jobs keeping 30-50 builds of ~6 files each',
  },
  packRate: {
    what: 'delta packing rate: the ctime walk of the whole home plus packing what changed (entries per second)',
    dist: { kind: 'uniform', min: 30_000, max: 60_000 },
    unit: 'entries/s',
    source: 'measured: bench/delta.bench.ts packs a 50,200-entry home with 1% changed in 1.64 s (30,600 entries/s) on the 2-core development machine under load (load average ~10); the upper bound assumes an idle 2-vCPU task (2x)',
  },
  deltaApply: {
    what: 'applying the delta: the archive check, the kept-identity check of each packed directory, the writes (fixed part)',
    dist: { kind: 'uniform', min: 0.7, max: 1.4 },
    unit: 's',
    source: 'measured: bench/delta.bench.ts applies 720 entries in 1.4 s on the loaded 2-core development machine; the lower bound assumes it idle',
  },
  s3Rate: {
    what: 'S3 PutObject/GetObject throughput of one connection from the task',
    dist: { kind: 'uniform', min: 85, max: 90 },
    unit: 'MiB/s',
    source: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance-design-patterns.html: "make one concurrent request for each 85-90 MB/s of desired network throughput"',
  },
  s3Latency: {
    what: 'S3 request latency (first byte) per call',
    dist: { kind: 'uniform', min: 0.1, max: 0.2 },
    unit: 's',
    source: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance-design-patterns.html: "first-byte latency ... 100-200 milliseconds"',
  },
  deltaWriteRate: {
    what: 'applying the delta onto the new gp3 volume (file writes at the volume throughput)',
    dist: { kind: 'uniform', min: 125, max: 250 },
    unit: 'MiB/s',
    source: 'docs/aws-facts.md (gp3): 125 MiB/s baseline throughput, up to the provisioned 250 MiB/s of the default home',
  },
  eventDelay: {
    what: 'EBS snapshot completion to the reconciler Lambda rolling the service (EventBridge + invocation)',
    dist: { kind: 'uniform', min: 2, max: 30 },
    unit: 's',
    source: 'assumption: EventBridge "EBS Snapshot Notification" delivery plus a Lambda invocation; no published latency figure',
  },
} as const satisfies Record<string, Figure>;

export type FigureName = keyof typeof FIGURES;

/** The scenario of the goal: a 50 GiB home with 1 GiB changed since the last periodic snapshot (15 minutes ago). */
export const SCENARIO = {
  homeGiB: 50,
  changedGiB: 1,
  /** Jenkins write rate that changes 1 GiB in a 15-minute periodic interval. */
  writeMiBps: 1024 / (15 * 60),
  /** The handover's poll interval (HandoverConfig.pollMs). */
  pollSeconds: 2,
} as const;

/** Seconds for a snapshot of `changedMiB` changed blocks: fixed overhead plus copy time. */
export function snapshotSeconds(changedMiB: number, rng: Rng): number {
  return sample(FIGURES.snapshotOverhead.dist, rng) + changedMiB / sample(FIGURES.snapshotRate.dist, rng);
}

/** The stopping keeper: walk the home, upload the delta (no compression counted). */
export function deltaShipSeconds(bytes: number, rng: Rng): number {
  return sample(FIGURES.homeEntries.dist, rng) / sample(FIGURES.packRate.dist, rng) + sample(FIGURES.s3Latency.dist, rng) + bytes / MIB_ / sample(FIGURES.s3Rate.dist, rng);
}

/** The starting keeper: download the delta, check it, write it onto the volume. */
export function deltaApplySeconds(bytes: number, rng: Rng): number {
  return sample(FIGURES.deltaApply.dist, rng) + sample(FIGURES.s3Latency.dist, rng) + bytes / MIB_ / sample(FIGURES.s3Rate.dist, rng) + bytes / MIB_ / sample(FIGURES.deltaWriteRate.dist, rng);
}

const MIB_ = 1024 ** 2;

/** Jenkins boot on a volume restored from a snapshot: the boot plus the lazy fetch of what it reads. */
export function bootOnRestoredSeconds(rng: Rng): number {
  return sample(FIGURES.jenkinsBoot.dist, rng) + (sample(FIGURES.bootReadGiB.dist, rng) * 1024) / sample(FIGURES.hydrationRate.dist, rng);
}

const s = (name: FigureName, rng: Rng): number => sample(FIGURES[name].dist, rng);

/**
 * Where ECS places the replacement task (maximumPercent 100, minimumHealthyPercent 0, the same for
 * every path). `documented`: the API reference bounds only tasks "in the RUNNING or PENDING state"
 * by maximumPercent, so the replacement is placed as soon as the old task leaves RUNNING
 * (DEACTIVATING). `stopped`: ECS waits until the old task is STOPPED (the conservative reading).
 * Only an account can tell which one ECS does.
 */
export type Placement = 'documented' | 'stopped';

/** Seconds from the old task leaving RUNNING to ECS placing the replacement, given when the old task is STOPPED. */
function placedAt(placement: Placement, stoppedAt: number): number {
  return placement === 'documented' ? 0 : stoppedAt;
}

/**
 * Home on EFS: drain and stop; the replacement is placed per `placement`, starts, mounts and boots
 * (its Jenkins never before the old one exited: two controllers must not share the home).
 */
export function efsRestartSeconds(rng: Rng, placement: Placement = 'documented'): number {
  const exited = s('drain', rng) + s('jenkinsStop', rng);
  const stopped = exited + s('taskStop', rng);
  const started = placedAt(placement, stopped) + s('schedulerDelay', rng) + s('taskStart', rng) + s('efsMount', rng);
  return Math.max(exited, started) + s('jenkinsBoot', rng);
}

/**
 * v0.1's path (two starts): the service replaces the task from its static snapshotId; that task
 * waits at the gate while the final snapshot completes; the reconciler then rolls the service, the
 * stale task stops and a second task starts from the final snapshot.
 */
export function twoStartSeconds(rng: Rng, changedMiB: number, placement: Placement = 'documented'): number {
  const exited = s('drain', rng) + s('jenkinsStop', rng);
  const firstUp = placedAt(placement, exited + s('taskStop', rng)) + s('schedulerDelay', rng) + s('taskStart', rng) + s('volumeFromSnapshot', rng);
  const finalDone = exited + snapshotSeconds(changedMiB + exited * SCENARIO.writeMiBps, rng) + s('eventDelay', rng);
  // The roll replaces the stale task once it is up (or cancels its start): whichever is later.
  const rolled = Math.max(firstUp, finalDone);
  return rolled + placedAt(placement, s('taskStop', rng)) + s('schedulerDelay', rng) + s('taskStart', rng) + s('volumeFromSnapshot', rng) + bootOnRestoredSeconds(rng);
}

export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
}

export function percentiles(values: readonly number[]): Percentiles {
  const v = [...values].sort((a, b) => a - b);
  const at = (q: number): number => v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))]!;
  return { p50: at(0.5), p95: at(0.95) };
}
