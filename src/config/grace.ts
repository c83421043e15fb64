/**
 * The controller service's health-check grace period, derived from the home's size (issue 10.8).
 *
 * A task that starts behind the head waits at the gate, answering nothing, until the head it
 * needs has completed and the reconciler has rolled the service onto it; only then does Jenkins
 * boot. ECS ignores failing health checks for the grace period after a task starts; if the grace
 * ran out first, ECS would kill the waiting (or still booting) task, start another equally stale
 * one, and count both towards the deployment circuit breaker, which also fails a running
 * `cdk deploy`. So the grace covers, in order:
 * - the pending head's completion. Snapshot time is unpredictable (docs/aws-facts.md); the
 *   budget assumes a full copy of the volume at the slowest rate reported (a first 50 GB gp3
 *   snapshot took ~16 min: 20 s per GiB), at least 5 minutes (small incremental snapshots take ~3);
 * - the reconciler's delay: seconds on the snapshot event, at worst its 5-minute schedule;
 * - a Jenkins boot with plugins on a home that hydrates lazily from its snapshot: 10 minutes.
 * Trade-off: a Jenkins that truly hangs at boot is replaced only after the grace, and the
 * "no healthy controller" alarm waits as long. Deploy-time starts (first create, retry,
 * re-create) do not wait at the gate at all: the LaunchSnapshot resource waits for the head.
 * Pure: no CDK.
 */

/** Never less than this (the v0.1 value). */
export const MIN_GRACE_SECONDS = 900;
/** Never more than this: a hung Jenkins must be replaced on the same day. */
export const MAX_GRACE_SECONDS = 6 * 3600;
/** Full-copy snapshot rate assumed for the budget (~16 min for 50 GB). */
export const SNAPSHOT_SECONDS_PER_GIB = 20;
export const MIN_SNAPSHOT_SECONDS = 300;
export const RECONCILER_DELAY_SECONDS = 300;
export const JENKINS_BOOT_SECONDS = 600;

export function controllerGraceSeconds(sizeGiB: number): number {
  const snapshot = Math.max(MIN_SNAPSHOT_SECONDS, Math.ceil(sizeGiB) * SNAPSHOT_SECONDS_PER_GIB);
  const total = snapshot + RECONCILER_DELAY_SECONDS + JENKINS_BOOT_SECONDS;
  return Math.min(MAX_GRACE_SECONDS, Math.max(MIN_GRACE_SECONDS, total));
}
