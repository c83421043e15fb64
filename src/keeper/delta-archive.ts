/**
 * The delta archive's file format (docs/design/handoff.md, "Delta archive"), shared by the packer
 * (delta-pack.ts) and the applier (delta-apply.ts).
 *
 * Our own framing rather than tar: tar's handling of ns mtimes, names that are not UTF-8, and of a
 * directory's full entry list (which tar has no field for) depends on flavour and flags, and the
 * applier would still have to parse it to check it before touching the home. Here:
 *
 *   "JEDELTA1"                      8 bytes, magic and version
 *   gzip(records)                   one gzip member
 *   sha256                          32 bytes, over every byte before it
 *
 * A record is `u32be length | header JSON | content` (content only for files: `size` bytes); the
 * last record is `{"t":"end"}` with the counts. Paths and names are the raw bytes of the file
 * system carried as latin1 strings (one char per byte), so names that are not valid UTF-8, or hold
 * a newline, survive exactly; JSON escapes the control characters.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

export const DELTA_MAGIC = Buffer.from('JEDELTA1', 'latin1');
export const DIGEST_BYTES = 32;
/** No single header of a sane archive comes close (a directory of 1M entries is ~100 MB); a corrupt length must not allocate GiBs. */
export const MAX_HEADER_BYTES = 256 * 1024 * 1024;

export type DeltaErrorCode = 'corrupt' | 'changed-while-packing' | 'base-mismatch' | 'owner' | 'aborted' | 'io' | 'digest';

/** Any failure of packing, shipping or applying a delta; after one from `applyDelta` the home is unusable. */
export class DeltaError extends Error {
  public constructor(
    public readonly code: DeltaErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DeltaError';
  }
}

/** What an unpacked entry of a packed directory must look like in the base (checked before any change). */
export interface KeptIdentity {
  /** 'f' file, 'd' directory, 'l' symlink */
  readonly t: 'f' | 'd' | 'l';
  readonly m: number;
  readonly u: number;
  readonly g: number;
  /** Size in bytes; not for directories (their size depends on the file system's history). */
  readonly s?: number;
  /** mtime, ns since the epoch, decimal. */
  readonly mt: string;
}

interface EntryBase {
  /** Path relative to the home, latin1; '' is the home itself. */
  readonly p: string;
  readonly m: number;
  readonly u: number;
  readonly g: number;
  readonly mt: string;
  readonly at: string;
}
export interface DirEntry extends EntryBase {
  readonly t: 'd';
  /** The directory's complete list: name → null (packed in this archive) or the identity it keeps from the base. */
  readonly n: ReadonlyArray<readonly [string, KeptIdentity | null]>;
}
export interface FileEntry extends EntryBase {
  readonly t: 'f';
  readonly s: number;
}
export interface LinkEntry extends EntryBase {
  readonly t: 'l';
  /** Target, latin1. */
  readonly l: string;
}
export interface EndRecord {
  readonly t: 'end';
  readonly entries: number;
  readonly skipped: number;
}
export type DeltaEntry = DirEntry | FileEntry | LinkEntry;
export type DeltaRecord = DeltaEntry | EndRecord;

/** A path of the home (latin1 representation) as the Buffer fs calls need. */
export function fsPath(home: string, rel: string): Buffer {
  return Buffer.from(rel === '' ? home : `${home}/${rel}`, 'latin1');
}

/** `home` as given (UTF-8) in the latin1 byte representation the archive uses. */
export function latin1Home(home: string): string {
  return Buffer.from(home.replace(/\/+$/, '') || '/', 'utf8').toString('latin1');
}

/** Printable form of a latin1 path for messages. */
export function shown(rel: string): string {
  return JSON.stringify(Buffer.from(rel, 'latin1').toString('utf8'));
}

