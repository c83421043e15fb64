/**
 * Bounded retries that tolerate only named AWS error codes. Adapters let SDK v3 errors through
 * unchanged: their `name` is the AWS error code, which is what this module reads.
 */
import type { Clock } from './ports.js';

/** AWS error codes worth retrying: throttling and transient server faults, nothing else. */
export const RETRYABLE_AWS_ERRORS: readonly string[] = [
  'RequestLimitExceeded', // EC2 API throttling
  'ThrottlingException', // ECS, DynamoDB
  'Throttling',
  'TooManyRequestsException',
  'SnapshotCreationPerVolumeRateExceeded', // EC2: snapshots of one volume requested too close together
  'ConcurrentSnapshotLimitExceeded',
  'InternalError', // EC2
  'InternalFailure',
  'InternalServerError', // DynamoDB
  'ServerException', // ECS
  'ServiceUnavailable',
  'Unavailable',
];

/** The AWS error code of a thrown value (its `name`), or undefined for non-errors. */
export function awsErrorCode(err: unknown): string | undefined {
  if (err instanceof Error) return err.name;
  if (typeof err === 'object' && err !== null && 'name' in err && typeof (err as { name: unknown }).name === 'string') {
    return (err as { name: string }).name;
  }
  return undefined;
}

export function isRetryable(err: unknown, codes: readonly string[] = RETRYABLE_AWS_ERRORS): boolean {
  const code = awsErrorCode(err);
  return code !== undefined && codes.includes(code);
}

export interface RetryPolicy {
  /** Attempts in total, the first included. */
  readonly maxAttempts: number;
  /** Delay before the second attempt; doubles each time. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 250, maxDelayMs: 8_000 };

export interface RetryOptions {
  readonly clock: Clock;
  readonly policy?: RetryPolicy;
  /** No retry is started if its delay would end after this instant. */
  readonly deadline?: Date;
  /** Error codes to tolerate; default {@link RETRYABLE_AWS_ERRORS}. */
  readonly retryable?: readonly string[];
  /** Told about every retry (for logging). */
  readonly onRetry?: (info: { attempt: number; code: string; delayMs: number }) => void;
  /** Aborting stops further attempts; the last error is thrown. */
  readonly signal?: AbortSignal;
}

/** Deterministic exponential backoff: base × 2^(attempt-1), capped (no jitter, so runs replay). */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * Runs `fn` until it succeeds, fails with an error whose code is not retryable, the attempts are
 * used up or the deadline would be passed. The last error is rethrown unchanged.
 */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const policy = opts.policy ?? DEFAULT_RETRY_POLICY;
  const codes = opts.retryable ?? RETRYABLE_AWS_ERRORS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!isRetryable(err, codes) || attempt >= policy.maxAttempts || opts.signal?.aborted) throw err;
      const delayMs = backoffDelay(policy, attempt);
      if (opts.deadline !== undefined && opts.clock.now().getTime() + delayMs >= opts.deadline.getTime()) throw err;
      opts.onRetry?.({ attempt, code: awsErrorCode(err) ?? 'unknown', delayMs });
      await opts.clock.sleep(delayMs);
    }
  }
}
