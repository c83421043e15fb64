/**
 * The planned handover (issue 12): one task start per planned restart or deploy, from a final
 * snapshot that carries only the last moments' writes, because a pre-copy snapshot taken while
 * Jenkins still served already holds the rest.
 *
 * A step machine over the lineage record's `operation` (kind `handover`): every step is one
 * idempotent action plus one conditional write that records how far the handover got, so a
 * driver that dies anywhere (a killed CLI, a custom-resource Lambda that timed out, a rollback)
 * leaves a record from which any later driver with the same operation id resumes. Steps:
 *
 * | step (record)  | action                                                                 |
 * |----------------|------------------------------------------------------------------------|
 * | `begun`        | operation set: no keeper may acquire, the reconciler does not roll     |
 * | `pre-copy`     | CreateSnapshot of the holder's volume, registered under its token; wait, bounded, until `completed` (Jenkins serves) |
 * | `stopping`     | UpdateService desiredCount 0: Jenkins stops, the keeper registers its final snapshot and releases |
 * | `stopped`      | the holder is released (or fenced: its task STOPPED by ARN), no task runs, the head is `completed` (by id) |
 * | `launching`    | `launch` = the handoff's base (or the head); then UpdateService(snapshotId = launch, desiredCount 1), or CloudFormation's service update |
 * | (ended)        | by the one new task's acquire, from the launch, in the same write (or by the driver once its UpdateService landed) |
 *
 * Never two writers: the new task starts only after the old holder released or was fenced and no
 * task of the service runs. Never a stale start: the launch is the head read after that point,
 * and no holder exists that could register a newer one. Plain logic over ports: no SDK here.
 */
import { commit, type CommitOptions } from './commit.js';
import { primaryDeployment } from './decisions.js';
import { awaitAcquire, replaced, startPreCopy, stopsBeforeStart, taskGone } from './handover-launch.js';
import { HANDOVER_STEPS, type Driver, type HandoverConfig, type HandoverDeps, type HandoverStep } from './handover-ports.js';
import type { LogEntry } from './ports.js';
import type { LineageRecord } from './record.js';
import { withRetries } from './retry.js';
import { adoptLaunch, advanceOperation, beginOperation, dropFailed, endOperation, fence, validHandoff, type Outcome } from './transitions.js';

export { HANDOVER_STEPS, type HandoverStep } from './handover-ports.js';

export type { HandoverConfig, HandoverDeps, HandoverEc2, HandoverEcs } from './handover-ports.js';
export { taskGone } from './handover-launch.js';

export interface HandoverRun {
  /** The operation id; a re-run with the same id (or `resume`) continues it. */
  readonly id: string;
  /** Continue a handover found in the record under another id (a re-run that lost the id). @default true */
  readonly resume?: boolean;
  /** Stop driving at this time and report `waiting` (the custom resource's isComplete budget). */
  readonly until?: Date;
  /**
   * `seq` of the write that began this handover (an earlier driver's `begunAt`). A record past it
   * with no operation of this id means the handover is over: the driver reports it done instead of
   * beginning another one (a poll whose predecessor's answer was lost must not restart Jenkins twice).
   */
  readonly begunAt?: number;
}

export type HandoverResult =
  /** `launch` is undefined only when every snapshot of the lineage failed during the handover (no head left). */
  | { readonly state: 'done'; readonly id: string; readonly begunAt: number; readonly launch?: string; readonly preCopy?: string }
  | { readonly state: 'waiting'; readonly id: string; readonly begunAt: number; readonly step: HandoverStep; readonly reason: string };

export type HandoverErrorCode = 'refused' | 'no-head' | 'no-service';

export class HandoverError extends Error {
  override readonly name = 'HandoverError';
  constructor(
    readonly code: HandoverErrorCode,
    message: string,
  ) {
    super(message);
  }
}


/**
 * Two transitions in one write: `second` decided on the outcome of `first`, `seq` advanced once.
 * Either refusing refuses the whole; both unchanged is unchanged.
 */
