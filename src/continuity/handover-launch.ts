/**
 * The handover's steps around the launch (src/continuity/handover.ts): the pre-copy snapshot, the
 * test for a launch before the stop, and the wait for the launched task's acquire. Each takes the
 * driver run's context; plain logic over ports.
 */
import { primaryDeployment } from './decisions.js';
import type { Driver } from './handover-ports.js';
import type { ServiceState, Snapshot } from './model.js';
import type { LineageRecord } from './record.js';
import { fence, register } from './transitions.js';

/** ECS reports the task STOPPED, or no longer knows it: nothing of it can write any more. */
export function taskGone(status: string): boolean {
  return status === 'STOPPED' || status === 'MISSING';
}

/** The PRIMARY deployment a launch is to replace, as the operation records it. */
export function replaced(service: ServiceState): { id: string; createdAt: string } | undefined {
  const p = primaryDeployment(service);
  return p === undefined ? undefined : { id: p.id, createdAt: p.createdAt.toISOString() };
}

/**
 * The service's deployment stops the old task before a new one counts (maximumPercent at most 100
 * with one task): only then may the new task launch before the stop. Above it ECS keeps the old
 * task until the new one is healthy, and the new one waits for the old one's handoff.
 */
export async function stopsBeforeStart({ deps, cfg, retry, log }: Driver): Promise<ServiceState | undefined> {
  const service = await retry(() => deps.ecs.describeService(cfg.cluster, cfg.service));
  if (service !== undefined && service.desiredCount <= 1 && service.maximumPercent !== undefined && service.maximumPercent <= 100) return service;
  log('info', 'no launch before the stop: the service may keep the old task until a new one is healthy', { maximumPercent: service?.maximumPercent ?? null, desiredCount: service?.desiredCount ?? null });
  return undefined;
}

/**
 * After a launch before the stop: wait until the operation ends (the new task's acquire, or the
 * write that lost the launch), fencing a holder whose task stopped without releasing. Answers why
 * it still waits when `until` (or the launch bound) passed, undefined once it ended.
 */
export async function awaitAcquire({ deps, cfg, id, retry, write, log }: Driver, outOfTime: () => boolean, pollMs: number): Promise<string | undefined> {
  const giveUpAt = deps.clock.now().getTime() + (cfg.launchTimeoutMs ?? 1_800_000);
  for (;;) {
    const r = await retry(() => deps.record.read(cfg.lineage));
    if (r?.operation?.id !== id) {
      if (r?.holder !== undefined && r.launch !== undefined) log('info', 'the new task holds the lineage', { task: r.holder.taskArn, launch: r.launch });
      else log('warn', 'the launch from the pre-copy could not hold the lineage (no handoff); the reconciler rolls the service to the head', { head: r?.head?.snapshotId ?? null });
      return undefined;
    }
    const holder = r.holder;
    if (holder !== undefined && taskGone(await retry(() => deps.ecs.taskStatus(cfg.cluster, holder.taskArn)))) {
      const res = await write((x) => fence(x, holder));
      if (res.wrote) log('info', 'holder fenced: its task stopped without releasing', { task: holder.taskArn, token: holder.token });
      continue;
    }
    const why = holder !== undefined ? `task ${holder.taskArn} is stopping and hands over` : 'the new task has not acquired yet';
    if (outOfTime()) return why;
    if (deps.clock.now().getTime() >= giveUpAt) return `${why} (the handover completes without this driver)`;
    await deps.clock.sleep(pollMs);
  }
}

/** CreateSnapshot of the holder's volume, registered under the holder's token (kind manual). Undefined when there is nothing to copy. */
export async function startPreCopy({ deps, cfg, id, retry, write, log }: Driver, record: LineageRecord): Promise<string | undefined> {
  const holder = record.holder;
  if (holder === undefined) {
    log('info', 'no holder: no pre-copy (nothing serves the home)', { operation: id });
    return undefined;
  }
  let snap: Snapshot;
  try {
    snap = await retry(() =>
      deps.ec2.createSnapshot(holder.volumeId, { lineage: cfg.lineage, kind: 'manual', task: holder.taskArn }, `jenkins-ecs pre-copy of lineage ${cfg.lineage} (handover ${id})`),
    );
  } catch (err) {
    // The task crashed and ECS deleted its volume: there is nothing to pre-copy; the stop step fences.
    log('warn', 'pre-copy snapshot not created; continuing without it', { volume: holder.volumeId, error: err instanceof Error ? err.name : String(err) });
    return undefined;
  }
  const res = await write((r) => register(r, { token: holder.token, snapshotId: snap.id, kind: 'manual', task: holder.taskArn }));
  if (!res.outcome.ok) {
    log('warn', 'pre-copy snapshot not registered (the holder changed); continuing without it', { snapshot: snap.id, reason: res.outcome.reason });
    return undefined;
  }
  log('info', 'pre-copy snapshot started', { snapshot: snap.id, volume: holder.volumeId });
  return snap.id;
}
