/**
 * The reconciler's procedure (docs/protocol.md, "Reconciler"). The Lambda handler
 * (src/reconciler/handler.ts) calls {@link reconcile} with AWS adapters; the simulator calls it
 * with in-memory ports. Safe to run on every event: it only ever targets the head.
 */
import { decideRoll, deploymentSnapshotIds, planRetention, selectHead, type RollDecision } from './decisions.js';
import { effectiveTime, type SnapshotKind } from './model.js';
import type { Clock, Ec2Port, EcsPort, LogEntry, MetricUnit, PointerPort } from './ports.js';
import { awsErrorCode, backoffDelay, DEFAULT_RETRY_POLICY, isRetryable, withRetries, type RetryPolicy } from './retry.js';
import { METRICS } from './settings.js';

export interface ReconcilerDeps {
  readonly ec2: Ec2Port;
  readonly ecs: EcsPort;
  readonly pointer: PointerPort;
  readonly clock: Clock;
  readonly log: (entry: LogEntry) => void;
  /** One metric value; the Lambda prints it as an embedded-metric-format line. */
  readonly metric: (name: string, value: number, unit: MetricUnit) => void;
}

export interface ReconcilerConfig {
  readonly lineage: string;
  readonly cluster: string;
  readonly service: string;
  readonly keepLast: number;
  readonly keepDailyDays: number;
  /** Kinds retention may delete. @default ['periodic', 'final'] */
  readonly pruneKinds?: readonly SnapshotKind[];
  /** @default DEFAULT_RETRY_POLICY */
  readonly retry?: RetryPolicy;
}

/** Snapshot deletions that may fail harmlessly (already gone, or in use by an AMI or a volume being created). */
const DELETE_TOLERATED = ['InvalidSnapshot.NotFound', 'InvalidSnapshot.InUse'];

export interface ReconcileReport {
  readonly head?: string;
  readonly headState?: string;
  /** Seconds since the head's effective time. */
  readonly headAgeSeconds?: number;
  readonly decision: RollDecision | { readonly action: 'nothing'; readonly reason: 'no-service' };
  readonly rolled: boolean;
  readonly pointerWritten: boolean;
  /**
   * A roll replaced a task that was running without holding the lineage: a task waiting at the
   * gate (STALE). This is how the reconciler counts stale starts (metric StaleStarts); the keeper
   * also logs its own stale decision.
   */
  readonly staleStarts: number;
  readonly pruned: readonly string[];
  /**
   * `error` snapshots found in the lineage. They hold nothing usable, so the reconciler deletes
   * them once counted: "newly seen" then needs no memory between runs.
   */
  readonly snapshotFailures: readonly string[];
}