export function both(record: LineageRecord, first: (r: LineageRecord) => Outcome, second: (r: LineageRecord) => Outcome): Outcome {
  const a = first(record);
  if (!a.ok) return a;
  const b = second(a.record);
  if (!b.ok) return b;
  if (a.unchanged === true && b.unchanged === true) return { ok: true, record, unchanged: true };
  return { ok: true, record: { ...b.record, seq: record.seq + 1 } };
}

const stepIndex = (step: string | undefined): number => HANDOVER_STEPS.indexOf((step ?? 'begun') as HandoverStep);

const noRecord = (lineage: string): Outcome => ({ ok: false, code: 'nothing-to-do', reason: `${lineage} has no record` });

/** The handover that began at `run.begunAt` is over: the record moved past it and holds no operation of its id. */
export function over(record: LineageRecord | undefined, run: Pick<HandoverRun, 'id' | 'begunAt'>): boolean {
  return record !== undefined && run.begunAt !== undefined && record.seq > run.begunAt && record.operation?.id !== run.id;
}

/**
 * The `begin` decision: start a handover, or resume the one in progress (same id, or any handover
 * when `resume`). Another kind of operation refuses; so does a lineage without a head.
 */
export function decideBegin(record: LineageRecord | undefined, run: Pick<HandoverRun, 'id' | 'resume'>, lineage: string): Outcome {
  if (record === undefined) return noRecord(lineage);
  const op = record.operation;
  if (op !== undefined && op.kind === 'handover' && (op.id === run.id || run.resume !== false)) return { ok: true, record, unchanged: true };
  if (op === undefined && record.head === undefined) return { ok: false, code: 'no-head', reason: `${lineage} has no head yet: there is nothing to hand over (start the service once)` };
  return beginOperation(record, { kind: 'handover', id: run.id });
}

