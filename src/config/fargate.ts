/**
 * Fargate sizing facts: valid cpu/memory pairs and the per-task EBS performance ceiling.
 * See docs/aws-notes.md.
 */

/** Memory choices (MiB) for each Fargate cpu value (Linux). */
const MEMORY_RANGES: ReadonlyMap<number, { min: number; max: number; step: number; extra?: readonly number[] }> = new Map([
  [256, { min: 1024, max: 2048, step: 1024, extra: [512] }],
  [512, { min: 1024, max: 4096, step: 1024 }],
  [1024, { min: 2048, max: 8192, step: 1024 }],
  [2048, { min: 4096, max: 16384, step: 1024 }],
  [4096, { min: 8192, max: 30720, step: 1024 }],
  [8192, { min: 16384, max: 61440, step: 4096 }],
  [16384, { min: 32768, max: 122880, step: 8192 }],
]);

export const FARGATE_CPUS: readonly number[] = [...MEMORY_RANGES.keys()];

export function isFargateCpu(cpu: number): boolean {
  return MEMORY_RANGES.has(cpu);
}

/** Valid memory values (MiB) for a Fargate cpu value; empty for an invalid cpu. */
export function fargateMemoryChoices(cpu: number): number[] {
  const r = MEMORY_RANGES.get(cpu);
  if (!r) return [];
  const out = [...(r.extra ?? [])];
  for (let m = r.min; m <= r.max; m += r.step) out.push(m);
  return out;
}

export function isFargatePair(cpu: number, memoryMiB: number): boolean {
  return fargateMemoryChoices(cpu).includes(memoryMiB);
}

/** Human description of the memory choices, e.g. `4096..16384 in steps of 1024`. */
export function describeMemoryChoices(cpu: number): string {
  const r = MEMORY_RANGES.get(cpu);
  if (!r) return 'none (invalid cpu)';
  const main = `${r.min}..${r.max} in steps of ${r.step}`;
  return r.extra ? `${r.extra.join(', ')} or ${main}` : main;
}

/** The memory used when only cpu is given: twice the cpu, which is valid for every Fargate cpu. */
export function defaultMemoryFor(cpu: number): number {
  return cpu * 2;
}

const EBS_CEILINGS: readonly { vcpu: number; iops: number; throughputMiBps: number }[] = [
  { vcpu: 2, iops: 3000, throughputMiBps: 75 },
  { vcpu: 4, iops: 5000, throughputMiBps: 120 },
  { vcpu: 8, iops: 10000, throughputMiBps: 250 },
  { vcpu: 16, iops: 15000, throughputMiBps: 500 },
];

/**
 * Baseline EBS performance a Fargate task can use, from the per-task table in docs/aws-notes.md.
 * The table starts at 2 vCPU; AWS publishes no figures for 0.25–1 vCPU. A smaller task cannot
 * get more than a 2-vCPU one, so we use the 2-vCPU row for those: it is the lowest documented
 * bound, meaning a warning based on it is never a false alarm (it may under-warn, never over-warn).
 * Between rows, the row at or below the task's vCPU applies.
 */
export function fargateEbsCeiling(cpu: number): { iops: number; throughputMiBps: number } {
  const vcpu = cpu / 1024;
  let row = EBS_CEILINGS[0]!;
  for (const r of EBS_CEILINGS) if (vcpu >= r.vcpu) row = r;
  return { iops: row.iops, throughputMiBps: row.throughputMiBps };
}