export function headerBytes(record: DeltaRecord): Buffer {
  const json = Buffer.from(JSON.stringify(record), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(json.length);
  return Buffer.concat([len, json]);
}

/** lstats in flight per directory (libuv's thread pool has 4 threads by default). */
export const STAT_CONCURRENCY = 16;

/**
 * `fn` over `items` with at most `limit` calls in flight, results in order. lstat is a libuv
 * thread-pool call: a directory's entries stat'ed one by one leave the pool idle.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DeltaError('aborted', `delta aborted: ${String(signal.reason ?? 'deadline passed')}`);
}
export { checkAborted };

function parseRecord(raw: Buffer): DeltaRecord {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new DeltaError('corrupt', `delta archive is corrupt: a record header is not JSON (${String(e)})`);
  }
  const r = (value ?? {}) as Record<string, unknown>;
  const int = (v: unknown): boolean => Number.isSafeInteger(v);
  const ns = (v: unknown): boolean => typeof v === 'string' && /^-?\d+$/.test(v);
  const ok =
    typeof value === 'object' &&
    (r.t === 'end'
      ? int(r.entries) && int(r.skipped)
      : (r.t === 'd' || r.t === 'f' || r.t === 'l') &&
        typeof r.p === 'string' &&
        [r.m, r.u, r.g].every(int) &&
        ns(r.mt) &&
        ns(r.at) &&
        (r.t !== 'f' || (int(r.s) && (r.s as number) >= 0)) &&
        (r.t !== 'l' || typeof r.l === 'string') &&
        (r.t !== 'd' || Array.isArray(r.n)));
  if (!ok) throw new DeltaError('corrupt', `delta archive is corrupt: malformed record header ${raw.subarray(0, 200).toString('utf8')}`);
  return r as unknown as DeltaRecord;
}

/**
 * Reads an archive file front to back: hashes every byte while reading, inflates, and yields the
 * records; a file record's content must be consumed (`content`) before the next `next()`. `finish`
 * checks the digest trailer. Every failure is a DeltaError('corrupt').
 */
export class ArchiveReader {
  private buf: Buffer = Buffer.alloc(0);
  private iterator: AsyncIterator<Buffer> | undefined;
  private raw: ReadStream | undefined;
  private readonly hash: Hash = createHash('sha256');
  private trailer: Buffer = Buffer.alloc(0);
  private hashed = 0;
  private bodyBytes = 0;

  private constructor(
    private readonly path: string,
    private readonly signal: AbortSignal | undefined,
  ) {}

  public static async open(path: string, signal?: AbortSignal): Promise<ArchiveReader> {
    const reader = new ArchiveReader(path, signal);
    await reader.start();
    return reader;
  }

  private async start(): Promise<void> {
    const fh = await open(this.path, 'r');
    try {
      const { size } = await fh.stat();
      if (size < DELTA_MAGIC.length + DIGEST_BYTES) throw new DeltaError('corrupt', `delta archive is corrupt: ${size} bytes is too short`);
      this.bodyBytes = size - DIGEST_BYTES;
      const magic = Buffer.alloc(DELTA_MAGIC.length);
      await fh.read(magic, 0, magic.length, 0);
      if (!magic.equals(DELTA_MAGIC)) throw new DeltaError('corrupt', 'delta archive is corrupt: bad magic (not a jenkins-ecs delta)');
      this.trailer = Buffer.alloc(DIGEST_BYTES);
      await fh.read(this.trailer, 0, DIGEST_BYTES, this.bodyBytes);
    } finally {
      await fh.close();
    }
    this.hash.update(DELTA_MAGIC);
    this.hashed = DELTA_MAGIC.length;
    const raw = createReadStream(this.path, { start: DELTA_MAGIC.length, end: this.bodyBytes - 1, highWaterMark: 1 << 20 });
    this.raw = raw;
    raw.on('data', (chunk: string | Buffer) => {
      this.hash.update(chunk);
      this.hashed += chunk.length;
    });
    const gunzip = createGunzip();
    raw.on('error', (e) => gunzip.destroy(e));
    raw.pipe(gunzip);
    this.iterator = gunzip[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  private async more(): Promise<boolean> {
    checkAborted(this.signal);
    let r: IteratorResult<Buffer>;
    try {
      r = await this.iterator!.next();
    } catch (e) {
      throw new DeltaError('corrupt', `delta archive is corrupt: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    if (r.done) return false;
    this.buf = this.buf.length === 0 ? r.value : Buffer.concat([this.buf, r.value]);
    return true;
  }

  private async take(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      if (!(await this.more())) throw new DeltaError('corrupt', 'delta archive is corrupt: it ends in the middle of a record (truncated)');
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  public async next(): Promise<DeltaRecord> {
    const len = (await this.take(4)).readUInt32BE(0);
    if (len === 0 || len > MAX_HEADER_BYTES) throw new DeltaError('corrupt', `delta archive is corrupt: record header of ${len} bytes`);
    return parseRecord(Buffer.from(await this.take(len)));
  }

  /** The next `size` content bytes, in chunks (views: copy what must outlive the next chunk). */
  public async *content(size: number): AsyncGenerator<Buffer> {
    let left = size;
    while (left > 0) {
      if (this.buf.length === 0 && !(await this.more())) throw new DeltaError('corrupt', 'delta archive is corrupt: a file ends early (truncated)');
      const chunk = this.buf.subarray(0, Math.min(left, this.buf.length));
      this.buf = this.buf.subarray(chunk.length);
      left -= chunk.length;
      yield chunk;
    }
  }

  /** After the end record: nothing may follow, and the trailer must match the bytes read. */
  public async finish(): Promise<void> {
    if (this.buf.length > 0 || (await this.more())) throw new DeltaError('corrupt', 'delta archive is corrupt: data after the end record');
    if (this.hashed !== this.bodyBytes) throw new DeltaError('corrupt', `delta archive is corrupt: read ${this.hashed} of ${this.bodyBytes} bytes`);
    if (!this.hash.digest().equals(this.trailer)) throw new DeltaError('corrupt', 'delta archive is corrupt: SHA-256 trailer does not match its content');
  }

  /** Stops reading early (on an error). */
  public close(): void {
    this.raw?.destroy();
    void this.iterator?.return?.();
  }
}
