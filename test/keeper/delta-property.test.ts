// Property: for random homes and random change sequences after the cutoff (seeded fast-check),
// pack + apply onto the base gives a tree identical to the home by find's account, or the apply
// refuses with base-mismatch, which is allowed only after a directory was renamed (a moved
// directory that was also written into is what a delta cannot rebuild; the keeper then uses F).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, chmod, lstat, mkdir, mkdtemp, readdir, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { DeltaError } from '../../src/keeper/delta-archive.js';
import { applyDelta } from '../../src/keeper/delta-apply.js';
import { packDelta } from '../../src/keeper/delta-pack.js';
import { bytes, comparable, copyTree, cutoffNow, diffTrees, raw, readTree } from './delta-tree.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'delta-property-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const NAMES = ['a', 'b', 'c', 'ü', 'x\ny', '.hidden', 'ジ', '3'];
const MODES = [0o644, 0o600, 0o755, 0o700, 0o4755, 0o640];
type Op = readonly [kind: number, pick: number, name: number, size: number, seed: number];
const op = fc.tuple(fc.nat(9), fc.nat(1000), fc.nat(NAMES.length - 1), fc.nat(5000), fc.nat(1 << 30));

/** Every path under root (latin1, relative; '' the root), and which are directories. */
async function entries(root: string): Promise<{ all: string[]; dirs: string[] }> {
  const all: string[] = [''];
  const dirs: string[] = [''];
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await readdir(raw(root, rel), { encoding: 'latin1' })).sort()) {
      const child = rel === '' ? name : `${rel}/${name}`;
      all.push(child);
      if ((await lstat(raw(root, child))).isDirectory()) {
        dirs.push(child);
        await walk(child);
      }
    }
  };
  await walk('');
  return { all, dirs };
}

/** Applies one random change; returns true when it renamed a directory. */
async function change(root: string, [kind, pick, nameIx, size, seed]: Op): Promise<boolean> {
  const { all, dirs } = await entries(root);
  const name = Buffer.from(NAMES[nameIx]!, 'utf8').toString('latin1');
  const inDir = dirs[pick % dirs.length]!;
  const fresh = inDir === '' ? name : `${inDir}/${name}`;
  const target = all.slice(1)[pick % Math.max(1, all.length - 1)];
  const p = (rel: string): Buffer => raw(root, rel);
  const exists = async (rel: string): Promise<boolean> => lstat(p(rel)).then(() => true, () => false);
  switch (kind) {
    case 0:
    case 1:
      if (!(await exists(fresh)) || !(await lstat(p(fresh))).isDirectory()) {
        await rm(p(fresh), { force: true });
        await writeFile(p(fresh), bytes(size, seed));
      }
      return false;
    case 2:
      if (target && (await lstat(p(target))).isFile()) await appendFile(p(target), bytes(size % 300, seed));
      return false;
    case 3:
      if (!(await exists(fresh))) await mkdir(p(fresh));
      return false;
    case 4:
      if (target) await rm(p(target), { recursive: true });
      return false;
    case 5: {
      if (!target || fresh === target || fresh.startsWith(`${target}/`)) return false;
      const isDir = (await lstat(p(target))).isDirectory();
      if ((await exists(fresh)) && (isDir || (await lstat(p(fresh))).isDirectory())) return false;
      await rename(p(target), p(fresh));
      return isDir;
    }
    case 6:
      if (!(await exists(fresh))) await symlink(`../${name}-${seed % 7}`, p(fresh));
      return false;
    case 7:
      if (target && !(await lstat(p(target))).isSymbolicLink()) await chmod(p(target), MODES[seed % MODES.length]!);
      return false;
    case 8:
      if (target && !(await lstat(p(target))).isSymbolicLink()) await utimes(p(target), seed, seed);
      return false;
    default: {
      if (!target) return false;
      const wasDir = (await lstat(p(target))).isDirectory();
      await rm(p(target), { recursive: true });
      if (wasDir) await writeFile(p(target), bytes(size % 100, seed));
      else await mkdir(p(target));
      return false;
    }
  }
}

let run = 0;
test('random homes, random changes after the cutoff: the applied base equals the home, or the apply refuses a moved directory', async () => {
  let identical = 0;
  let refused = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 3, maxLength: 25 }), fc.array(op, { minLength: 1, maxLength: 15 }), async (initial, later) => {
      const d = join(dir, String(run++));
      const home = join(d, 'home');
      const base = join(d, 'base');
      await mkdir(home, { recursive: true });
      for (const o of initial) await change(home, o);
      await copyTree(home, base);
      const cutoff = await cutoffNow();
      let movedDir = false;
      for (const o of later) movedDir = (await change(home, o)) || movedDir;
      await packDelta(home, cutoff, { output: join(d, 'delta') });
      try {
        await applyDelta(base, join(d, 'delta'));
      } catch (e) {
        assert.ok(e instanceof DeltaError && e.code === 'base-mismatch' && movedDir, `only a moved directory may be refused: ${String(e)}`);
        refused++;
        await rm(d, { recursive: true });
        return;
      }
      const diff = diffTrees(comparable(await readTree(home)), comparable(await readTree(base)));
      assert.deepEqual(diff, [], diff.join('\n'));
      identical++;
      await rm(d, { recursive: true });
    }),
    { numRuns: 30, seed: 20261202, endOnFailure: true },
  );
  assert.ok(identical > refused, `most runs apply (${identical} applied, ${refused} refused)`);
});
