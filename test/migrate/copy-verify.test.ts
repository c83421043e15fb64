// The migration's copy and verification run for real: rsync (installed by .ci/run when missing)
// copies a local tree holding numeric owners, modes, symlinks, hard links, a fifo, a non-UTF-8
// name, a sparse 1 GiB file and a large file; the checks after the copy read the copy with lstat
// directly, so they do not rely on verifyCopy being right. Owners need root (CI and this machine
// run as root); without root the owner cases are skipped and say so.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, closeSync, lchownSync, linkSync, lstatSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, truncateSync, unlinkSync, utimesSync, writeFileSync, writeSync, copyFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyTree, CopyError, parseProgress2, rsyncArgs } from '../../src/migrate/copy.js';
import type { ProgressEvent } from '../../src/migrate/events.js';
import { verifyCopy } from '../../src/migrate/verify.js';

const isRoot = process.getuid?.() === 0;
const ownerSkip = isRoot ? false : 'needs root to create files with other owners';
const GiB = 1024 ** 3;
const OLD = new Date('2019-03-04T05:06:07Z');

let dir = '';
let source = '';
const expected = { files: 0, dirs: 0, symlinks: 0, others: 0, extraLinks: 0 };

/** A Jenkins-like home; `expected` is counted here by hand, as the oracle for the counts. */
function buildSource(root: string): void {
  const file = (rel: string, body: string | Buffer, mode = 0o644, owner: [number, number] = [1000, 1000]) => {
    writeFileSync(join(root, rel), body, { mode });
    if (isRoot) chownSync(join(root, rel), ...owner);
    expected.files++;
  };
  const mkdir = (rel: string, mode = 0o755) => {
    mkdirSync(join(root, rel), { mode });
    if (isRoot) chownSync(join(root, rel), 1000, 1000);
    expected.dirs++;
  };
  mkdirSync(root, { mode: 0o755 });
  if (isRoot) chownSync(root, 1000, 1000);
  expected.dirs++;
  mkdir('jobs');
  mkdir('jobs/app', 0o750);
  mkdir('jobs/app/builds');
  mkdir('secrets', 0o700);
  mkdir('empty');
  file('config.xml', '<hudson/>\n');
  file('secrets/master.key', randomBytes(256), 0o600);
  file('secrets/other-owner', 'x', 0o640, [4242, 4343]);
  file('jobs/app/config.xml', '<project/>\n');
  file('jobs/app/builds/1.log', 'build 1\n'.repeat(1000));
  // Hard links: two more names of 1.log.
  linkSync(join(root, 'jobs/app/builds/1.log'), join(root, 'jobs/app/builds/1-copy.log'));
  linkSync(join(root, 'jobs/app/builds/1.log'), join(root, 'secrets/1.log'));
  expected.files += 2;
  expected.extraLinks += 2;
  // Symlinks as Jenkins makes them (lastSuccessful -> 1), one dangling, one owned by root.
  symlinkSync('1', join(root, 'jobs/app/builds/lastSuccessful'));
  if (isRoot) lchownSync(join(root, 'jobs/app/builds/lastSuccessful'), 1000, 1000);
  symlinkSync('/nonexistent/target', join(root, 'dangling'));
  expected.symlinks += 2;
  // A name that is not UTF-8.
  writeFileSync(Buffer.concat([Buffer.from(join(root, 'jobs/')), Buffer.from([0x6e, 0xe9, 0xff])]), 'latin-1 name');
  expected.files++;
  // A fifo (rsync -a copies specials).
  assert.equal(spawnSync('mkfifo', [join(root, 'jobs/app/pipe')]).status, 0);
  expected.others++;
  // Sparse: 1 GiB apparent size, two 4 KiB extents of data.
  const sparse = join(root, 'sparse.img');
  const fd = openSync(sparse, 'w');
  writeSync(fd, Buffer.alloc(4096, 1), 0, 4096, 0);
  writeSync(fd, Buffer.alloc(4096, 2), 0, 4096, GiB / 2);
  closeSync(fd);
  truncateSync(sparse, GiB);
  expected.files++;
  // Large (for CI): 8 MiB of random data.
  file('plugins.tar', randomBytes(8 * 1024 * 1024));
  // Old times everywhere, set last so nothing above moves them.
  for (const rel of ['config.xml', 'secrets/master.key', 'jobs/app/builds/1.log', 'sparse.img', 'plugins.tar', 'jobs/app', 'jobs']) {
    utimesSync(join(root, rel), OLD, OLD);
  }
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'migrate-copy-'));
  source = join(dir, 'efs');
  buildSource(source);
});

