/**
 * `DeltaPort` on the real file system and S3 (docs/design/handoff.md): `ship` packs the home into
 * a temp file (delta-pack.ts) and uploads it with one PutObject (up to 5 GiB; a delta is normally
 * MBs) carrying its SHA-256, which S3 checks on receipt; `apply` downloads to a temp file, checks
 * size and SHA-256 against the ref before the home is touched, then applies (delta-apply.ts) and
 * flushes the file system. Both stop at the deadline.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DeltaPort, DeltaRef } from '../continuity/ports.js';
import { awsErrorCode } from '../continuity/retry.js';
import { DeltaError } from './delta-archive.js';
import { applyDelta, type ApplyOptions } from './delta-apply.js';
import { packDelta } from './delta-pack.js';
import { syncFileSystem } from './host.js';

export interface S3DeltaPortOptions {
  readonly client: S3Client;
  /** The deployment's handoff bucket (`JENKINS_ECS_HANDOFF_BUCKET`). */
  readonly bucket: string;
  /**
   * Server-side encryption of the upload: SSE-KMS with a named key, SSE-S3, or none named, so S3
   * applies the bucket's default (the handoff bucket's is SSE-KMS with the home key when there is
   * one, else SSE-S3). Naming AES256 on a bucket whose default is SSE-KMS would override it.
   * @default 'bucket-default'
   */
  readonly encryption?: { readonly kmsKeyId: string } | 'AES256' | 'bucket-default';
  /** Where archives are staged; never inside the home. @default os.tmpdir() */
  readonly tmpDir?: string;
  /** Flushes the home's file system after an apply. @default `sync -f` (host.ts) */
  readonly sync?: (path: string) => Promise<void>;
  /** Only `allowOwnerMismatch`, for tests that do not run as root. */
  readonly apply?: Pick<ApplyOptions, 'allowOwnerMismatch'>;
}

/** A signal that fires at `deadline`; throws at once when it has already passed. */
function deadlineSignal(deadline: Date, what: string): AbortSignal {
  const ms = deadline.getTime() - Date.now();
  if (ms <= 0) throw new DeltaError('aborted', `${what}: the deadline ${deadline.toISOString()} has passed`);
  return AbortSignal.timeout(ms);
}

export class S3DeltaPort implements DeltaPort {
  public constructor(private readonly options: S3DeltaPortOptions) {}

  private url(key: string): string {
    return `s3://${this.options.bucket}/${key}`;
  }

  /** Any failure as a DeltaError; one caused by the deadline says so. */
  private failure(e: unknown, signal: AbortSignal, what: string, deadline: Date): DeltaError {
    if (signal.aborted) return new DeltaError('aborted', `${what} did not finish before the deadline ${deadline.toISOString()}`, { cause: e });
    if (e instanceof DeltaError) return e;
    const code = awsErrorCode(e);
    return new DeltaError('io', `${what} failed: ${code ? `${code}: ` : ''}${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }

  private async staged<T>(use: (file: string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(this.options.tmpDir ?? tmpdir(), 'jenkins-ecs-delta-'));
    try {
      return await use(join(dir, 'delta'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  public async ship(home: string, cutoff: Date, key: string, deadline: Date): Promise<DeltaRef> {
    const what = `shipping the delta of ${home} to ${this.url(key)}`;
    const signal = deadlineSignal(deadline, what);
    try {
      return await this.staged(async (file) => {
        const packed = await packDelta(home, cutoff, { output: file, signal });
        const encryption = this.options.encryption ?? 'bucket-default';
        await this.options.client.send(
          new PutObjectCommand({
            Bucket: this.options.bucket,
            Key: key,
            Body: createReadStream(file),
            ContentLength: packed.bytes,
            ChecksumAlgorithm: 'SHA256',
            ChecksumSHA256: Buffer.from(packed.sha256, 'hex').toString('base64'),
            ...(encryption === 'AES256'
              ? { ServerSideEncryption: 'AES256' }
              : encryption === 'bucket-default'
                ? {}
                : { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: encryption.kmsKeyId }),
            Metadata: { sha256: packed.sha256, entries: String(packed.entries) },
          }),
          { abortSignal: signal },
        );
        return { key, sha256: packed.sha256, bytes: packed.bytes, files: packed.entries };
      });
    } catch (e) {
      throw this.failure(e, signal, what, deadline);
    }
  }

  public async apply(home: string, ref: DeltaRef, deadline: Date): Promise<void> {
    const what = `applying the delta ${this.url(ref.key)} onto ${home}`;
    const signal = deadlineSignal(deadline, what);
    try {
      await this.staged(async (file) => {
        const res = await this.options.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: ref.key }), { abortSignal: signal });
        if (!(res.Body instanceof Readable)) throw new DeltaError('io', `${what}: GetObject returned no stream body`);
        const hash = createHash('sha256');
        let bytes = 0;
        const measure = new Transform({
          transform(chunk: Buffer, _enc, done) {
            hash.update(chunk);
            bytes += chunk.length;
            done(null, chunk);
          },
        });
        await pipeline(res.Body, measure, createWriteStream(file, { flags: 'wx', mode: 0o600 }), { signal });
        const sha256 = hash.digest('hex');
        // Before the home is touched: a different object under the key is refused whole.
        if (bytes !== ref.bytes || sha256 !== ref.sha256) {
          throw new DeltaError('digest', `${what}: the object is ${bytes} bytes with SHA-256 ${sha256}, the handoff names ${ref.bytes} bytes with ${ref.sha256}; the home was not touched`);
        }
        await applyDelta(home, file, { signal, ...this.options.apply });
        await (this.options.sync ?? syncFileSystem)(home);
      });
    } catch (e) {
      throw this.failure(e, signal, what, deadline);
    }
  }
}
