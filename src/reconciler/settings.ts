/** The reconciler Lambda's environment (RECONCILER_ENV, set by the HomeContinuity construct). */
import { RECONCILER_ENV } from '../continuity/settings.js';

export interface ReconcilerSettings {
  readonly lineage: string;
  readonly cluster: string;
  readonly service: string;
  /** DynamoDB table of the lineage record. */
  readonly recordTable: string;
  readonly keepLast: number;
  readonly keepDailyDays: number;
  /** @default - the rate already on the service's volume configuration */
  readonly initializationRateMiBps?: number;
}

export class ReconcilerSettingsError extends Error {
  public constructor(public readonly problems: readonly string[]) {
    super(`reconciler environment is invalid: ${problems.join('; ')}`);
    this.name = 'ReconcilerSettingsError';
  }
}

export function readReconcilerSettings(env: NodeJS.ProcessEnv): ReconcilerSettings {
  const problems: string[] = [];
  const required = (name: string): string => {
    const v = env[name];
    if (!v) problems.push(`${name} is required`);
    return v ?? '';
  };
  const integer = (name: string, min: number, fallback?: number): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      if (fallback === undefined) problems.push(`${name} is required`);
      return fallback;
    }
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) {
      problems.push(`${name} must be an integer >= ${min}, got "${raw}"`);
      return fallback;
    }
    return n;
  };
  const lineage = required(RECONCILER_ENV.lineage);
  const cluster = required(RECONCILER_ENV.cluster);
  const service = required(RECONCILER_ENV.service);
  const recordTable = required(RECONCILER_ENV.recordTable);
  const keepLast = integer(RECONCILER_ENV.keepLast, 1, 12);
  const keepDailyDays = integer(RECONCILER_ENV.keepDailyDays, 0, 14);
  const rate = integer(RECONCILER_ENV.initializationRateMiBps, 100, 0);
  if (rate !== undefined && rate !== 0 && rate > 300) problems.push(`${RECONCILER_ENV.initializationRateMiBps} must be 100..300, got ${rate}`);
  if (problems.length > 0) throw new ReconcilerSettingsError(problems);
  return {
    lineage,
    cluster,
    service,
    recordTable,
    keepLast: keepLast!,
    keepDailyDays: keepDailyDays!,
    ...(rate ? { initializationRateMiBps: rate } : {}),
  };
}
