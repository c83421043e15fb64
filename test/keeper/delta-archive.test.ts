// The delta archive on a real file system (docs/design/handoff.md, "Delta archive"): a home is
// copied to a base (cp -a: the volume built from the pre-copy snapshot), changed after a cutoff,
// packed, and the delta applied onto the base. The oracle is GNU find's view of both trees
// (test/keeper/delta-tree.ts), not our own walk.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFile, chmod, chown, link, mkdir, mkdtemp, readFile, rename, rm, stat, symlink, truncate, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeltaError } from '../../src/keeper/delta-archive.js';
import { applyDelta, utimeSeconds } from '../../src/keeper/delta-apply.js';
import { packDelta } from '../../src/keeper/delta-pack.js';
import { readEntries } from '../../src/keeper/delta-plan.js';
import {
  buildJenkinsHome,
  bytes,
  comparable,
  copyTree,
  cutoffNow,
  diffTrees,
  IS_ROOT,
  mkfifo,
  NEWLINE_NAME,
  raw,
  RAW_NAME,
  readTree,
  saveAtomic,
  UNICODE_NAME,
  type Tree,
} from './delta-tree.js';

let dir = '';
let n = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'delta-archive-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function scratch(name: string): { home: string; base: string; archive: string } {
  const d = join(dir, `${name}-${n++}`);
  return { home: join(d, 'home'), base: join(d, 'base'), archive: join(d, 'home.delta') };
}

async function prepare(name: string): Promise<{ home: string; base: string; archive: string }> {
  const s = scratch(name);
  await mkdir(join(s.home, '..'), { recursive: true });
  return s;
}

/** The home and the applied base, as find reports them, without the special files a delta does not carry. */
async function assertIdentical(home: string, base: string): Promise<void> {
  const drop = (t: Tree): Tree => new Map([...t].filter(([, e]) => e.type !== 'p'));
  const diff = diffTrees(comparable(drop(await readTree(home))), comparable(drop(await readTree(base))));
  assert.deepEqual(diff, [], diff.join('\n'));
}

const packedPaths = async (archive: string): Promise<string[]> => (await readEntries(archive, undefined)).map((e) => e.p);

