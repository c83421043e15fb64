/**
 * The applier's first, read-only pass (delta-apply.ts): read the whole archive, check its digest
 * and its consistency, and check the base against it, before anything of the home is changed.
 */
import type { BigIntStats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { ArchiveReader, DeltaError, fsPath, mapLimit, shown, STAT_CONCURRENCY, type DeltaEntry, type DirEntry, type KeptIdentity } from './delta-archive.js';

export interface DeltaPlan {
  /** Entries in archive order (parents before their children). */
  readonly entries: readonly DeltaEntry[];
  /** Packed directories by path. */
  readonly dirs: ReadonlyMap<string, DirEntry>;
  /** Packed directories that are real directories (no symlink on the way) in the base: their extra names are removed. */
  readonly baseDirs: ReadonlySet<string>;
  /** Unpacked directories the applier writes into, with their times in the base (restored at the end). */
  readonly touched: ReadonlyMap<string, BigIntStats>;
}

export function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

export function nameOf(rel: string): string {
  return rel.slice(rel.lastIndexOf('/') + 1);
}

function corrupt(msg: string): DeltaError {
  return new DeltaError('corrupt', `delta archive is inconsistent: ${msg}`);
}

function validName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');
}

/** Reads every record (content is hashed and discarded) and checks the digest trailer. */
export async function readEntries(archive: string, signal: AbortSignal | undefined): Promise<DeltaEntry[]> {
  const reader = await ArchiveReader.open(archive, signal);
  const entries: DeltaEntry[] = [];
  try {
    for (;;) {
      const r = await reader.next();
      if (r.t === 'end') {
        await reader.finish();
        if (r.entries !== entries.length) throw corrupt(`the end record counts ${r.entries} entries, the archive holds ${entries.length}`);
        return entries;
      }
      if (r.t === 'f') for await (const _chunk of reader.content(r.s)) void _chunk;
      entries.push(r);
    }
  } finally {
    reader.close();
  }
}

/** The archive's own rules: safe paths, one record per path, parents first, lists that agree with the records. */
function checkStructure(entries: readonly DeltaEntry[]): Map<string, DirEntry> {
  const dirs = new Map<string, DirEntry>();
  const seen = new Set<string>();
  const lists = new Map<string, Map<string, KeptIdentity | null>>();
  for (const e of entries) {
    if (e.p !== '' && !e.p.split('/').every(validName)) throw corrupt(`unsafe path ${shown(e.p)}`);
    if (seen.has(e.p)) throw corrupt(`${shown(e.p)} appears twice`);
    if (e.p === '' && e.t !== 'd') throw corrupt('the home itself is not a directory');
    seen.add(e.p);
    if (e.p !== '') {
      // Every packed ancestor is a directory record that came earlier and lists this path's component.
      for (let child = e.p, dir = parentOf(e.p); ; child = dir, dir = parentOf(dir)) {
        if (seen.has(dir) && !dirs.has(dir)) throw corrupt(`${shown(e.p)} lies under ${shown(dir)}, which is not a directory`);
        const list = lists.get(dir);
        if (list) {
          const listed = list.get(nameOf(child));
          if (listed === undefined) throw corrupt(`${shown(child)} is not in the list of ${shown(dir)}`);
          if (child === e.p && listed !== null) throw corrupt(`${shown(e.p)} is packed but listed as kept`);
        }
        if (dir === '') break;
      }
    }
    if (e.t === 'd') {
      const list = new Map<string, KeptIdentity | null>();
      for (const item of e.n) {
        if (!Array.isArray(item) || typeof item[0] !== 'string' || !validName(item[0]) || list.has(item[0])) throw corrupt(`bad list of ${shown(e.p)}`);
        list.set(item[0], item[1] ?? null);
      }
      lists.set(e.p, list);
      dirs.set(e.p, e);
    }
  }
  const order = new Map(entries.map((e, i) => [e.p, i] as const));
  for (const [i, e] of entries.entries()) {
    for (let dir = parentOf(e.p); e.p !== ''; dir = parentOf(dir)) {
      if ((order.get(dir) ?? -1) > i) throw corrupt(`${shown(e.p)} comes before its directory ${shown(dir)}`);
      if (dir === '') break;
    }
  }
  for (const [dir, list] of lists) {
    for (const [name, kept] of list) {
      const path = dir === '' ? name : `${dir}/${name}`;
      if (kept === null && !seen.has(path)) throw corrupt(`${shown(path)} is listed as packed but absent`);
    }
  }
  return dirs;
}

