/**
 * Named AWS error codes the adapters tolerate. Everything else propagates: an adapter never
 * swallows an error it cannot name.
 */

/** The error code of an SDK v3 service exception (`name`, or `Code` on some XML services). */
export function awsErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { name?: unknown; Code?: unknown; code?: unknown };
  if (typeof e.Code === 'string') return e.Code;
  if (typeof e.code === 'string') return e.code;
  if (typeof e.name === 'string') return e.name;
  return undefined;
}

export function isAwsError(error: unknown, ...codes: readonly string[]): boolean {
  const code = awsErrorCode(error);
  return code !== undefined && codes.includes(code);
}

export const EC2_ERRORS = {
  snapshotNotFound: 'InvalidSnapshot.NotFound',
  volumeNotFound: 'InvalidVolume.NotFound',
} as const;

/** Raised when the adapters cannot do what the port promises, with the ids involved. */
export class AdapterError extends Error {
  public readonly code: string;
  public constructor(code: string, message: string) {
    super(message);
    this.name = 'AdapterError';
    this.code = code;
  }
}