describe('delta archive: pack and apply on a real file system', () => {
  test('a home changed after the cutoff in every way Jenkins (or an admin) changes it, applied onto its base, is identical to it', async () => {
    const { home, base, archive } = await prepare('full');
    await buildJenkinsHome(home);
    const cutoff = await cutoffNow();
    // Written between the cutoff and the pre-copy: in the base already, and packed again.
    await appendFile(join(home, 'jobs', 'beta', 'builds', '2', 'log'), 'written before the pre-copy\n');
    await copyTree(home, base);

    const job = (...p: string[]): string => join(home, 'jobs', 'alpha', ...p);
    await saveAtomic(job('config.xml'), '<project><name>alpha</name><changed/></project>\n'); // modify (temp + rename)
    await appendFile(job('builds', '3', 'log'), 'appended\n'); // append in place
    await mkdir(job('builds', '4'));
    await writeFile(job('builds', '4', 'log'), 'build 4\n');
    await writeFile(job('builds', '4', 'build.xml'), '<build><number>4</number></build>\n');
    await unlink(job('builds', 'lastSuccessfulBuild'));
    await symlink('4', job('builds', 'lastSuccessfulBuild')); // retarget a symlink
    await rm(job('builds', '1'), { recursive: true }); // delete a whole directory
    await mkfifo(job('builds', 'fifo2')); // a special file in a changed directory: skipped
    await rename(join(home, 'jobs', 'beta'), join(home, 'jobs', 'beta-renamed')); // a job rename: a pure directory move
    await rm(join(home, 'userContent', 'readme.txt'));
    await mkdir(join(home, 'userContent', 'readme.txt')); // file → directory
    await writeFile(join(home, 'userContent', 'readme.txt', 'inside'), 'now a directory\n');
    await rm(join(home, 'jobs', 'gamma'), { recursive: true });
    await symlink('/var/jenkins_home/elsewhere', join(home, 'jobs', 'gamma')); // directory → symlink
    await unlink(join(home, 'jobs', UNICODE_NAME, 'builds', 'lastSuccessfulBuild'));
    await writeFile(join(home, 'jobs', UNICODE_NAME, 'builds', 'lastSuccessfulBuild'), '3\n'); // symlink → file
    await chmod(join(home, 'plugins', 'git.jpi'), 0o600); // metadata only
    await chmod(join(home, 'userContent', 'deep'), 0o750); // a directory's metadata only
    if (IS_ROOT) await chown(join(home, 'secret.key'), 1000, 1000);
    await rm(join(home, 'userContent', NEWLINE_NAME)); // delete a newline name
    await mkdir(join(home, 'userContent', `new ${UNICODE_NAME}`));
    await writeFile(join(home, 'userContent', `new ${UNICODE_NAME}`, NEWLINE_NAME), 'created\n');
    await writeFile(raw(home, `userContent/${RAW_NAME}`), 'rewritten, still not utf-8\n');
    await truncate(join(home, 'userContent', 'deep', 'er', 'still', 'leaf.txt'), 0); // now empty
    await writeFile(join(home, 'userContent', 'new-empty'), '');
    await appendFile(join(home, 'big.bin'), bytes(1024, 5)); // a 20 MB file, streamed
    await rename(join(home, 'plugins', 'git', 'META-INF', 'MANIFEST.MF'), join(home, 'plugins', 'MANIFEST.moved')); // a file moved across directories
    await utimes(join(home, 'config.xml'), new Date('2020-01-02T03:04:05.678Z'), new Date('2020-01-02T03:04:05.678Z')); // mtime set back

    const packed = await packDelta(home, cutoff, { output: archive });
    const paths = await packedPaths(archive);
    assert.equal(packed.entries, paths.length);
    assert.equal(packed.skipped, 2, 'the fifo of the base and the new one, both in a changed directory');
    assert.ok(paths.includes('big.bin') && paths.includes('jobs/beta-renamed/builds/3/log'), 'the moved job is packed whole');
    assert.ok(!paths.includes('plugins/git') && !paths.includes('jobs/delta'), 'unchanged entries are not packed');
    const before = await readTree(base);
    const result = await applyDelta(base, archive);
    assert.equal(result.entries, packed.entries);
    assert.equal(result.ownersNotSet, 0);
    await assertIdentical(home, base);
    // What the delta did not carry is the base's own, to the nanosecond.
    const after = await readTree(base);
    const carried = new Set(paths);
    for (const [path, e] of after) {
      if (carried.has(path) || e.type === 'd') continue;
      assert.equal(e.mtime, before.get(path)?.mtime, `untouched ${path} keeps its ns mtime`);
    }
  });

  test('entries changed before the cutoff are not packed: the delta holds only the late writes and the home still comes out identical', async () => {
    const { home, base, archive } = await prepare('early');
    await buildJenkinsHome(home);
    await appendFile(join(home, 'big.bin'), bytes(4096, 9));
    await saveAtomic(join(home, 'jobs', 'alpha', 'config.xml'), '<project>early</project>\n');
    await copyTree(home, base);
    const cutoff = await cutoffNow();
    await appendFile(join(home, 'jobs', 'beta', 'builds', '3', 'log'), 'late\n');

    const packed = await packDelta(home, cutoff, { output: archive });
    assert.deepEqual(await packedPaths(archive), ['jobs/beta/builds/3/log']);
    assert.ok(packed.bytes < 4096, `a one-file delta stays small (${packed.bytes} bytes)`);
    assert.equal(packed.contentBytes, (await stat(join(home, 'jobs', 'beta', 'builds', '3', 'log'))).size);
    await applyDelta(base, archive);
    await assertIdentical(home, base);
  });

  test('a home that did not change after the cutoff packs to nothing but the end record', async () => {
    const { home, archive } = await prepare('none');
    await buildJenkinsHome(home, 1024);
    const cutoff = await cutoffNow();
    const packed = await packDelta(home, cutoff, { output: archive });
    assert.equal(packed.entries, 0);
    assert.deepEqual(await packedPaths(archive), []);
  });
});

