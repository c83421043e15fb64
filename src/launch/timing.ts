/**
 * Timing of the `LaunchSnapshot` custom resource (src/constructs/launch-snapshot.ts) and its
 * handler, in one place because the bound on a deploy's handover follows from all of them.
 *
 * How the CDK Provider framework waits (aws-cdk-lib custom-resources provider-framework:
 * `util.js` calculateRetryPolicy, `waiter-state-machine.js`): a Step Functions task invokes
 * isComplete and, while it answers "not complete", retries it `MaxAttempts = totalTimeout /
 * queryInterval` times, `IntervalSeconds = queryInterval` apart (BackoffRate 1); then onTimeout
 * fails the resource. The framework's totalTimeout therefore counts only the pauses: the wall time
 * is `MaxAttempts × (queryInterval + one isComplete's duration)`. Each isComplete here works for
 * up to {@link LAUNCH_STEP_BUDGET_MS} (driving the handover, or re-reading a pending head) before
 * it answers, so MaxAttempts is chosen from the wall-time bound {@link LAUNCH_WAIT_MS}:
 *
 *   MaxAttempts = floor(LAUNCH_WAIT / (LAUNCH_POLL + LAUNCH_STEP_BUDGET)) = floor(3300 / 40) = 82
 *   totalTimeout = 82 × 10 s = 820 s, wall time ≤ 82 × (10 s + 30 s + invoke overhead) ≈ 55 min
 *
 * CloudFormation gives a custom resource one hour at most (its ServiceTimeout, 3600 s by
 * default and at most), so the wall time stays below that with a margin for the invocations'
 * overhead. Within those 55 minutes a deploy's handover must: wait for the pre-copy snapshot (at
 * most {@link DEPLOY_PRE_COPY_TIMEOUT_MS}, then it stops anyway), stop Jenkins and the keeper
 * (the keeper's stopTimeout, 120 s), and wait for the final snapshot: so the final snapshot has
 * about 55 − 15 − 2 = 38 minutes. It carries only the writes since the pre-copy. Past that the
 * provider times out, the stack update fails and rolls back, and the rollback's request resumes
 * the handover from the record (src/continuity/handover-deploy.ts) with the service as starter.
 */
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../continuity/retry.js';

/** Wall-time bound of one deploy's wait (handover and pending head), below CloudFormation's hour. */
export const LAUNCH_WAIT_MS = 55 * 60_000;

/** The Provider framework's queryInterval: the pause between two isComplete invocations. */
export const LAUNCH_POLL_MS = 10_000;

/** How long one isComplete drives the handover (or waits for a pending head) before answering. */
export const LAUNCH_STEP_BUDGET_MS = 30_000;

/** The handover's own poll inside one isComplete. */
export const LAUNCH_HANDOVER_POLL_MS = 5_000;

/**
 * Timeout of the handler functions: one step budget plus the launch decision after it, with the
 * AWS SDK's retries (several seconds at worst), well inside.
 */
export const LAUNCH_LAMBDA_TIMEOUT_MS = 90_000;

/** How long a deploy's handover waits for its pre-copy snapshot before stopping Jenkins anyway. */
export const DEPLOY_PRE_COPY_TIMEOUT_MS = 15 * 60_000;

/** The framework's retry count (see above). */
export const LAUNCH_MAX_ATTEMPTS = Math.floor(LAUNCH_WAIT_MS / (LAUNCH_POLL_MS + LAUNCH_STEP_BUDGET_MS));

/** The framework's totalTimeout: the attempts' pauses only (an exact multiple of the interval). */
export const LAUNCH_TOTAL_TIMEOUT_MS = LAUNCH_MAX_ATTEMPTS * LAUNCH_POLL_MS;

/**
 * onEvent's retries of the handover's begin (DescribeServices, the begin write) on a transient AWS
 * error that outlived the SDK's and the record commit's own retries. A throw from onEvent fails
 * the resource at once and the rollback costs a handover, so onEvent backs off (1 s, 2 s, 4 s,
 * 8 s, then 10 s apart) and starts no retry whose delay would end after this budget; the last
 * attempt, with the commit's own retries ({@link DEFAULT_RETRY_POLICY}), still ends well inside
 * {@link LAUNCH_LAMBDA_TIMEOUT_MS}. Each attempt is the same request (same id), so a begin write
 * that landed before its answer was lost is resumed, not begun twice.
 */
export const ON_EVENT_RETRY_BUDGET_MS = 45_000;
export const ON_EVENT_RETRY_POLICY: RetryPolicy = { maxAttempts: 20, baseDelayMs: 1_000, maxDelayMs: 10_000 };

/** The longest a record commit keeps retrying on its own: the sum of its backoff delays. */
export const COMMIT_RETRY_DELAYS_MS = Array.from({ length: DEFAULT_RETRY_POLICY.maxAttempts - 1 }, (_, i) =>
  Math.min(DEFAULT_RETRY_POLICY.maxDelayMs, DEFAULT_RETRY_POLICY.baseDelayMs * 2 ** i),
).reduce((a, b) => a + b, 0);
