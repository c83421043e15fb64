/**
 * Applies a delta archive onto a home built from its base (docs/design/handoff.md, "Delta archive").
 * Pass one (delta-plan.ts) reads the whole archive, checks its SHA-256 trailer and its structure,
 * and checks that every entry the delta keeps from the base is there as packed; nothing is
 * changed before it succeeds. Pass two removes what the changed directories no longer list,
 * writes every entry (files and symlinks atomically: temp name in the same directory + rename),
 * then sets the directories' metadata, deepest first, and restores the times of the unchanged
 * directories it wrote into.
 *
 * Times: Node's utimes goes through libuv, which truncates to microseconds (uv__fs_to_timespec),
 * so the applied mtimes and atimes are exact to the microsecond, not the nanosecond. Entries the
 * delta does not carry keep the base's times untouched.
 */
import { randomBytes } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { chmod, lchown, lstat, lutimes, mkdir, open, readdir, rename, rm, symlink, utimes, type FileHandle } from 'node:fs/promises';
import { ArchiveReader, checkAborted, DeltaError, fsPath, latin1Home, shown, type DeltaEntry, type FileEntry, type LinkEntry } from './delta-archive.js';
import { parentOf, planDelta, type DeltaPlan } from './delta-plan.js';

export interface ApplyOptions {
  readonly signal?: AbortSignal;
  /**
   * For tests that do not run as root: an owner that cannot be set (EPERM) and differs is counted
   * in `ownersNotSet` instead of failing. The keeper runs as root and never sets it.
   * @default false
   */
  readonly allowOwnerMismatch?: boolean;
}

export interface ApplyResult {
  /** Entries written (files, directories, symlinks). */
  readonly entries: number;
  /** Entries of the base removed because a changed directory no longer lists them. */
  readonly removed: number;
  /** Only with `allowOwnerMismatch`: entries whose owner could not be set. */
  readonly ownersNotSet: number;
}

/** Seconds for utimes, exact to the microsecond despite the double (libuv truncates to µs). */
export function utimeSeconds(ns: string): number {
  const us = BigInt(ns) / 1000n;
  const sec = us / 1_000_000n;
  return Number(sec) + (Number(us - sec * 1_000_000n) + 0.5) / 1e6;
}

function depth(rel: string): number {
  return rel === '' ? 0 : rel.split('/').length;
}

class Applier {
  private readonly home: string;
  private ownersNotSet = 0;
  private removed = 0;

  public constructor(
    home: string,
    private readonly plan: DeltaPlan,
    private readonly options: ApplyOptions,
  ) {
    this.home = latin1Home(home);
  }

  private path(rel: string): Buffer {
    return fsPath(this.home, rel);
  }

