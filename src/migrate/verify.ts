/**
 * Verification of a migrated home: walks the source and the copy in the same order and compares
 * every entry (type, numeric owner, mode, size, mtime, symlink target, hard-link structure), sums
 * file count and bytes on both sides, then checksums a deterministic sample of files on both.
 * Extended attributes and ACLs are not compared: EFS (NFSv4.1) stores neither.
 */
import { createHash } from 'node:crypto';
import { createReadStream, type BigIntStats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { TreeCounts } from './events.js';

export type EntryType = 'file' | 'dir' | 'symlink' | 'other';

export interface Entry {
  /** Path relative to the tree's root ('' is the root itself), as raw bytes. */
  readonly rel: Buffer;
  readonly type: EntryType;
  readonly stats: BigIntStats;
  readonly target?: Buffer;
}

export interface Mismatch {
  readonly path: string;
  readonly what: string;
  readonly source: string;
  readonly target: string;
}

export interface VerifyOptions {
  /** Files to checksum on both sides. @default 256 */
  readonly sampleFiles?: number;
  /** Files larger than this are not sampled (their size and mtime are still compared). @default 256 MiB */
  readonly maxSampleFileBytes?: number;
  /** Seed of the sample, so a re-run checks the same files. @default 1 */
  readonly seed?: number;
  /** Mismatches to report before stopping. @default 20 */
  readonly maxMismatches?: number;
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly source: TreeCounts;
  readonly target: TreeCounts;
  readonly mismatches: readonly Mismatch[];
  readonly sampledFiles: number;
  readonly sampledBytes: number;
}

/** Created by mkfs.ext4 at the volume's root; not part of the home unless the source has one too. */
const FS_ONLY_ROOT_ENTRIES = ['lost+found'];

function typeOf(s: BigIntStats): EntryType {
  if (s.isFile()) return 'file';
  if (s.isDirectory()) return 'dir';
  if (s.isSymbolicLink()) return 'symlink';
  return 'other';
}

/** Depth-first, pre-order, names in byte order: the same order on both sides whatever readdir returns. */
export async function* walk(root: string, skipAtRoot: readonly string[] = []): AsyncGenerator<Entry> {
  const skip = new Set(skipAtRoot);
  async function* visit(rel: Buffer): AsyncGenerator<Entry> {
    const abs = rel.length === 0 ? Buffer.from(root) : Buffer.concat([Buffer.from(root), Buffer.from('/'), rel]);
    const stats = await lstat(abs, { bigint: true });
    const type = typeOf(stats);
    yield { rel, type, stats, ...(type === 'symlink' ? { target: await readlink(abs, { encoding: 'buffer' }) } : {}) };
    if (type !== 'dir') return;
    const names = (await readdir(abs, { encoding: 'buffer' })).sort(Buffer.compare);
    for (const name of names) {
      if (rel.length === 0 && skip.has(name.toString())) continue;
      yield* visit(rel.length === 0 ? name : Buffer.concat([rel, Buffer.from('/'), name]));
    }
  }
  yield* visit(Buffer.alloc(0));
}

class Counter {
  files = 0;
  dirs = 0;
  symlinks = 0;
  others = 0;
  bytes = 0;
  extraLinks = 0;
  private readonly seen = new Map<string, string>();

  /** Counts the entry; for a name of an inode seen before, returns the first name it had. */
  add(e: Entry): string | undefined {
    if (e.type === 'dir') this.dirs++;
    else if (e.type === 'symlink') this.symlinks++;
    else if (e.type === 'other') this.others++;
    else this.files++;
    if (e.type === 'dir' || e.stats.nlink <= 1n) {
      if (e.type === 'file') this.bytes += Number(e.stats.size);
      return undefined;
    }
    const key = `${e.stats.dev}:${e.stats.ino}`;
    const first = this.seen.get(key);
    if (first !== undefined) {
      this.extraLinks++;
      return first;
    }
    this.seen.set(key, e.rel.toString('latin1'));
    if (e.type === 'file') this.bytes += Number(e.stats.size);
    return undefined;
  }

  counts(): TreeCounts {
    return { files: this.files, dirs: this.dirs, symlinks: this.symlinks, others: this.others, bytes: this.bytes, extraLinks: this.extraLinks };
  }
}

const octal = (n: bigint) => `0${(n & 0o7777n).toString(8)}`;
const seconds = (ns: bigint) => (ns / 1_000_000_000n).toString();

/** What differs between two entries at the same place; empty when they match. */
export function compareEntries(s: Entry, t: Entry): { what: string; source: string; target: string }[] {
  const out: { what: string; source: string; target: string }[] = [];
  const diff = (what: string, a: string, b: string) => {
    if (a !== b) out.push({ what, source: a, target: b });
  };
  diff('type', s.type, t.type);
  if (s.type !== t.type) return out;
  diff('owner', `${s.stats.uid}:${s.stats.gid}`, `${t.stats.uid}:${t.stats.gid}`);
  if (s.type === 'symlink') {
    // A symlink's mode is always 0777 on Linux and its times are not always settable: compare the target.
    diff('symlink target', s.target?.toString('latin1') ?? '', t.target?.toString('latin1') ?? '');
    return out;
  }
  diff('mode', octal(s.stats.mode), octal(t.stats.mode));
  if (s.type === 'file') diff('size', s.stats.size.toString(), t.stats.size.toString());
  if (s.type === 'file' || s.type === 'dir') diff('mtime', seconds(s.stats.mtimeNs), seconds(t.stats.mtimeNs));
  if (s.type === 'other') diff('device', s.stats.rdev.toString(), t.stats.rdev.toString());
  return out;
}

/** Deterministic PRNG (mulberry32) for the reservoir sample. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function sha256File(path: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('error', reject)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')));
  });
}

const absolute = (root: string, rel: Buffer) => Buffer.concat([Buffer.from(join(root, '/')), rel]);

/** Compares `target` (the copy) against `source`, entry by entry, then checksums a sample. */
export async function verifyCopy(source: string, target: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  const sampleSize = options.sampleFiles ?? 256;
  const maxSample = BigInt(options.maxSampleFileBytes ?? 256 * 1024 * 1024);
  const maxMismatches = options.maxMismatches ?? 20;
  const random = rng(options.seed ?? 1);
  const src = new Counter();
  const dst = new Counter();
  const mismatches: Mismatch[] = [];
  const report = (m: Mismatch) => {
    if (mismatches.length < maxMismatches) mismatches.push(m);
  };
  const sample: Buffer[] = [];
  let candidates = 0;

  const sourceRoot = await readdir(source);
  const skip = FS_ONLY_ROOT_ENTRIES.filter((n) => !sourceRoot.includes(n));
  const a = walk(source);
  const b = walk(target, skip);
  for (;;) {
    const [x, y] = await Promise.all([a.next(), b.next()]);
    if (x.done && y.done) break;
    if (x.done || y.done || !x.value.rel.equals(y.value.rel)) {
      // The orders diverged: an entry is missing on one side. Report it and stop comparing pairs.
      const sPath = x.done ? '(end of source)' : x.value.rel.toString() || '.';
      const tPath = y.done ? '(end of copy)' : y.value.rel.toString() || '.';
      report({ path: x.done ? tPath : sPath, what: 'entry', source: sPath, target: tPath });
      // Finish the counts so the summary says how far apart the trees are.
      if (!x.done) src.add(x.value);
      if (!y.done) dst.add(y.value);
      for await (const e of a) src.add(e);
      for await (const e of b) dst.add(e);
      break;
    }
    const s = x.value;
    const t = y.value;
    const path = s.rel.toString() || '.';
    for (const d of compareEntries(s, t)) report({ path, ...d });
    const sFirst = src.add(s);
    const tFirst = dst.add(t);
    if (sFirst !== tFirst) {
      report({ path, what: 'hard link', source: sFirst ? `link of ${sFirst}` : 'own inode', target: tFirst ? `link of ${tFirst}` : 'own inode' });
    }
    if (s.type === 'file' && sFirst === undefined && s.stats.size <= maxSample) {
      candidates++;
      if (sample.length < sampleSize) sample.push(s.rel);
      else {
        const j = Math.floor(random() * candidates);
        if (j < sampleSize) sample[j] = s.rel;
      }
    }
  }

  const sourceCounts = src.counts();
  const targetCounts = dst.counts();
  for (const key of Object.keys(sourceCounts) as (keyof TreeCounts)[]) {
    if (sourceCounts[key] !== targetCounts[key]) report({ path: '.', what: `total ${key}`, source: String(sourceCounts[key]), target: String(targetCounts[key]) });
  }

  let sampledBytes = 0;
  for (const rel of sample) {
    const [hs, ht] = await Promise.all([sha256File(absolute(source, rel)), sha256File(absolute(target, rel)).catch(() => 'unreadable')]);
    sampledBytes += Number((await lstat(absolute(source, rel), { bigint: true })).size);
    if (hs !== ht) report({ path: rel.toString(), what: 'sha256', source: hs, target: ht });
  }
  return { ok: mismatches.length === 0, source: sourceCounts, target: targetCounts, mismatches, sampledFiles: sample.length, sampledBytes };
}
