/**
 * Structured logs: one JSON object per line on stdout, with `msg` and the ids that matter
 * (lineage, task, volume, snapshot). A `metric` on an entry is also written as a CloudWatch
 * embedded-metric-format block on the same line, so the value and its context travel together.
 */
import type { LogEntry } from '../continuity/ports.js';
import { METRICS } from '../continuity/settings.js';

export type LogSink = (line: string) => void;

/** The `_aws` block of an embedded-metric-format line for one set of metrics of a lineage. */
export function emfBlock(timestamp: Date, metrics: readonly { name: string; unit: string }[]) {
  return {
    Timestamp: timestamp.getTime(),
    CloudWatchMetrics: [
      {
        Namespace: METRICS.namespace,
        Dimensions: [[METRICS.dimension]],
        Metrics: metrics.map((m) => ({ Name: m.name, Unit: m.unit })),
      },
    ],
  };
}

export function formatLogLine(entry: LogEntry, now: Date): string {
  const { level, msg, metric, ...rest } = entry;
  const line: Record<string, unknown> = { time: now.toISOString(), level, msg, ...rest };
  if (metric && typeof entry.lineage === 'string') {
    line._aws = emfBlock(now, [{ name: metric.name, unit: metric.unit }]);
    line[METRICS.dimension] = entry.lineage;
    line[metric.name] = metric.value;
  } else if (metric) {
    line.metric = metric;
  }
  return JSON.stringify(line, (_k, v: unknown) => (v instanceof Error ? { name: v.name, message: v.message } : v));
}

const stdoutSink: LogSink = (line) => {
  console.log(line);
};

/** A logger for the keeper process (or any host of the continuity code). */
export function createLogger(sink: LogSink = stdoutSink, now: () => Date = () => new Date()): (entry: LogEntry) => void {
  return (entry) => sink(formatLogLine(entry, now()));
}