  private async stat(rel: string): Promise<BigIntStats | undefined> {
    try {
      return await lstat(this.path(rel), { bigint: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** chown, tolerating EPERM only when the owner already matches or `allowOwnerMismatch` says so. */
  private async own(rel: string, e: DeltaEntry, chown: () => Promise<void>, current: () => Promise<{ uid: number; gid: number }>): Promise<void> {
    try {
      await chown();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
      const now = await current();
      if (now.uid === e.u && now.gid === e.g) return;
      if (this.options.allowOwnerMismatch) {
        this.ownersNotSet++;
        return;
      }
      throw new DeltaError('owner', `cannot set the owner of ${shown(rel)} to ${e.u}:${e.g} (EPERM): the keeper must run as root`, { cause: err });
    }
  }

  /** Removes what the changed directories no longer list (never `lost+found` at the root). */
  public async removeUnlisted(): Promise<void> {
    for (const [path, dir] of this.plan.dirs) {
      if (!this.plan.baseDirs.has(path)) continue;
      const keep = new Set(dir.n.map(([name]) => name));
      if (path === '') keep.add('lost+found');
      for (const name of await readdir(this.path(path), { encoding: 'latin1' })) {
        checkAborted(this.options.signal);
        if (keep.has(name)) continue;
        await rm(this.path(path === '' ? name : `${path}/${name}`), { recursive: true });
        this.removed++;
      }
    }
  }

  private tempName(rel: string): string {
    const dir = parentOf(rel);
    const name = `.jedelta-${randomBytes(6).toString('hex')}.tmp`;
    return dir === '' ? name : `${dir}/${name}`;
  }

  /** Moves the finished temp entry over `rel`; a directory there (a type change) is removed first. */
  private async replace(temp: string, rel: string): Promise<void> {
    if ((await this.stat(rel))?.isDirectory()) await rm(this.path(rel), { recursive: true });
    await rename(this.path(temp), this.path(rel));
  }

  private async file(e: FileEntry, reader: ArchiveReader): Promise<void> {
    const temp = this.tempName(e.p);
    let fh: FileHandle | undefined = await open(this.path(temp), 'wx', 0o600);
    try {
      for await (const chunk of reader.content(e.s)) {
        let off = 0;
        while (off < chunk.length) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
      }
      const handle = fh;
      await this.own(e.p, e, () => handle.chown(e.u, e.g), async () => handle.stat());
      await fh.chmod(e.m); // after chown, which clears setuid/setgid
      await fh.utimes(utimeSeconds(e.at), utimeSeconds(e.mt));
      await fh.close();
      fh = undefined;
      await this.replace(temp, e.p);
    } catch (err) {
      await fh?.close().catch(() => undefined);
      await rm(this.path(temp), { force: true });
      throw err;
    }
  }

  private async link(e: LinkEntry): Promise<void> {
    const temp = this.tempName(e.p);
    await symlink(Buffer.from(e.l, 'latin1'), this.path(temp));
    try {
      await this.own(e.p, e, () => lchown(this.path(temp), e.u, e.g), async () => lstat(this.path(temp)));
      await lutimes(this.path(temp), utimeSeconds(e.at), utimeSeconds(e.mt));
      await this.replace(temp, e.p);
    } catch (err) {
      await rm(this.path(temp), { force: true });
      throw err;
    }
  }

  private async dir(rel: string): Promise<void> {
    const st = await this.stat(rel);
    if (st?.isDirectory()) return;
    if (st) await rm(this.path(rel)); // a file or symlink became a directory
    await mkdir(this.path(rel), { mode: 0o700 });
  }

  public async write(reader: ArchiveReader): Promise<number> {
    let written = 0;
    for (;;) {
      const r = await reader.next();
      if (r.t === 'end') {
        await reader.finish();
        return written;
      }
      checkAborted(this.options.signal);
      if (r.t === 'f') await this.file(r, reader);
      else if (r.t === 'l') await this.link(r);
      else await this.dir(r.p);
      written++;
    }
  }

  /** The changed directories' metadata (their content is final now), then the untouched ones' times back. */
  public async finishDirs(): Promise<void> {
    const dirs = [...this.plan.dirs.values()].sort((a, b) => depth(b.p) - depth(a.p));
    for (const d of dirs) {
      const p = this.path(d.p);
      await this.own(d.p, d, () => lchown(p, d.u, d.g), async () => lstat(p));
      await chmod(p, d.m);
      await utimes(p, utimeSeconds(d.at), utimeSeconds(d.mt));
    }
    const touched = [...this.plan.touched].sort(([a], [b]) => depth(b) - depth(a));
    for (const [rel, st] of touched) await utimes(this.path(rel), utimeSeconds(st.atimeNs.toString()), utimeSeconds(st.mtimeNs.toString()));
  }

  public result(entries: number): ApplyResult {
    return { entries, removed: this.removed, ownersNotSet: this.ownersNotSet };
  }
}

/**
 * Applies the archive file `archive` onto `home`. Rejects with a DeltaError on any problem; if it
 * rejects after pass one, the home is partly changed and unusable.
 */
export async function applyDelta(home: string, archive: string, options: ApplyOptions = {}): Promise<ApplyResult> {
  let where = 'checking the archive and the base';
  try {
    const plan = await planDelta(latin1Home(home), archive, options.signal);
    const applier = new Applier(home, plan, options);
    where = 'removing entries the delta no longer lists';
    await applier.removeUnlisted();
    where = 'writing entries';
    const reader = await ArchiveReader.open(archive, options.signal);
    let written: number;
    try {
      written = await applier.write(reader);
    } finally {
      reader.close();
    }
    where = "setting the directories' metadata";
    await applier.finishDirs();
    return applier.result(written);
  } catch (e) {
    if (e instanceof DeltaError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new DeltaError('io', `applying the delta onto ${home} failed while ${where}: ${code ? `${code} ` : ''}${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