after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
async function freshCopy(progress?: ProgressEvent[], prepare?: (target: string) => void): Promise<string> {
  const target = join(dir, `home-${n++}`);
  mkdirSync(target);
  prepare?.(target);
  await copyTree(source, target, { intervalMs: 0, onProgress: (e) => progress?.push(e) });
  return target;
}

/** Change a file in the copy but keep its mtime, so only the check under test can notice. */
function keepingMtime(path: string, change: () => void): void {
  const { atime, mtime } = lstatSync(path);
  change();
  utimesSync(path, atime, mtime);
}

describe('copy (rsync -aHAX --numeric-ids --sparse)', () => {
  test('rsync is installed (.ci/run installs it when missing)', () => {
    assert.equal(spawnSync('rsync', ['--version']).status, 0, 'rsync not on PATH: apt-get install -y rsync');
  });

  test('the copy keeps numeric owners, modes, times, symlinks, hard links, the fifo, the odd name and the holes', { skip: ownerSkip }, async () => {
    const target = await freshCopy();
    const at = (rel: string) => lstatSync(join(target, rel));
    assert.deepEqual([at('.').uid, at('.').gid, at('.').mode & 0o7777], [1000, 1000, 0o755]);
    assert.deepEqual([at('secrets').mode & 0o7777, at('secrets/master.key').mode & 0o7777], [0o700, 0o600]);
    assert.deepEqual([at('secrets/other-owner').uid, at('secrets/other-owner').gid], [4242, 4343]);
    assert.equal(at('config.xml').mtime.getTime(), OLD.getTime());
    assert.equal(at('jobs/app').mtime.getTime(), OLD.getTime());
    const log = at('jobs/app/builds/1.log');
    assert.equal(log.nlink, 3);
    assert.equal(at('secrets/1.log').ino, log.ino);
    assert.equal(at('jobs/app/builds/lastSuccessful').isSymbolicLink(), true);
    assert.equal(at('jobs/app/builds/lastSuccessful').uid, 1000);
    assert.equal(at('dangling').isSymbolicLink(), true);
    assert.equal(at('jobs/app/pipe').isFIFO(), true);
    assert.equal(lstatSync(Buffer.concat([Buffer.from(join(target, 'jobs/')), Buffer.from([0x6e, 0xe9, 0xff])])).size, 12);
    const sparse = at('sparse.img');
    assert.equal(sparse.size, GiB);
    assert.ok(sparse.blocks * 512 < 16 * 1024 * 1024, `sparse.img allocates ${sparse.blocks * 512} bytes in the copy`);
    assert.deepEqual(readFileSync(join(target, 'plugins.tar')), readFileSync(join(source, 'plugins.tar')));
  });

  test('progress events count bytes and the whole file list', async () => {
    const events: ProgressEvent[] = [];
    await freshCopy(events);
    const last = events.at(-1);
    assert.ok(last, 'no progress event');
    const entries = expected.files + expected.dirs + expected.symlinks + expected.others;
    assert.equal(last.totalFiles, entries);
    assert.equal(last.files, entries);
    // Not 100: rsync counts the bytes of hard links in its total but never sends them.
    assert.ok(last.percent >= 99, `percent ${last.percent}`);
    // Data sent: 8 MiB + the sparse file's apparent size at most (rsync counts holes as data).
    assert.ok(last.bytes >= 8 * 1024 * 1024, `bytes ${last.bytes}`);
  });

  test('a source that cannot be read fails with rsync exit code and its message', async () => {
    const target = join(dir, 'nowhere');
    mkdirSync(target);
    await assert.rejects(copyTree(join(dir, 'no-such-efs'), target), (e: Error) => {
      assert.ok(e instanceof CopyError);
      assert.match(e.message, /^rsync failed: exit 23 \(partial transfer due to error\): .*no-such-efs/);
      return true;
    });
  });

  test('a missing rsync binary is one clear error', async () => {
    await assert.rejects(copyTree(source, dir, { rsync: join(dir, 'no-rsync') }), /could not start rsync/);
  });

  test('rsync arguments copy the contents of the source into the target', () => {
    assert.deepEqual(rsyncArgs('/mnt/efs/jenkins', '/mnt/home/').slice(-2), ['/mnt/efs/jenkins/', '/mnt/home/']);
  });
});

describe('progress2 lines', () => {
  test('lines printed by rsync 3.x --info=progress2 --no-h parse into progress', () => {
    // Recorded from rsync 3.5.0 on this machine.
    assert.deepEqual(parseProgress2('       20971520  99%  434.10MB/s    0:00:00 (xfr#1, to-chk=3/6)'), {
      bytes: 20971520,
      percent: 99,
      bytesPerSecond: Math.round(434.1 * 1024 * 1024),
      files: 3,
      totalFiles: 6,
    });
    assert.deepEqual(parseProgress2('          32768   0%    0.00kB/s    0:00:00  '), { bytes: 32768, percent: 0, bytesPerSecond: 0, files: 0, totalFiles: 0 });
    assert.equal(parseProgress2('sending incremental file list'), undefined);
  });
});