/** One reconciliation: head → holder → current → pointer/roll → retention → metrics. */
export async function reconcile(deps: ReconcilerDeps, cfg: ReconcilerConfig): Promise<ReconcileReport> {
  const { ec2, ecs, pointer, clock } = deps;
  const policy = cfg.retry ?? DEFAULT_RETRY_POLICY;
  const retry = <T>(fn: () => Promise<T>, retryable?: readonly string[]): Promise<T> =>
    withRetries(fn, {
      clock,
      policy,
      ...(retryable ? { retryable } : {}),
      onRetry: ({ attempt, code, delayMs }) => log('warn', 'aws call throttled or failed, retrying', { attempt, code, delayMs }),
    });
  const log = (level: LogEntry['level'], msg: string, fields: Record<string, unknown> = {}): void =>
    deps.log({ level, msg, lineage: cfg.lineage, ...fields });

  const snapshots = await retry(() => ec2.listLineage(cfg.lineage));
  const head = selectHead(snapshots);
  const holders = await retry(() => ec2.listHolders(cfg.lineage));
  const service = await retry(() => ecs.describeService(cfg.cluster, cfg.service));
  const current = await retry(() => pointer.getPointer());
  const now = clock.now();
  const headAgeSeconds = head ? Math.max(0, Math.round((now.getTime() - effectiveTime(head).getTime()) / 1000)) : undefined;

  const failures: string[] = [];
  const referencedNow = new Set<string>(service ? deploymentSnapshotIds(service) : []);
  if (current) referencedNow.add(current);
  for (const s of snapshots) {
    if (s.state !== 'error' || referencedNow.has(s.id)) continue;
    failures.push(s.id);
    log('error', 'snapshot failed', { snapshot: s.id, kind: s.kind ?? null, task: s.task ?? null });
    try {
      await retry(() => ec2.deleteSnapshot(s.id));
    } catch (err) {
      if (!DELETE_TOLERATED.includes(awsErrorCode(err) ?? '')) throw err;
    }
  }

  const base = {
    ...(head ? { head: head.id, headState: head.state } : {}),
    ...(headAgeSeconds !== undefined ? { headAgeSeconds } : {}),
    snapshotFailures: failures,
  };
  if (service === undefined) {
    log('error', 'controller service not found', { cluster: cfg.cluster, service: cfg.service });
    emit(deps, headAgeSeconds, 0, 0, 0, failures.length);
    return { ...base, decision: { action: 'nothing', reason: 'no-service' }, rolled: false, pointerWritten: false, staleStarts: 0, pruned: [] };
  }

  const decision = decideRoll({ ...(head ? { head } : {}), holders, service, ...(current ? { pointer: current } : {}), lineage: cfg.lineage });
  let rolled = false;
  let pointerWritten = false;
  let staleStarts = 0;
  let pointerNow = current;
  if (decision.action === 'write-pointer' || decision.action === 'roll') {
    // Reads above may be stale by now (a restore may have promoted another snapshot meanwhile), and
    // AWS offers no compare-and-set: decide again from fresh reads right before writing, on every
    // attempt. The gate keeps a late roll safe anyway; this keeps it rare.
    let applied: RollDecision | undefined;
    for (let attempt = 1; ; attempt++) {
      const fresh = selectHead(await retry(() => ec2.listLineage(cfg.lineage)));
      const freshHolders = await retry(() => ec2.listHolders(cfg.lineage));
      const freshService = await retry(() => ecs.describeService(cfg.cluster, cfg.service));
      const freshPointer = await retry(() => pointer.getPointer());
      if (freshService === undefined) break;
      const again = decideRoll({ ...(fresh ? { head: fresh } : {}), holders: freshHolders, service: freshService, ...(freshPointer ? { pointer: freshPointer } : {}), lineage: cfg.lineage });
      if (again.action !== decision.action || again.snapshotId !== decision.snapshotId) break;
      // Pointer first: if the roll fails, the next run retries it, and a `cdk deploy` in between
      // already launches from the head.
      if (freshPointer !== again.snapshotId) {
        await retry(() => pointer.putPointer(again.snapshotId));
        pointerWritten = true;
        pointerNow = again.snapshotId;
      }
      if (again.action === 'roll') {
        try {
          await ecs.rollSnapshot(cfg.cluster, cfg.service, again.snapshotId);
        } catch (err) {
          // A throttled roll is retried only after deciding again from fresh reads.
          if (!isRetryable(err) || attempt >= policy.maxAttempts) throw err;
          const delayMs = backoffDelay(policy, attempt);
          log('warn', 'aws call throttled or failed, retrying', { attempt, code: awsErrorCode(err) ?? 'unknown', delayMs });
          await clock.sleep(delayMs);
          continue;
        }
      }
      applied = again;
      break;
    }
    if (applied === undefined) log('info', 'the lineage or the service changed while reconciling; leaving it to the next run', { planned: decision.action, snapshot: decision.snapshotId });
    else if (applied.action === 'roll') {
      rolled = true;
      // decideRoll rolls only when no volume holds the lineage, so a running task is one waiting at the gate.
      if (service.runningCount > 0) staleStarts = 1;
      log('info', 'rolled the service to the head', { snapshot: applied.snapshotId, from: applied.from ?? null, staleTaskReplaced: staleStarts > 0 });
    }
  } else {
    log('info', 'reconciled', { decision: decision.action, reason: decision.reason, snapshot: head?.id ?? null });
  }

  const pruned: string[] = [];
  // A pending head may still fail; keep the whole lineage until the head is settled.
  if (head !== undefined && head.state === 'completed') {
    // A roll's target is the head, which planRetention keeps; the PRIMARY deployment's snapshot is in deploymentSnapshotIds.
    const referenced = deploymentSnapshotIds(service);
    if (pointerNow) referenced.add(pointerNow);
    const plan = planRetention({
      snapshots: snapshots.filter((s) => !failures.includes(s.id)),
      head,
      referenced,
      now,
      keepLast: cfg.keepLast,
      keepDailyDays: cfg.keepDailyDays,
      ...(cfg.pruneKinds ? { pruneKinds: cfg.pruneKinds } : {}),
    });
    // The plan comes from reads that may be stale: a restore may have promoted a planned snapshot
    // (made it the head) and deployed it since. Read the pointer and the service again once before
    // deleting; a restore promotes before it writes the pointer or rolls, so the promoted-at read
    // right before each deletion (and after any throttled attempt) catches a later one.
    const freshPointer = plan.delete.length > 0 ? await retry(() => pointer.getPointer()) : undefined;
    const freshService = plan.delete.length > 0 ? await retry(() => ecs.describeService(cfg.cluster, cfg.service)) : undefined;
    const freshReferenced = freshService !== undefined ? deploymentSnapshotIds(freshService) : new Set<string>();
    for (const s of plan.delete) {
      for (let attempt = 1; ; attempt++) {
        const fresh = await retry(() => ec2.describeSnapshot(s.id));
        if (fresh === undefined) break;
        const promoted = fresh.promotedAt !== undefined && fresh.promotedAt.getTime() !== s.promotedAt?.getTime();
        if (promoted || freshPointer === s.id || freshReferenced.has(s.id)) {
          log('info', 'snapshot became the head or referenced meanwhile; kept', { snapshot: s.id });
          break;
        }
        try {
          await ec2.deleteSnapshot(s.id);
          pruned.push(s.id);
          break;
        } catch (err) {
          const code = awsErrorCode(err) ?? 'unknown';
          if (DELETE_TOLERATED.includes(code)) {
            log('warn', 'snapshot not deleted', { snapshot: s.id, code });
            break;
          }
          if (!isRetryable(err) || attempt >= policy.maxAttempts) throw err;
          await clock.sleep(backoffDelay(policy, attempt));
        }
      }
    }
    if (pruned.length > 0) log('info', 'retention pruned snapshots', { count: pruned.length, snapshots: pruned });
  }
  emit(deps, headAgeSeconds, rolled ? 1 : 0, staleStarts, pruned.length, failures.length);
  return { ...base, decision, rolled, pointerWritten, staleStarts, pruned };
}

function emit(deps: ReconcilerDeps, headAge: number | undefined, rolls: number, stale: number, pruned: number, failures: number): void {
  if (headAge !== undefined) deps.metric(METRICS.headAgeSeconds, headAge, 'Seconds');
  deps.metric(METRICS.rolls, rolls, 'Count');
  deps.metric(METRICS.staleStarts, stale, 'Count');
  deps.metric(METRICS.snapshotsPruned, pruned, 'Count');
  deps.metric(METRICS.snapshotFailures, failures, 'Count');
}
