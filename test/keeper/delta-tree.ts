// Fixtures for the delta tests and bench: a realistic JENKINS_HOME on the real file system, and an
// oracle for "two trees are identical" that does not use our code: GNU find's -printf (types,
// modes, owners, sizes, ns times, symlink targets) plus SHA-256 of each regular file's bytes.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, chown, mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const IS_ROOT = process.getuid?.() === 0;

export interface TreeEntry {
  /** find's %y: f d l p s … */
  readonly type: string;
  readonly mode: string;
  readonly uid: string;
  readonly gid: string;
  /** Regular files and symlinks only (a directory's size depends on its history). */
  readonly size?: string;
  /** %T@: seconds with 10 fraction digits. */
  readonly mtime: string;
  readonly ctime: string;
  readonly target?: string;
  readonly sha256?: string;
}

/** Path (raw bytes as latin1, relative; '' is the root) → what the OS reports. */
export type Tree = Map<string, TreeEntry>;

async function sha256(path: Buffer): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export async function readTree(root: string): Promise<Tree> {
  const fields = 9;
  const { stdout } = await run('find', [root, '-printf', '%P\\0%y\\0%m\\0%U\\0%G\\0%s\\0%T@\\0%C@\\0%l\\0'], { encoding: 'buffer', maxBuffer: 1 << 30 });
  const parts = stdout.toString('latin1').split('\0');
  const tree: Tree = new Map();
  for (let i = 0; i + fields <= parts.length; i += fields) {
    const [path, type, mode, uid, gid, size, mtime, ctime, target] = parts.slice(i, i + fields) as [string, string, string, string, string, string, string, string, string];
    tree.set(path, {
      type,
      mode,
      uid,
      gid,
      ...(type === 'f' || type === 'l' ? { size } : {}),
      mtime,
      ctime,
      ...(type === 'l' ? { target } : {}),
      ...(type === 'f' ? { sha256: await sha256(Buffer.from(`${root}/${path}`, 'latin1')) } : {}),
    });
  }
  return tree;
}

/** The mtime at microseconds (what Node's utimes can set: libuv truncates to µs). */
export function micros(seconds: string): string {
  const [s, frac = ''] = seconds.split('.');
  return `${s}.${frac.padEnd(6, '0').slice(0, 6)}`;
}

/** What must agree between the home and the applied base: everything but ctime and sub-µs time. */
export function comparable(tree: Tree, options: { owners: boolean } = { owners: IS_ROOT }): Map<string, object> {
  const out = new Map<string, object>();
  for (const [path, { ctime: _ctime, mtime, uid, gid, ...rest }] of tree) {
    out.set(path, { ...rest, mtime: micros(mtime), ...(options.owners ? { uid, gid } : {}) });
  }
  return out;
}

/** Human-readable differences (empty when identical). */
export function diffTrees(a: Map<string, object>, b: Map<string, object>): string[] {
  const out: string[] = [];
  const show = (p: string): string => JSON.stringify(Buffer.from(p, 'latin1').toString('utf8'));
  for (const [p, v] of a) {
    const w = b.get(p);
    if (!w) out.push(`only in the home: ${show(p)} ${JSON.stringify(v)}`);
    else if (JSON.stringify(v) !== JSON.stringify(w)) out.push(`differs: ${show(p)} home ${JSON.stringify(v)} applied ${JSON.stringify(w)}`);
  }
  for (const [p, w] of b) if (!a.has(p)) out.push(`only in the applied base: ${show(p)} ${JSON.stringify(w)}`);
  return out;
}

/** `cp -a`: what a volume built from the pre-copy snapshot holds (times to the ns, owners, links). */
export async function copyTree(from: string, to: string): Promise<void> {
  await run('cp', ['-a', '--', from, to]);
}

/** A point in time strictly between the ctimes already on disk and those of the next writes. */
export async function cutoffNow(): Promise<Date> {
  // ctime comes from the kernel's coarse clock (one tick, ≤ 10 ms behind): keep clear of it on both sides.
  await sleep(30);
  const cutoff = new Date();
  await sleep(30);
  return cutoff;
}