/** Drives the handover from wherever the record says it is, until it is done or `until` passes. */
export async function driveHandover(deps: HandoverDeps, cfg: HandoverConfig, run: HandoverRun): Promise<HandoverResult> {
  const { clock } = deps;
  const pollMs = cfg.pollMs ?? 2_000;
  const log = (level: LogEntry['level'], msg: string, fields: Record<string, unknown> = {}): void => deps.log({ level, msg, lineage: cfg.lineage, ...fields });
  const onRetry = ({ attempt, code, delayMs }: { attempt: number; code: string; delayMs: number }): void => log('warn', 'aws call throttled or failed, retrying', { attempt, code, delayMs });
  const retry = <T>(fn: () => Promise<T>): Promise<T> => withRetries(fn, { clock, ...(cfg.retry ? { policy: cfg.retry } : {}), onRetry });
  const copts: CommitOptions = { clock, ...(cfg.retry ? { retry: cfg.retry } : {}), onRetry };
  const write = (decide: (r: LineageRecord) => Outcome) => commit(deps.record, cfg.lineage, (r) => (r === undefined ? noRecord(cfg.lineage) : decide(r)), copts);
  const outOfTime = (): boolean => run.until !== undefined && clock.now().getTime() >= run.until.getTime();

  // 1. begin (or resume; or find it over).
  const begun = await commit(deps.record, cfg.lineage, (r) => (over(r, run) ? { ok: true, record: r!, unchanged: true } : decideBegin(r, run, cfg.lineage)), copts);
  if (!begun.outcome.ok) throw new HandoverError(begun.outcome.code === 'no-head' ? 'no-head' : 'refused', begun.outcome.reason);
  let record = begun.outcome.record;
  // Over (launch undefined only when every snapshot failed during it, and it ended without one).
  if (over(record, run)) return { state: 'done', id: run.id, begunAt: run.begunAt!, ...(record.launch ? { launch: record.launch } : {}) };
  const id = record.operation!.id;
  const driver: Driver = { deps, cfg, id, retry, write, log };
  const begunAt = record.operation!.seq;
  if (id !== run.id) log('info', 'resuming the handover in progress', { operation: id });
  const waiting = (step: HandoverStep, reason: string): HandoverResult => ({ state: 'waiting', id, begunAt, step, reason });
  const advance = async (step: HandoverStep, target?: string): Promise<void> => {
    const res = await write((r) => advanceOperation(r, { id, step, ...(target ? { target } : {}), order: HANDOVER_STEPS }));
    if (!res.outcome.ok) throw new HandoverError('refused', res.outcome.reason);
    record = res.outcome.record;
    // Already past it (this driver decided on an older read): no step entered, the caller goes on from the record's.
    if (record.operation?.step === step) deps.onStep?.(step, clock.now());
  };
  const reread = async (): Promise<LineageRecord> => {
    const r = await retry(() => deps.record.read(cfg.lineage));
    if (r?.operation?.id !== id) throw new HandoverError('refused', `handover ${id} is no longer in progress (another driver finished or aborted it)`);
    return r;
  };
  if (begun.wrote) deps.onStep?.('begun', clock.now());

  // 2. pre-copy, while Jenkins serves.
  let preCopy: string | undefined = record.operation?.step === 'pre-copy' ? record.operation.target : undefined;
  let preCopyCompleted = false;
  if (stepIndex(record.operation?.step) < stepIndex('pre-copy')) {
    preCopy = cfg.preCopy === false ? undefined : await startPreCopy(driver, record);
    await advance('pre-copy', preCopy);
  }
  if (record.operation?.step === 'pre-copy' && preCopy !== undefined) {
    for (;;) {
      const snap = await retry(() => deps.ec2.describeSnapshot(preCopy!));
      // Bounded from the snapshot's own StartTime, so a resumed driver does not restart the bound
      // (a liveness bound only, never an order: EBS's clock against ours).
      const limit = (snap?.startTime.getTime() ?? clock.now().getTime()) + (cfg.preCopyTimeoutMs ?? 900_000);
      if (snap?.state === 'completed') {
        preCopyCompleted = true;
        break;
      }
      if (snap === undefined || snap.state === 'error') {
        log('warn', 'pre-copy snapshot failed; the final snapshot carries everything', { snapshot: preCopy, state: snap?.state ?? 'missing' });
        const res = await write((r) => (r.head?.snapshotId === preCopy ? dropFailed(r, preCopy) : { ok: true, record: r, unchanged: true }));
        if (res.outcome.ok) record = res.outcome.record;
        break;
      }
      if (clock.now().getTime() >= limit) {
        log('warn', 'pre-copy snapshot not completed in time; stopping anyway', { snapshot: preCopy, progress: snap.progress ?? null });
        break;
      }
      if (outOfTime()) return waiting('pre-copy', `pre-copy ${preCopy} is ${snap.progress ?? snap.state}`);
      await clock.sleep(pollMs);
    }
  }

  // 3a. launch before the stop (docs/protocol.md, section 7): with the pre-copy completed and a
  // holder whose keeper ships a handoff delta, the one new task launches from the pre-copy now, in
  // the same service update that stops the old one. ECS counts only RUNNING and PENDING tasks
  // against maximumPercent, so it may place the new task while the old one drains and stops; the
  // new keeper waits for the old one's handoff (acquire answers `held`, not `stale`). Without the
  // handoff (the keeper could not ship, the task crashed) the launch is lost: the write that shows
  // it ends the operation, and the reconciler rolls to the head.
  const early = preCopyCompleted && preCopy !== undefined && cfg.launchBeforeStop !== false && stepIndex(record.operation?.step) < stepIndex('stopping') ? await stopsBeforeStart(driver) : undefined;
  if (early !== undefined && preCopy !== undefined) {
    const p = preCopy;
    const deployment = replaced(early);
    const res = await write((r) =>
      // The pre-copy must still be the head: if the holder crashes after this launch, the fence
      // leaves the head where it is and the launched task can still acquire from it.
      r.operation?.id === id && stepIndex(r.operation.step) < stepIndex('stopping') && r.holder?.handoff === true && r.head?.snapshotId === p
        ? both(r, (x) => adoptLaunch(x, p), (x) => advanceOperation(x, { id, step: 'launching', target: p, ...(deployment ? { deployment } : {}) }))
        : { ok: true, record: r, unchanged: true },
    );
    if (!res.outcome.ok) throw new HandoverError('refused', res.outcome.reason);
    record = res.outcome.record;
    if (record.operation?.step === 'launching') {
      log('info', 'launching from the pre-copy before the stop: the holder hands over with a delta', { preCopy: p, holder: record.holder?.taskArn ?? null });
      deps.onStep?.('launching', clock.now());
    }
  }

  // 3. stop: Jenkins first, then the keeper's final snapshot (registered and released by the keeper).
  if (stepIndex(record.operation?.step) < stepIndex('stopping')) await advance('stopping');
  if (record.operation?.step === 'stopping') {
    await retry(() => deps.ecs.setDesiredCount(cfg.cluster, cfg.service, 0));
    // 4. wait: no holder (released, or fenced once ECS reports its task STOPPED), no task, head completed.
    for (;;) {
      record = await reread();
      const holder = record.holder;
      if (holder !== undefined) {
        if (taskGone(await retry(() => deps.ecs.taskStatus(cfg.cluster, holder.taskArn)))) {
          const res = await write((r) => fence(r, holder));
          if (res.wrote) log('info', 'holder fenced: its task stopped without releasing', { task: holder.taskArn, token: holder.token });
          continue;
        }
        if (outOfTime()) return waiting('stopping', `task ${holder.taskArn} still holds the lineage`);
        await clock.sleep(pollMs);
        continue;
      }
      const service = await retry(() => deps.ecs.describeService(cfg.cluster, cfg.service));
      if (service === undefined) throw new HandoverError('no-service', `service ${cfg.service} not found in cluster ${cfg.cluster}`);
      const tasks = service.runningCount + (service.pendingCount ?? 0);
      if (tasks > 0) {
        if (outOfTime()) return waiting('stopping', `${tasks} task(s) still running or pending`);
        await clock.sleep(pollMs);
        continue;
      }
      const head = record.head;
      if (head === undefined) {
        // Every snapshot the handover could launch from failed (dropped below): there is nothing to
        // hand over any more. Leaving the operation and desiredCount 0 would keep Jenkins down for
        // good; instead end the operation and start the service as a lineage with no head starts
        // (the gate authorizes any volume then), from the deployment's current snapshot.
        log('error', 'the lineage lost its head during the handover (its snapshots failed); ending the handover without one', { operation: id });
        await write((r) => endOperation(r, id));
        if (cfg.starter !== 'cloudformation') await retry(() => deps.ecs.setDesiredCount(cfg.cluster, cfg.service, 1));
        return { state: 'done', id, begunAt, ...(record.launch ? { launch: record.launch } : {}), ...(preCopy ? { preCopy } : {}) };
      }
      // The handoff (docs/design/handoff.md): the keeper shipped the last writes as a delta from the
      // pre-copy, so the new task can start from that completed snapshot now instead of waiting
      // minutes for the final one to complete; its keeper applies the delta before the gate opens.
      const handoff = validHandoff(record);
      if (handoff !== undefined && (await retry(() => deps.ec2.describeSnapshot(handoff.base)))?.state === 'completed') {
        log('info', 'handoff: launching from the pre-copy with the delta', { base: handoff.base, final: head.snapshotId, delta: handoff.delta.key, bytes: handoff.delta.bytes });
        await advance('stopped', handoff.base);
        break;
      }
      const snap = await retry(() => deps.ec2.describeSnapshot(head.snapshotId));
      if (snap === undefined || snap.state === 'error') {
        log('error', 'snapshot failed', { snapshot: head.snapshotId, kind: head.kind, state: snap?.state ?? 'missing' });
        await write((r) => dropFailed(r, head.snapshotId));
        continue;
      }
      if (snap.state === 'completed') {
        await advance('stopped', head.snapshotId);
        break;
      }
      if (outOfTime()) return waiting('stopping', `final snapshot ${head.snapshotId} is ${snap.progress ?? 'pending'}`);
      await clock.sleep(pollMs);
    }
  }

  // 5. launch = head (the target the `stopped` step recorded), then exactly one task start.
  const target = record.operation?.target ?? record.head?.snapshotId;
  if (target === undefined) throw new HandoverError('no-head', `${cfg.lineage} has no head to launch from`);
  if (record.operation?.step === 'stopped') {
    // The operation stays at `launching` until the one new task acquires (its acquire ends it, in
    // the same write): with CloudFormation starting the task, the custom resource returns now and
    // the service update comes later; meanwhile no restore or second start can begin. The PRIMARY
    // deployment it is to replace is recorded, so the reconciler can tell a launch that something
    // else superseded (endSupersededLaunch) from one still to come.
    const current = await retry(() => deps.ecs.describeService(cfg.cluster, cfg.service));
    const deployment = current === undefined ? undefined : replaced(current);
    const res = await write((r) => both(r, (x) => adoptLaunch(x, target), (x) => advanceOperation(x, { id, step: 'launching', ...(deployment ? { deployment } : {}) })));
    if (!res.outcome.ok) throw new HandoverError('refused', res.outcome.reason);
    record = res.outcome.record;
    deps.onStep?.('launching', clock.now());
  }
  // A deploy that drives this handover too and will start the task with its service update has
  // said so in the record: a `restart` stands back rather than start a task (with the old task
  // definition) that the deploy's update would then replace.
  const starter = cfg.starter === 'service' && record.operation?.starter === 'cloudformation' ? 'cloudformation' : cfg.starter;
  if (record.operation?.step === 'launching' && starter === 'cloudformation') {
    if (cfg.starter !== starter) log('info', 'a deploy drives this handover and starts the task with its service update; not starting one here', { operation: id });
    return { state: 'done', id, begunAt, launch: target, ...(preCopy ? { preCopy } : {}) };
  }
  if (record.operation?.step === 'launching') {
    // A resumed driver must not start a second task: no UpdateService once the service launches
    // from the target (an earlier driver's call may have landed before it died), nor once its
    // PRIMARY deployment is no longer the one the launch is to replace (a deployment that
    // superseded the launch is the reconciler's to handle, not a reason to roll again).
    const service = await retry(() => deps.ecs.describeService(cfg.cluster, cfg.service));
    const primary = service === undefined ? undefined : primaryDeployment(service);
    const replacing = record.operation?.deployment;
    const launched = (primary?.snapshotId === target && (service?.desiredCount ?? 0) >= 1) || (replacing !== undefined && primary !== undefined && primary.id !== replacing.id);
    if (!launched) await retry(() => deps.ecs.rollSnapshot(cfg.cluster, cfg.service, target, { desiredCount: 1 }));
    const after = await retry(() => deps.record.read(cfg.lineage));
    if (after?.operation?.id === id && after.holder !== undefined) {
      // Launched before the stop: the holder's keeper ships its delta only while this operation
      // stands, so it stays until the new task's acquire ends it (or the write that loses the
      // launch does).
      const waited = await awaitAcquire(driver, outOfTime, pollMs);
      if (waited !== undefined) return waiting('launching', waited);
    } else {
      // 6. end: the new task's keeper acquires once the operation is gone.
      await write((r) => endOperation(r, id));
    }
  }
  log('info', 'handover done', { operation: id, launch: target, preCopy: preCopy ?? null });
  return { state: 'done', id, begunAt, launch: target, ...(preCopy ? { preCopy } : {}) };
}
