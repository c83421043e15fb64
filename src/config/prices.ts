/**
 * Every price the cost model uses, in one table: us-east-1 list prices from docs/aws-notes.md
 * (USD). They drift; `plan` always labels its figures approximate. Entries marked ASSUMPTION are
 * not among the checked prices in docs/aws-notes.md; they are labelled as such wherever used.
 */

export const HOURS_PER_MONTH = 730;

export const FARGATE_PRICES = {
  vcpuHour: 0.04048,
  gbHour: 0.004445,
  /** Fargate Spot is "typically about 70% cheaper"; the real discount varies by hour and AZ. */
  spotDiscount: 0.7,
} as const;

export const GP3_PRICES = {
  gbMonth: 0.08,
  /** Per provisioned IOPS-month above the 3000 included. */
  iopsMonth: 0.005,
  includedIops: 3000,
  /** Per MiB/s-month above the 125 included. */
  throughputMonth: 0.04,
  includedThroughputMiBps: 125,
} as const;

/**
 * ASSUMPTION: io1/io2/gp2 prices are unchecked (docs/aws-notes.md). These are typical us-east-1 list
 * prices at the time of writing, used only so the plan shows an order of magnitude; `plan` marks
 * them "assumed". io2's tiered IOPS pricing is flattened to its first tier.
 */
export const OTHER_EBS_PRICES_ASSUMED = {
  gp2: { gbMonth: 0.1, iopsMonth: 0 },
  io1: { gbMonth: 0.125, iopsMonth: 0.065 },
  io2: { gbMonth: 0.125, iopsMonth: 0.065 },
} as const;

export const SNAPSHOT_PRICES = { gbMonth: 0.05 } as const;

export const EFS_PRICES = {
  standardGbMonth: 0.3,
  elasticReadPerGb: 0.03,
  elasticWritePerGb: 0.06,
  provisionedMiBpsMonth: 6.0,
} as const;

export const ALB_PRICES = { hour: 0.0225, lcuHour: 0.008 } as const;
export const NAT_PRICES = { hour: 0.045, perGb: 0.045 } as const;
export const SECRETS_PRICES = { secretMonth: 0.4 } as const;
export const LOGS_PRICES = { ingestPerGb: 0.5 } as const;

export const PRICE_REGION = 'us-east-1';
