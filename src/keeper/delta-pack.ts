/**
 * Packs the delta of a home (docs/design/handoff.md, "Delta archive"): every entry whose ctime is
 * at or after the cutoff. ctime cannot be set from user space and moves on any change of content,
 * metadata, link count or name (Linux ext4 and XFS also set it on the renamed inode), so an entry
 * with an older ctime is, name and all, what the pre-copy snapshot holds.
 *
 * - Directories with a new ctime carry their complete entry list: the applier removes what is not
 *   in it (deleted or renamed away) and checks that each entry not packed is in the base as listed.
 * - A directory whose ctime is new but mtime old had only a metadata change: a chmod, or a rename,
 *   which moves its whole subtree without touching the ctimes below. Its subtree is packed in full,
 *   since the base holds it under another name (a job rename, a folder move).
 * - Hard links: each path is packed as a file of its own; the applier writes separate files.
 * - Special files (fifo, socket, device) are skipped and counted; they are left out of the entry
 *   lists, so the applier removes one of the same name from a changed directory.
 * - `lost+found` at the root is the file system's, not the home's: never packed nor listed.
 * - Jenkins has stopped, so nothing should change during the walk. A name that vanishes between
 *   the directory listing and its lstat is left out of the list (which is written after the
 *   lstats), and that directory is then packed with its list, re-read. Anything that changes
 *   after a list was written (a file that vanishes or changes size while packed) fails the pack:
 *   the archive would no longer describe one state of the home.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, lstatSync, type BigIntStats } from 'node:fs';
import { lstat, open, readdir, readlink, rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, type Gzip } from 'node:zlib';
import {
  checkAborted,
  DELTA_MAGIC,
  DeltaError,
  fsPath,
  headerBytes,
  latin1Home,
  shown,
  type DeltaRecord,
  type KeptIdentity,
} from './delta-archive.js';

export interface PackOptions {
  /** Where the archive file is written (it must not be inside the home). */
  readonly output: string;
  readonly signal?: AbortSignal;
  /** gzip level. @default 1 (fast: the stop budget matters more than a few percent of size) */
  readonly level?: number;
}

export interface PackResult {
  readonly path: string;
  /** Size of the archive file. */
  readonly bytes: number;
  /** SHA-256 of the archive file, lowercase hex. */
  readonly sha256: string;
  /** Entries packed (files, directories, symlinks). */
  readonly entries: number;
  /** Special files left out (fifo, socket, device). */
  readonly skipped: number;
  /** Content bytes of the packed files (before compression). */
  readonly contentBytes: number;
}

const CHUNK = 1 << 20;

function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function typeOf(st: BigIntStats): 'f' | 'd' | 'l' | undefined {
  if (st.isFile()) return 'f';
  if (st.isDirectory()) return 'd';
  if (st.isSymbolicLink()) return 'l';
  return undefined;
}

function common(rel: string, st: BigIntStats) {
  return { p: rel, m: Number(st.mode & 0o7777n), u: Number(st.uid), g: Number(st.gid), mt: st.mtimeNs.toString(), at: st.atimeNs.toString() };
}

function identity(st: BigIntStats, t: 'f' | 'd' | 'l'): KeptIdentity {
  return { t, m: Number(st.mode & 0o7777n), u: Number(st.uid), g: Number(st.gid), ...(t === 'd' ? {} : { s: Number(st.size) }), mt: st.mtimeNs.toString() };
}

class Packer {
  private readonly home: string;
  private readonly cutoffNs: bigint;
  private readonly gzip: Gzip;
  private entries = 0;
  private skipped = 0;
  private contentBytes = 0;

  public constructor(home: string, cutoff: Date, gzip: Gzip, private readonly signal: AbortSignal | undefined) {
    this.home = latin1Home(home);
    this.cutoffNs = BigInt(cutoff.getTime()) * 1_000_000n;
    this.gzip = gzip;
  }

  private async write(buf: Buffer): Promise<void> {
    if (!this.gzip.write(buf)) await once(this.gzip, 'drain');
  }

  private async record(r: DeltaRecord): Promise<void> {
    await this.write(headerBytes(r));
  }

  private changed(st: BigIntStats): boolean {
    return st.ctimeNs >= this.cutoffNs;
  }

  public async run(): Promise<{ entries: number; skipped: number; contentBytes: number }> {
    const st = await lstat(fsPath(this.home, ''), { bigint: true });
    if (!st.isDirectory()) throw new DeltaError('io', `home ${shown(this.home)} is not a directory`);
    await this.dir('', st, false);
    await this.record({ t: 'end', entries: this.entries, skipped: this.skipped });
    return { entries: this.entries, skipped: this.skipped, contentBytes: this.contentBytes };
  }