describe('delta archive: refusals leave the base untouched', () => {
  let home = '';
  let base = '';
  let archive = '';
  let good = Buffer.alloc(0);
  before(async () => {
    ({ home, base, archive } = await prepare('corrupt'));
    await buildJenkinsHome(home, 64 * 1024);
    await copyTree(home, base);
    const cutoff = await cutoffNow();
    await saveAtomic(join(home, 'config.xml'), '<hudson>changed</hudson>\n');
    await rm(join(home, 'jobs', 'alpha'), { recursive: true });
    await appendFile(join(home, 'big.bin'), bytes(70_000, 2));
    await packDelta(home, cutoff, { output: archive });
    good = await readFile(archive);
  });

  const variants: Array<[string, (b: Buffer) => Buffer]> = [
    ['a flipped byte in the magic', (b) => flip(b, 2)],
    ['a flipped byte in the gzip header mtime (not covered by gzip)', (b) => flip(b, 8 + 5)],
    ['a flipped byte in the middle', (b) => flip(b, Math.floor(b.length / 2))],
    ['a flipped byte in the SHA-256 trailer', (b) => flip(b, b.length - 1)],
    ['truncation by one byte', (b) => b.subarray(0, b.length - 1)],
    ['truncation to half', (b) => b.subarray(0, Math.floor(b.length / 2))],
    ['truncation to 20 bytes', (b) => b.subarray(0, 20)],
    ['one byte appended', (b) => Buffer.concat([b, Buffer.from([0])])],
  ];
  function flip(b: Buffer, at: number): Buffer {
    const c = Buffer.from(b);
    c[at] = c[at]! ^ 0x41;
    return c;
  }
  for (const [what, corrupt] of variants) {
    test(`an archive with ${what} is refused as corrupt and the base is not touched`, async () => {
      const bad = `${archive}.bad`;
      await writeFile(bad, corrupt(good));
      const before = await readTree(base);
      await assert.rejects(applyDelta(base, bad), (e: unknown) => e instanceof DeltaError && e.code === 'corrupt');
      assert.deepEqual(await readTree(base), before, 'not even a ctime moved');
    });
  }

  test('a base that is not the delta’s base (a kept entry differs) is refused before any change', async () => {
    const other = `${base}-other`;
    await copyTree(base, other);
    await utimes(join(other, 'jobs', 'beta'), new Date('2021-01-01'), new Date('2021-01-01'));
    const before = await readTree(other);
    await assert.rejects(applyDelta(other, archive), (e: unknown) => e instanceof DeltaError && e.code === 'base-mismatch' && /jobs\/beta/.test(e.message));
    assert.deepEqual(await readTree(other), before);
  });

  test('the untouched good archive still applies (the refusals above are about the damage, not the archive)', async () => {
    await applyDelta(base, archive);
    await assertIdentical(home, base);
  });
});

describe('delta archive: what a delta cannot rebuild is refused, not half-done', () => {
  test('a directory renamed and then written into after the cutoff: the base lacks its kept entries, refused before any change', async () => {
    const { home, base, archive } = await prepare('moved');
    await buildJenkinsHome(home, 1024);
    await copyTree(home, base);
    const cutoff = await cutoffNow();
    await rename(join(home, 'jobs', 'beta'), join(home, 'jobs', 'omega'));
    await writeFile(join(home, 'jobs', 'omega', 'nextBuildNumber.tmp'), '5\n'); // the moved directory's mtime is new now
    await packDelta(home, cutoff, { output: archive });
    const before = await readTree(base);
    await assert.rejects(applyDelta(base, archive), (e: unknown) => e instanceof DeltaError && e.code === 'base-mismatch' && /jobs\/omega/.test(e.message));
    assert.deepEqual(await readTree(base), before);
  });

  test('a file that changes while it is packed fails the pack and leaves no archive', async () => {
    const { home, archive } = await prepare('racing');
    await buildJenkinsHome(home, 8 * 1024 * 1024);
    const cutoff = await cutoffNow();
    await appendFile(join(home, 'big.bin'), 'x');
    const writer = (async () => {
      for (let i = 0; i < 200; i++) {
        await appendFile(join(home, 'big.bin'), 'more');
        await new Promise((r) => setImmediate(r));
      }
    })();
    const packing = packDelta(home, cutoff, { output: archive });
    const [outcome] = await Promise.allSettled([packing, writer]);
    if (outcome.status === 'rejected') {
      assert.ok(outcome.reason instanceof DeltaError && outcome.reason.code === 'changed-while-packing', String(outcome.reason));
      await assert.rejects(stat(archive), { code: 'ENOENT' });
    } else {
      // The pack won the race outright (it stat'ed after the last append): then it must describe the file.
      assert.ok((await packedPaths(archive)).includes('big.bin'));
    }
  });

  test('an expired signal rejects the pack and the apply with code aborted', async () => {
    const { home, base, archive } = await prepare('aborted');
    await buildJenkinsHome(home, 1024);
    await copyTree(home, base);
    const cutoff = await cutoffNow();
    await writeFile(join(home, 'late'), 'x');
    const signal = AbortSignal.abort(new Error('deadline passed'));
    await assert.rejects(packDelta(home, cutoff, { output: archive, signal }), (e: unknown) => e instanceof DeltaError && e.code === 'aborted');
    await packDelta(home, cutoff, { output: archive });
    await assert.rejects(applyDelta(base, archive, { signal }), (e: unknown) => e instanceof DeltaError && e.code === 'aborted');
  });
});