function typeOf(st: BigIntStats): string {
  return st.isFile() ? 'f' : st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : 'special';
}

class BaseView {
  private readonly realDirs = new Map<string, Promise<boolean>>();
  public constructor(private readonly home: string) {}

  public async stat(rel: string): Promise<BigIntStats | undefined> {
    try {
      return await lstat(fsPath(this.home, rel), { bigint: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw e;
    }
  }

  /** True when `rel` and every directory above it are directories, not symlinks, in the base. */
  public realDir(rel: string): Promise<boolean> {
    let known = this.realDirs.get(rel);
    if (!known) {
      known = (async () => (rel === '' || (await this.realDir(parentOf(rel)))) && ((await this.stat(rel))?.isDirectory() ?? false))();
      this.realDirs.set(rel, known);
    }
    return known;
  }
}

function sameIdentity(st: BigIntStats, kept: KeptIdentity): boolean {
  return (
    typeOf(st) === kept.t &&
    Number(st.mode & 0o7777n) === kept.m &&
    Number(st.uid) === kept.u &&
    Number(st.gid) === kept.g &&
    (kept.s === undefined || Number(st.size) === kept.s) &&
    st.mtimeNs.toString() === kept.mt
  );
}

/** Pass one: nothing of `home` is changed. Throws DeltaError on a corrupt archive or a base it does not fit. */
export async function planDelta(home: string, archive: string, signal?: AbortSignal): Promise<DeltaPlan> {
  const entries = await readEntries(archive, signal);
  const dirs = checkStructure(entries);
  const base = new BaseView(home);
  if (!(await base.realDir(''))) throw new DeltaError('base-mismatch', `home ${shown(home)} is not a directory`);
  const baseDirs = new Set<string>();
  const touched = new Map<string, BigIntStats>();
  for (const [path, dir] of dirs) {
    if (await base.realDir(path)) baseDirs.add(path);
    const kept = dir.n.filter((item): item is readonly [string, KeptIdentity] => item[1] !== null);
    const stats = baseDirs.has(path) ? await mapLimit(kept, STAT_CONCURRENCY, ([name]) => base.stat(path === '' ? name : `${path}/${name}`)) : [];
    for (const [i, [name, identity]] of kept.entries()) {
      const child = path === '' ? name : `${path}/${name}`;
      const st = stats[i];
      if (!st || !sameIdentity(st, identity)) {
        throw new DeltaError(
          'base-mismatch',
          `the base does not hold ${shown(child)} as the delta expects (${st ? `found ${typeOf(st)} mode ${(Number(st.mode) & 0o7777).toString(8)} mtime ${st.mtimeNs}` : 'missing'}, expected ${JSON.stringify(identity)}): the volume is not built from the delta's base, or an entry moved in a way the delta cannot rebuild`,
        );
      }
    }
  }
  for (const e of entries) {
    if (e.p === '') continue;
    const parent = parentOf(e.p);
    if (dirs.has(parent) || touched.has(parent)) continue;
    if (!(await base.realDir(parent))) throw new DeltaError('base-mismatch', `the base has no directory ${shown(parent)} for ${shown(e.p)}`);
    touched.set(parent, (await base.stat(parent))!);
  }
  return { entries, dirs, baseDirs, touched };
}