  /** Lists and lstats a directory's children; a name gone before its lstat is left out. */
  private async children(rel: string): Promise<{ list: Array<[string, BigIntStats]>; vanished: boolean }> {
    const names = (await readdir(fsPath(this.home, rel), { encoding: 'latin1' })).filter((n) => rel !== '' || n !== 'lost+found').sort();
    checkAborted(this.signal);
    // Synchronous lstats: at stop the keeper has nothing else to do, and on a warm dentry cache an
    // lstat is a few microseconds of kernel time, far less than a promise round trip through the
    // libuv pool (bench/delta.bench.ts: the walk ran ~3x faster this way). The event loop still
    // turns between directories (readdir above is asynchronous), so the stop deadline is honoured.
    const stats = names.map((name) => {
      try {
        return lstatSync(fsPath(this.home, rel === '' ? name : `${rel}/${name}`), { bigint: true });
      } catch (e) {
        if (!isNotFound(e)) throw e;
        return undefined;
      }
    });
    const list: Array<[string, BigIntStats]> = [];
    stats.forEach((st, i) => st && list.push([names[i]!, st]));
    return { list, vanished: list.length < names.length };
  }

  private async dir(rel: string, dirStat: BigIntStats, all: boolean): Promise<void> {
    const { list, vanished } = await this.children(rel);
    let st = dirStat;
    // The vanished name moved this directory's ctime: its metadata now, and its list, are packed.
    if (vanished) st = await lstat(fsPath(this.home, rel), { bigint: true });
    const packed = all || this.changed(st);
    const kids: Array<[string, BigIntStats, 'f' | 'd' | 'l', boolean]> = [];
    for (const [name, cst] of list) {
      const t = typeOf(cst);
      if (t === undefined) {
        this.skipped++;
        continue;
      }
      kids.push([name, cst, t, all || this.changed(cst)]);
    }
    if (packed) {
      this.entries++;
      await this.record({ t: 'd', ...common(rel, st), n: kids.map(([name, cst, t, p]) => [name, p ? null : identity(cst, t)] as const) });
    }
    for (const [name, cst, t, p] of kids) {
      const child = rel === '' ? name : `${rel}/${name}`;
      if (t === 'd') await this.dir(child, cst, all || (p && cst.mtimeNs < this.cutoffNs));
      else if (p && t === 'f') await this.file(child, cst);
      else if (p) await this.link(child, cst);
    }
  }

  private async link(rel: string, st: BigIntStats): Promise<void> {
    let target: string;
    try {
      target = await readlink(fsPath(this.home, rel), { encoding: 'latin1' });
    } catch (e) {
      throw new DeltaError('changed-while-packing', `home changed while packing: symlink ${shown(rel)} is gone (${String(e)}); Jenkins must be stopped`, { cause: e });
    }
    this.entries++;
    await this.record({ t: 'l', ...common(rel, st), l: target });
  }

  private async file(rel: string, st: BigIntStats): Promise<void> {
    const changed = (why: string, cause?: unknown): DeltaError =>
      new DeltaError('changed-while-packing', `home changed while packing: ${shown(rel)} ${why}; Jenkins must be stopped`, { cause });
    let fh;
    try {
      fh = await open(fsPath(this.home, rel), 'r');
    } catch (e) {
      if (isNotFound(e)) throw changed('is gone', e);
      throw e;
    }
    try {
      const now = await fh.stat({ bigint: true });
      if (now.ino !== st.ino || now.size !== st.size || now.ctimeNs !== st.ctimeNs) throw changed('was modified');
      const size = Number(st.size);
      this.entries++;
      await this.record({ t: 'f', ...common(rel, st), s: size });
      let pos = 0;
      while (pos < size) {
        checkAborted(this.signal);
        const buf = Buffer.allocUnsafe(Math.min(CHUNK, size - pos));
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) throw changed('was truncated');
        await this.write(buf.subarray(0, bytesRead));
        pos += bytesRead;
      }
      this.contentBytes += size;
    } finally {
      await fh.close();
    }
  }
}

/**
 * Packs the entries of `home` changed at or after `cutoff` into `options.output` (format:
 * delta-archive.ts). On any error the partial output is removed and the error rethrown.
 */
export async function packDelta(home: string, cutoff: Date, options: PackOptions): Promise<PackResult> {
  checkAborted(options.signal);
  const fileHash = createHash('sha256');
  let bytes = 0;
  const out = createWriteStream(options.output, { flags: 'wx', mode: 0o600 });
  const gzip = createGzip({ level: options.level ?? 1 });
  // The trailer: SHA-256 over the magic and the gzip stream, appended after the gzip stream ends.
  const trailer = createHash('sha256').update(DELTA_MAGIC);
  const count = (chunk: Buffer): void => {
    fileHash.update(chunk);
    bytes += chunk.length;
  };
  count(DELTA_MAGIC);
  const framing = new Transform({
    transform(chunk: Buffer, _enc, done) {
      trailer.update(chunk);
      count(chunk);
      done(null, chunk);
    },
    flush(done) {
      const digest = trailer.digest();
      count(digest);
      done(null, digest);
    },
  });
  framing.push(DELTA_MAGIC);
  const written = pipeline(gzip, framing, out);
  written.catch(() => undefined); // awaited below; an early failure must not be unhandled meanwhile
  try {
    const packer = new Packer(home, cutoff, gzip, options.signal);
    const counts = await packer.run();
    gzip.end();
    await written;
    return { path: options.output, bytes, sha256: fileHash.digest('hex'), ...counts };
  } catch (e) {
    gzip.destroy();
    await written.catch(() => undefined);
    await rm(options.output, { force: true });
    if (e instanceof DeltaError) throw e;
    throw new DeltaError('io', `packing the delta of ${home} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
