/**
 * Reconciler Lambda handler: parse the EventBridge event, call the core `reconcile()` through the
 * AWS adapters, print the run's metrics as one embedded-metric-format line. No decisions here.
 */
import { createClients, type AwsClients } from '../aws/clients.js';
import { Ec2Adapter } from '../aws/ec2-adapter.js';
import { EcsAdapter } from '../aws/ecs-adapter.js';
import { DynamoRecordAdapter } from '../aws/record-adapter.js';
import { systemClock } from '../continuity/clock.js';
import type { Clock, LogEntry } from '../continuity/ports.js';
import { reconcile, type ReconcileReport } from '../continuity/reconciler.js';
import { createLogger, type LogSink } from '../keeper/log.js';
import { parseTrigger, type Trigger } from './events.js';
import { emfLine, type MetricValue } from './metrics.js';
import { readReconcilerSettings, type ReconcilerSettings } from './settings.js';

export interface HandlerResult {
  readonly trigger: Trigger;
  /** Why the run was skipped (an event about another lineage or service). */
  readonly skipped?: string;
  readonly report?: ReconcileReport;
}

export interface HandlerOptions {
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Clients to use instead of the default chain (tests aim them at moto or recorded responses). */
  readonly clients?: Partial<AwsClients>;
  /** @default - one line on stdout, which Lambda ships to CloudWatch Logs */
  readonly print?: LogSink;
  readonly clock?: Clock;
}

const stdoutPrint: LogSink = (line) => {
  process.stdout.write(`${line}\n`);
};

export function createHandler(options: HandlerOptions = {}): (event: unknown) => Promise<HandlerResult> {
  let cached: { settings: ReconcilerSettings; ec2: Ec2Adapter; ecs: EcsAdapter; record: DynamoRecordAdapter } | undefined;
  const print = options.print ?? stdoutPrint;
  const clock = options.clock ?? systemClock;
  const log = createLogger(print, () => clock.now());

  // Built on first use, not at import: a bad environment fails the invocation with a clear log line.
  const wiring = () => {
    if (cached) return cached;
    const settings = readReconcilerSettings(options.env ?? process.env);
    const defaults = options.clients?.ec2 && options.clients.ecs && options.clients.dynamodb ? undefined : createClients();
    const clients: AwsClients = {
      ec2: options.clients?.ec2 ?? defaults!.ec2,
      ecs: options.clients?.ecs ?? defaults!.ecs,
      dynamodb: options.clients?.dynamodb ?? defaults!.dynamodb,
    };
    cached = {
      settings,
      ec2: new Ec2Adapter(clients.ec2),
      ecs: new EcsAdapter(clients.ecs, settings.initializationRateMiBps ? { initializationRateMiBps: settings.initializationRateMiBps } : {}),
      record: new DynamoRecordAdapter(clients.dynamodb, settings.recordTable),
    };
    return cached;
  };

  return async (event: unknown): Promise<HandlerResult> => {
    const trigger = parseTrigger(event);
    let w: ReturnType<typeof wiring>;
    try {
      w = wiring();
    } catch (e) {
      log({ level: 'error', msg: 'reconciler environment is invalid', error: String(e) });
      throw e;
    }
    const { settings } = w;
    const base = { lineage: settings.lineage };

    if (trigger.kind === 'task' && trigger.group !== undefined && trigger.group !== `service:${settings.service}`) {
      return { trigger, skipped: `task of ${trigger.group}, not service:${settings.service}` };
    }
    if (trigger.kind === 'snapshot' && trigger.result === 'succeeded' && trigger.snapshotId) {
      // Every snapshot in the account raises this event; only this lineage's matter.
      const s = await w.ec2.describeSnapshot(trigger.snapshotId);
      if (s !== undefined && s.lineage !== settings.lineage) {
        return { trigger, skipped: `snapshot ${trigger.snapshotId} is not in lineage ${settings.lineage}` };
      }
    }
    if (trigger.kind === 'snapshot' && trigger.result !== 'succeeded') {
      log({ level: 'warn', msg: 'snapshot creation failed', ...base, ...(trigger.snapshotId ? { snapshot: trigger.snapshotId } : {}), source: trigger.volume ?? null, result: trigger.result });
    } else {
      log({ level: 'info', msg: 'reconcile triggered', ...base, trigger });
    }

    const metrics: MetricValue[] = [];
    let report: ReconcileReport;
    try {
      report = await reconcile(
        {
          ec2: w.ec2,
          ecs: w.ecs,
          record: w.record,
          clock,
          log: (entry: LogEntry) => log(entry),
          metric: (name, value, unit) => metrics.push({ name, value, unit }),
        },
        {
          lineage: settings.lineage,
          cluster: settings.cluster,
          service: settings.service,
          keepLast: settings.keepLast,
          keepDailyDays: settings.keepDailyDays,
        },
      );
    } catch (e) {
      log({ level: 'error', msg: 'reconcile failed', ...base, code: (e as { name?: string }).name ?? 'unknown', error: String(e) });
      throw e; // a failed invocation shows in the function's Errors metric; the schedule retries
    }
    if (metrics.length > 0) print(emfLine(settings.lineage, metrics, clock.now(), { msg: 'reconcile metrics', level: 'info' }));
    return { trigger, report };
  };
}

export const handler = createHandler();
