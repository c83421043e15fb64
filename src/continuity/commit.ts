/**
 * One transition, one conditional write: read the record (consistent read), decide with a pure
 * transition, write conditioned on the `seq` that was read, and when somebody else wrote first
 * (the condition failed) read again and decide again. Throttling is retried by {@link withRetries}.
 */
import type { Clock } from './ports.js';
import type { LineageRecord, RecordPort } from './record.js';
import { withRetries, type RetryPolicy } from './retry.js';
import type { Outcome } from './transitions.js';

/** Throttling codes of the record store (DynamoDB), on top of the EC2/ECS ones. */
export const RECORD_RETRYABLE: readonly string[] = ['ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'ThrottlingException', 'InternalServerError', 'ServiceUnavailable'];

export class RecordContentionError extends Error {
  override readonly name = 'RecordContentionError';
}

export interface CommitOptions {
  readonly clock: Clock;
  readonly retry?: RetryPolicy;
  /** Conditional-write failures in a row before giving up. @default 20 */
  readonly maxConflicts?: number;
  readonly deadline?: Date;
  readonly signal?: AbortSignal;
  readonly onRetry?: (info: { attempt: number; code: string; delayMs: number }) => void;
}

export interface CommitResult {
  readonly outcome: Outcome;
  /** The record the outcome was decided on (undefined: the lineage had none). */
  readonly read: LineageRecord | undefined;
  /** True when `outcome.record` was written by this call. */
  readonly wrote: boolean;
}

/**
 * Reads, decides and writes until the write lands or the decision is a refusal or "unchanged".
 * `decide` is called on every fresh read and must be pure (it may close over inputs read by id).
 */
export async function commit(
  port: RecordPort,
  lineage: string,
  decide: (record: LineageRecord | undefined) => Outcome,
  opts: CommitOptions,
): Promise<CommitResult> {
  const retry = <T>(fn: () => Promise<T>): Promise<T> =>
    withRetries(fn, {
      clock: opts.clock,
      retryable: RECORD_RETRYABLE,
      ...(opts.retry ? { policy: opts.retry } : {}),
      ...(opts.deadline ? { deadline: opts.deadline } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onRetry ? { onRetry: opts.onRetry } : {}),
    });
  const max = opts.maxConflicts ?? 20;
  for (let conflicts = 0; ; conflicts++) {
    const read = await retry(() => port.read(lineage));
    const outcome = decide(read);
    if (!outcome.ok || outcome.unchanged === true) return { outcome, read, wrote: false };
    const expected = read?.seq;
    if (outcome.record.seq !== (expected ?? 0) + 1) throw new RangeError(`a transition must advance seq by one (read ${expected ?? 'none'}, wrote ${outcome.record.seq})`);
    if (await retry(() => port.write(outcome.record, expected))) return { outcome, read, wrote: true };
    if (conflicts + 1 >= max) throw new RecordContentionError(`the record of ${lineage} changed under ${max} writes in a row; giving up`);
  }
}