describe('verification', () => {
  test('a faithful copy verifies: counts equal the hand count, sample checksummed', { skip: ownerSkip }, async () => {
    const target = await freshCopy();
    const r = await verifyCopy(source, target, { sampleFiles: 1000 });
    assert.deepEqual(r.mismatches, []);
    assert.equal(r.ok, true);
    const { bytes: _bytes, ...counts } = r.source;
    assert.deepEqual(counts, expected);
    assert.deepEqual(r.target, r.source);
    // Every regular inode but the 1 GiB sparse file (over the per-file sample limit) was hashed.
    assert.equal(r.sampledFiles, expected.files - expected.extraLinks - 1);
  });

  test('a truncated file in the copy is caught (size and total bytes)', async () => {
    const target = await freshCopy();
    keepingMtime(join(target, 'plugins.tar'), () => truncateSync(join(target, 'plugins.tar'), 4 * 1024 * 1024));
    const r = await verifyCopy(source, target);
    assert.equal(r.ok, false);
    assert.ok(r.mismatches.some((m) => m.path === 'plugins.tar' && m.what === 'size'));
    assert.ok(r.mismatches.some((m) => m.what === 'total bytes'));
  });

  test('a same-size corruption is caught by the checksum sample', async () => {
    const target = await freshCopy();
    const path = join(target, 'secrets/master.key');
    keepingMtime(path, () => {
      const fd = openSync(path, 'r+');
      writeSync(fd, Buffer.from([0]), 0, 1, 17);
      writeSync(fd, Buffer.from([1]), 0, 1, 18);
      closeSync(fd);
    });
    const r = await verifyCopy(source, target, { sampleFiles: 1000 });
    assert.deepEqual(
      r.mismatches.map((m) => [m.path, m.what]),
      [['secrets/master.key', 'sha256']],
    );
  });

  test('a missing file, a lost owner and a broken hard link are each caught', { skip: ownerSkip }, async () => {
    const missing = await freshCopy();
    unlinkSync(join(missing, 'config.xml'));
    const r1 = await verifyCopy(source, missing);
    assert.ok(r1.mismatches.some((m) => m.what === 'entry' && m.source === 'config.xml'), JSON.stringify(r1.mismatches));
    assert.ok(r1.mismatches.some((m) => m.what === 'total files'));

    const owner = await freshCopy();
    chownSync(join(owner, 'secrets/master.key'), 0, 0);
    const r2 = await verifyCopy(source, owner);
    assert.deepEqual(r2.mismatches.map((m) => [m.path, m.what, m.target]), [['secrets/master.key', 'owner', '0:0']]);

    const unlinked = await freshCopy();
    const name = join(unlinked, 'secrets/1.log');
    const { atime, mtime } = lstatSync(name);
    unlinkSync(name);
    copyFileSync(join(unlinked, 'jobs/app/builds/1.log'), name);
    chownSync(name, 1000, 1000);
    utimesSync(name, atime, mtime);
    const r3 = await verifyCopy(source, unlinked);
    assert.ok(r3.mismatches.some((m) => m.path === 'secrets/1.log' && m.what === 'hard link'), JSON.stringify(r3.mismatches));
  });

  test('a changed mode, a changed mtime and a retargeted symlink are each caught', async () => {
    const target = await freshCopy();
    keepingMtime(join(target, 'config.xml'), () => chmodSync(join(target, 'config.xml'), 0o666));
    utimesSync(join(target, 'jobs/app/config.xml'), new Date(), new Date());
    const link = join(target, 'jobs/app/builds/lastSuccessful');
    keepingMtime(join(target, 'jobs/app/builds'), () => {
      unlinkSync(link);
      symlinkSync('2', link);
      if (isRoot) lchownSync(link, 1000, 1000);
    });
    const r = await verifyCopy(source, target);
    assert.deepEqual(
      r.mismatches.map((m) => [m.path, m.what]),
      [
        ['config.xml', 'mode'],
        ['jobs/app/builds/lastSuccessful', 'symlink target'],
        ['jobs/app/config.xml', 'mtime'],
      ],
    );
  });

  test("ext4's lost+found at the root of the copy is not a difference; one in a subdirectory is", async () => {
    // As mkfs.ext4 leaves it: there before the copy.
    const target = await freshCopy(undefined, (t) => mkdirSync(join(t, 'lost+found')));
    assert.equal((await verifyCopy(source, target)).ok, true);
    mkdirSync(join(target, 'jobs/lost+found'));
    assert.equal((await verifyCopy(source, target)).ok, false);
  });
});
