/**
 * EFS Standard in bursting throughput mode: how long the burst-credit bucket lasts under a
 * sustained I/O rate, and what remains after. Formulas from docs/aws-notes.md:
 * - baseline = max(1 MiB/s, 50 KiB/s per GiB stored)
 * - burst = max(100 MiB/s, 100 MiB/s per TiB stored)
 * - bucket = 2.1 TiB of credit, or 2.1 TiB per TiB stored above 1 TiB; a new file system starts full
 * - metering: reads count 1/3, writes (and metadata) count 1
 * Credits accrue at the baseline rate and are spent at the metered rate. Pure arithmetic.
 */

export const MIB_PER_GIB = 1024;
export const MIB_PER_TIB = 1024 * 1024;

export interface BurstInput {
  /** Data stored on the file system. */
  readonly storedGiB: number;
  /** Sustained application I/O (reads + writes). */
  readonly ioMiBps: number;
  /** Share of ioMiBps that is reads, 0..1. */
  readonly readFraction: number;
}

export interface BurstResult {
  readonly baselineMiBps: number;
  readonly burstMiBps: number;
  readonly bucketMiB: number;
  /** ioMiBps as EFS meters it (reads at 1/3). */
  readonly meteredMiBps: number;
  /** Net drain of the bucket while bursting (0 when the baseline covers the load). */
  readonly drainMiBps: number;
  /** Hours from a full bucket to empty; undefined when it never empties. */
  readonly hoursUntilEmpty: number | undefined;
  /** Application I/O the file system still delivers once the bucket is empty. */
  readonly ioAfterEmptyMiBps: number;
  /** Whether the requested ioMiBps is above the burst rate even with a full bucket. */
  readonly aboveBurst: boolean;
}

export function efsBaselineMiBps(storedGiB: number): number {
  return Math.max(1, (50 * storedGiB) / 1024);
}

export function efsBurstMiBps(storedGiB: number): number {
  return Math.max(100, (100 * storedGiB) / MIB_PER_GIB);
}

export function efsBucketMiB(storedGiB: number): number {
  const tib = storedGiB / MIB_PER_GIB;
  return 2.1 * MIB_PER_TIB * Math.max(1, tib);
}

/** The metering factor: each MiB/s of this mix counts as `factor` metered MiB/s. */
export function meteringFactor(readFraction: number): number {
  return readFraction / 3 + (1 - readFraction);
}

export function simulateBurst(input: BurstInput): BurstResult {
  if (!(input.readFraction >= 0 && input.readFraction <= 1)) throw new RangeError(`readFraction ${input.readFraction} is outside 0..1`);
  if (!(input.ioMiBps >= 0) || !(input.storedGiB >= 0)) throw new RangeError('ioMiBps and storedGiB must be non-negative');
  const baseline = efsBaselineMiBps(input.storedGiB);
  const burst = efsBurstMiBps(input.storedGiB);
  const bucket = efsBucketMiB(input.storedGiB);
  const factor = meteringFactor(input.readFraction);
  const metered = input.ioMiBps * factor;
  // While credits last, the file system delivers at most the burst rate (metered).
  const drain = Math.max(0, Math.min(metered, burst) - baseline);
  const hours = drain > 0 ? bucket / drain / 3600 : undefined;
  // Once empty, the metered rate falls to the baseline; reads stretch further because they count 1/3.
  const after = hours === undefined ? input.ioMiBps : factor > 0 ? baseline / factor : input.ioMiBps;
  return {
    baselineMiBps: baseline,
    burstMiBps: burst,
    bucketMiB: bucket,
    meteredMiBps: metered,
    drainMiBps: drain,
    hoursUntilEmpty: hours,
    ioAfterEmptyMiBps: Math.min(after, input.ioMiBps),
    aboveBurst: metered > burst,
  };
}

/**
 * Step-by-step credit balance (MiB) over `hours` at a constant load, sampled every `stepHours`;
 * an independent check of the closed form in `simulateBurst`, and a series `plan --json` prints.
 */
export function creditTimeline(input: BurstInput, hours: number, stepHours = 1): { hour: number; creditMiB: number }[] {
  const r = simulateBurst(input);
  const out = [{ hour: 0, creditMiB: r.bucketMiB }];
  let credit = r.bucketMiB;
  for (let h = stepHours; h <= hours + 1e-9; h += stepHours) {
    const demand = Math.min(r.meteredMiBps, credit > 0 ? r.burstMiBps : r.baselineMiBps);
    credit = Math.min(r.bucketMiB, Math.max(0, credit + (r.baselineMiBps - demand) * stepHours * 3600));
    out.push({ hour: h, creditMiB: credit });
  }
  return out;
}