/** Deterministic incompressible bytes (xorshift), so big files need no random source. */
export function bytes(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x = (x ^ (x << 13)) >>> 0;
    x ^= x >>> 17;
    x = (x ^ (x << 5)) >>> 0;
    b[i] = x & 0xff;
  }
  return b;
}

export const UNICODE_NAME = 'ünïcødé ジョブ ✓';
export const NEWLINE_NAME = 'line\nbreak';
/** A name that is not valid UTF-8 (latin1 carries the raw bytes). */
export const RAW_NAME = Buffer.from([0x62, 0xff, 0xfe, 0x2e, 0x78, 0x6d, 0x6c]).toString('latin1');

export function raw(root: string, rel: string): Buffer {
  return Buffer.from(`${Buffer.from(root, 'utf8').toString('latin1')}/${rel}`, 'latin1');
}

export async function mkfifo(path: string): Promise<void> {
  await run('mkfifo', [path]);
}

/**
 * A JENKINS_HOME as Jenkins leaves it: config, jobs with builds, a lastSuccessfulBuild symlink,
 * plugins, names with unicode, a newline and non-UTF-8 bytes, an empty file, a big file, a fifo.
 */
export async function buildJenkinsHome(home: string, bigFileBytes = 20 * 1024 * 1024): Promise<void> {
  await mkdir(home, { recursive: true });
  await writeFile(join(home, 'config.xml'), '<hudson><version>2.480</version></hudson>\n');
  await writeFile(join(home, 'secret.key'), bytes(64, 7), { mode: 0o600 });
  for (const job of ['alpha', 'beta', 'gamma', UNICODE_NAME]) {
    const dir = join(home, 'jobs', job);
    await mkdir(join(dir, 'builds'), { recursive: true });
    await writeFile(join(dir, 'config.xml'), `<project><name>${job}</name></project>\n`);
    await writeFile(join(dir, 'nextBuildNumber'), '4\n');
    for (const n of [1, 2, 3]) {
      await mkdir(join(dir, 'builds', String(n)));
      await writeFile(join(dir, 'builds', String(n), 'log'), `build ${n} of ${job}\n`.repeat(50 * n));
      await writeFile(join(dir, 'builds', String(n), 'build.xml'), `<build><number>${n}</number></build>\n`);
    }
    await symlink('3', join(dir, 'builds', 'lastSuccessfulBuild'));
  }
  await mkdir(join(home, 'plugins', 'git', 'META-INF'), { recursive: true });
  await writeFile(join(home, 'plugins', 'git.jpi'), bytes(300_000, 3));
  await writeFile(join(home, 'plugins', 'git', 'META-INF', 'MANIFEST.MF'), 'Plugin-Version: 5.2\n');
  await mkdir(join(home, 'userContent', 'deep', 'er', 'still'), { recursive: true });
  await writeFile(join(home, 'userContent', 'readme.txt'), 'hello\n');
  await writeFile(join(home, 'userContent', 'deep', 'er', 'still', 'leaf.txt'), 'leaf\n');
  await writeFile(join(home, 'userContent', NEWLINE_NAME), 'newline in the name\n');
  await writeFile(raw(home, `userContent/${RAW_NAME}`), 'not utf-8\n');
  await writeFile(join(home, 'userContent', 'empty'), '');
  await writeFile(join(home, 'big.bin'), bytes(bigFileBytes, 11));
  await chmod(join(home, 'userContent', 'readme.txt'), 0o640);
  await mkfifo(join(home, 'jobs', 'alpha', 'builds', 'fifo'));
  if (IS_ROOT) await chown(join(home, 'jobs', 'alpha', 'config.xml'), 1000, 1000);
}

/** Jenkins' way of saving a file: write a temp file beside it, then rename over. */
export async function saveAtomic(path: string, body: string | Buffer): Promise<void> {
  await writeFile(`${path}.tmp`, body);
  await rename(`${path}.tmp`, path);
}