describe('utime seconds', () => {
  test('mtimes set through Node come back exact to the microsecond (libuv truncates the rest)', async () => {
    const f = join(dir, 'utime');
    await writeFile(f, '');
    for (const ns of ['1700000000123456789', '1700000000999999999', '1700000000000000001', '4102444800000001000', '0']) {
      const s = utimeSeconds(ns);
      await utimes(f, s, s);
      const got = (await stat(f, { bigint: true })).mtimeNs;
      assert.equal(got, (BigInt(ns) / 1000n) * 1000n, ns);
    }
  });
});

describe('delta archive: owners', () => {
  // The keeper runs as root. An applier that cannot set an owner must say so, not carry on silently:
  // run it as nobody (65534) in a child process.
  async function applyAsNobody(base: string, archive: string, allowOwnerMismatch: boolean): Promise<{ code?: string; ownersNotSet?: number }> {
    const script = join(dir, 'apply-as-nobody.mjs');
    await writeFile(
      script,
      `process.setgid(65534); process.setuid(65534);
const { applyDelta } = await import(${JSON.stringify(join(process.cwd(), 'src/keeper/delta-apply.ts'))});
try { console.log(JSON.stringify(await applyDelta(process.argv[2], process.argv[3], { allowOwnerMismatch: process.argv[4] === 'yes' }))); }
catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`,
    );
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, base, archive, allowOwnerMismatch ? 'yes' : 'no']);
    return JSON.parse(stdout) as { code?: string; ownersNotSet?: number };
  }

  test('an owner that cannot be set (EPERM, not root) fails the apply, unless the caller explicitly allows it, and then it is counted', { skip: !IS_ROOT && 'needs root to switch to an unprivileged user' }, async () => {
    const { home, base, archive } = await prepare('owners');
    await buildJenkinsHome(home, 1024);
    await promisify(execFile)('chown', ['-R', '65534:65534', home]);
    await copyTree(home, `${base}-false`);
    await copyTree(home, `${base}-true`);
    const cutoff = await cutoffNow();
    await writeFile(join(home, 'jobs', 'beta', 'new-file'), 'owned by root\n');
    await packDelta(home, cutoff, { output: archive });
    await chmod(archive, 0o644);
    await chmod(join(archive, '..'), 0o755);
    await chmod(dir, 0o755);
    for (const allow of [false, true]) {
      const target = `${base}-${allow}`;
      const out = await applyAsNobody(target, archive, allow);
      if (allow) assert.ok((out.ownersNotSet ?? 0) > 0, JSON.stringify(out));
      else assert.equal(out.code, 'owner', JSON.stringify(out));
    }
  });
});

describe('delta archive: hard links', () => {
  test('a hard-linked file changed after the cutoff is packed under each of its paths and applied as separate files', async () => {
    const { home, base, archive } = await prepare('hardlinks');
    await buildJenkinsHome(home, 1024);
    await link(join(home, 'jobs', 'alpha', 'config.xml'), join(home, 'jobs', 'beta', 'linked-config.xml'));
    await copyTree(home, base);
    const cutoff = await cutoffNow();
    await appendFile(join(home, 'jobs', 'alpha', 'config.xml'), '<!-- both paths see this -->\n');
    await packDelta(home, cutoff, { output: archive });
    const paths = await packedPaths(archive);
    assert.ok(paths.includes('jobs/alpha/config.xml') && paths.includes('jobs/beta/linked-config.xml'), paths.join(','));
    await applyDelta(base, archive);
    await assertIdentical(home, base);
    const [a, b] = await Promise.all([stat(join(base, 'jobs', 'alpha', 'config.xml')), stat(join(base, 'jobs', 'beta', 'linked-config.xml'))]);
    assert.notEqual(a.ino, b.ino, 'the link is not kept: two files with the same content');
  });
});

describe('delta archive: lost+found', () => {
  test('lost+found at the root belongs to the file system: never packed, never removed from the base', async () => {
    const { home, base, archive } = await prepare('lostfound');
    await buildJenkinsHome(home, 1024);
    await mkdir(join(home, 'lost+found'));
    await copyTree(home, base);
    await rm(join(home, 'lost+found'), { recursive: true });
    const cutoff = await cutoffNow();
    await mkdir(join(home, 'lost+found'));
    await writeFile(join(home, 'lost+found', '#1234'), 'orphan');
    await saveAtomic(join(home, 'config.xml'), '<hudson>root changed</hudson>\n');
    await packDelta(home, cutoff, { output: archive });
    const paths = await packedPaths(archive);
    assert.ok(paths.includes('') && !paths.some((p) => p.startsWith('lost+found')), paths.join(','));
    await applyDelta(base, archive);
    assert.ok((await stat(join(base, 'lost+found'))).isDirectory());
    await assert.rejects(stat(join(base, 'lost+found', '#1234')), { code: 'ENOENT' });
  });
});
