/**
 * The copy of a migration: rsync from the (read-only) source into the fresh home volume,
 * preserving numeric owners, modes, symlinks, hard links, ACLs, xattrs, times and sparseness,
 * with rsync's whole-transfer progress turned into {@link ProgressEvent}s.
 */
import { spawn } from 'node:child_process';
import type { ProgressEvent } from './events.js';

/**
 * -a: recursive, symlinks as symlinks, permissions, times, group, owner, devices and specials;
 * -H hard links; -A ACLs; -X xattrs; --numeric-ids: uid/gid as numbers (the task has no passwd
 * entries for Jenkins' users); --sparse: holes stay holes; --no-inc-recursive: the whole file list
 * first, so progress2 knows the total; --no-h: plain digits in progress lines.
 */
export const RSYNC_FLAGS = ['-aHAX', '--numeric-ids', '--sparse', '--no-inc-recursive', '--info=progress2', '--no-h'] as const;

/** Trailing slashes: copy the contents of `source` into `target`, not a directory named like it. */
export function rsyncArgs(source: string, target: string): string[] {
  const dir = (p: string) => (p.endsWith('/') ? p : `${p}/`);
  return [...RSYNC_FLAGS, dir(source), dir(target)];
}

const PROGRESS2 = /^\s*(\d+)\s+(\d+)%\s+([\d.]+)([kMGT]?B)\/s\s+\S+(?:\s+\(xfr#\d+,\s+(?:ir|to)-chk=(\d+)\/(\d+)\))?/;
const UNIT: Record<string, number> = { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** One progress2 line (`  20971520  99%  434.10MB/s  0:00:00 (xfr#1, to-chk=3/6)`), else undefined. */
export function parseProgress2(line: string): Omit<ProgressEvent, 'msg'> | undefined {
  const m = PROGRESS2.exec(line);
  if (!m) return undefined;
  const remaining = m[5] === undefined ? undefined : Number(m[5]);
  const total = m[6] === undefined ? 0 : Number(m[6]);
  return {
    bytes: Number(m[1]),
    percent: Number(m[2]),
    bytesPerSecond: Math.round(Number(m[3]) * (UNIT[m[4] ?? 'B'] ?? 1)),
    files: remaining === undefined ? 0 : total - remaining,
    totalFiles: total,
  };
}

/** rsync's documented exit codes an operator sees most; the rest are reported by number. */
const RSYNC_EXIT: Record<number, string> = {
  1: 'syntax or usage error',
  11: 'error in file I/O (is the home volume full?)',
  12: 'error in rsync protocol data stream',
  23: 'partial transfer due to error',
  24: 'partial transfer: source files vanished during the copy (is the old Jenkins still writing?)',
  30: 'timeout in data send/receive',
};

export class CopyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CopyError';
  }
}

export interface CopyOptions {
  /** @default 'rsync' on PATH */
  readonly rsync?: string;
  /** Called with each progress event, at most every `intervalMs` (and once at the end). */
  readonly onProgress?: (event: ProgressEvent) => void;
  /** @default 10000 */
  readonly intervalMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Runs rsync; resolves with the last progress seen, rejects with rsync's exit code explained and its last stderr lines. */
export function copyTree(source: string, target: string, options: CopyOptions = {}): Promise<ProgressEvent | undefined> {
  const now = options.now ?? Date.now;
  const interval = options.intervalMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const child = spawn(options.rsync ?? 'rsync', rsyncArgs(source, target), { stdio: ['ignore', 'pipe', 'pipe'] });
    let last: ProgressEvent | undefined;
    let emittedAt = -Infinity;
    let pending = '';
    let stderr = '';
    const emit = (force: boolean) => {
      if (!last || !options.onProgress) return;
      if (!force && now() - emittedAt < interval) return;
      emittedAt = now();
      options.onProgress(last);
    };
    child.stdout.on('data', (chunk: Buffer) => {
      // progress2 redraws its line with \r; file names never appear (no -v).
      const parts = (pending + chunk.toString()).split(/[\r\n]/);
      pending = parts.pop() ?? '';
      for (const part of parts) {
        const p = parseProgress2(part);
        if (p) last = { msg: 'progress', ...p };
      }
      emit(false);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.on('error', (e) => reject(new CopyError(`could not start rsync: ${e.message}`)));
    child.on('close', (code, signal) => {
      const p = parseProgress2(pending);
      if (p) last = { msg: 'progress', ...p };
      if (code === 0) {
        emit(true);
        resolve(last);
        return;
      }
      const tail = stderr.trim().split('\n').slice(-3).join(' | ');
      const why = code === null ? `killed by ${signal}` : `exit ${code}${RSYNC_EXIT[code] ? ` (${RSYNC_EXIT[code]})` : ''}`;
      reject(new CopyError(`rsync failed: ${why}${tail ? `: ${tail}` : ''}`));
    });
  });
}
