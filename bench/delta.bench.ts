// Delta archive benchmark (figures only; no thresholds): a JENKINS_HOME of ~50k files in 100 jobs
// (builds with log, build.xml, changelog.xml, injectedEnvVars.txt, timestamps), copied to a base
// with cp -a, then 1% of its files changed after the cutoff the way builds change a home (new
// builds, appended logs, nextBuildNumber and config.xml saved with temp + rename).
// - delta-walk-unchanged-ms: packDelta over the whole home with nothing changed (the walk alone)
// - delta-pack-ms / delta-apply-ms: pack of the 1% change, apply onto the base
// - delta-archive-bytes, delta-entries, delta-content-bytes: what was shipped
import { appendFile, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyDelta } from '../src/keeper/delta-apply.js';
import { packDelta } from '../src/keeper/delta-pack.js';
import { copyTree, cutoffNow } from '../test/keeper/delta-tree.js';

const JOBS = 100;
const BUILDS = 100;
const FILES_PER_BUILD = ['log', 'build.xml', 'changelog.xml', 'injectedEnvVars.txt', 'timestamps'];

function text(bytes: number, salt: string): string {
  const line = `[${salt}] + mvn -B verify -Dsurefire.rerunFailingTestsCount=2 ok\n`;
  return line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
}

async function buildHome(home: string): Promise<number> {
  let files = 0;
  await mkdir(join(home, 'jobs'), { recursive: true });
  await writeFile(join(home, 'config.xml'), text(4000, 'config'));
  for (let j = 0; j < JOBS; j++) {
    const job = join(home, 'jobs', `job-${j}`);
    await mkdir(join(job, 'builds'), { recursive: true });
    await writeFile(join(job, 'config.xml'), text(3000, `job ${j}`));
    await writeFile(join(job, 'nextBuildNumber'), `${BUILDS + 1}\n`);
    files += 2;
    const writes: Promise<void>[] = [];
    for (let b = 1; b <= BUILDS; b++) {
      const build = join(job, 'builds', String(b));
      writes.push(
        (async () => {
          await mkdir(build);
          for (const f of FILES_PER_BUILD) await writeFile(join(build, f), text(f === 'log' ? 6000 : 400, `${j}/${b}/${f}`));
        })(),
      );
      files += FILES_PER_BUILD.length;
    }
    await Promise.all(writes);
  }
  return files;
}

/** About `share` of the home's files changed, as builds change them; returns how many were written. */
async function changeHome(home: string, total: number, share: number): Promise<number> {
  let changed = 0;
  const target = Math.round(total * share);
  for (let j = 0; changed < target; j = (j + 1) % JOBS) {
    const job = join(home, 'jobs', `job-${j}`);
    const b = BUILDS + 1 + Math.floor(changed / (JOBS * 10));
    const build = join(job, 'builds', String(b));
    await mkdir(build, { recursive: true });
    for (const f of FILES_PER_BUILD) await writeFile(join(build, f), text(f === 'log' ? 20_000 : 400, `new ${j}/${b}/${f}`));
    await writeFile(join(job, 'nextBuildNumber.tmp'), `${b + 1}\n`);
    await rename(join(job, 'nextBuildNumber.tmp'), join(job, 'nextBuildNumber'));
    await appendFile(join(job, 'builds', String(BUILDS), 'log'), 'Finished: SUCCESS\n');
    changed += FILES_PER_BUILD.length + 2;
  }
  return changed;
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = process.hrtime.bigint();
  const r = await f();
  return [r, Number(process.hrtime.bigint() - t0) / 1e6];
}

export async function run(): Promise<Array<{ name: string; value: number; unit: string }>> {
  const dir = await mkdtemp(join(tmpdir(), 'delta-bench-'));
  try {
    const home = join(dir, 'home');
    const base = join(dir, 'base');
    const files = await buildHome(home);
    await copyTree(home, base);
    const cutoff = await cutoffNow();
    const [, walkMs] = await timed(() => packDelta(home, cutoff, { output: join(dir, 'empty.delta') }));
    const changed = await changeHome(home, files, 0.01);
    const [packed, packMs] = await timed(() => packDelta(home, cutoff, { output: join(dir, 'home.delta') }));
    const [, applyMs] = await timed(() => applyDelta(base, join(dir, 'home.delta')));
    return [
      { name: 'delta-home-files', value: files, unit: 'Count' },
      { name: 'delta-changed-files', value: changed, unit: 'Count' },
      { name: 'delta-walk-unchanged-ms', value: Math.round(walkMs), unit: 'Milliseconds' },
      { name: 'delta-pack-ms', value: Math.round(packMs), unit: 'Milliseconds' },
      { name: 'delta-apply-ms', value: Math.round(applyMs), unit: 'Milliseconds' },
      { name: 'delta-entries', value: packed.entries, unit: 'Count' },
      { name: 'delta-content-bytes', value: packed.contentBytes, unit: 'Bytes' },
      { name: 'delta-archive-bytes', value: packed.bytes, unit: 'Bytes' },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
