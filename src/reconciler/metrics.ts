/** CloudWatch embedded-metric-format: one JSON line per reconcile with every metric of the run. */
import type { MetricUnit } from '../continuity/ports.js';
import { METRICS } from '../continuity/settings.js';
import { emfBlock } from '../keeper/log.js';

export interface MetricValue {
  readonly name: string;
  readonly value: number;
  readonly unit: MetricUnit;
}

export function emfLine(lineage: string, metrics: readonly MetricValue[], at: Date, extra: Record<string, unknown> = {}): string {
  const line: Record<string, unknown> = {
    ...extra,
    _aws: emfBlock(at, metrics),
    [METRICS.dimension]: lineage,
  };
  for (const m of metrics) line[m.name] = m.value;
  return JSON.stringify(line);
}
