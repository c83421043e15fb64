// Runs every bench/*.bench.ts (or those whose file name contains one of the arguments) and prints
// one JSON line per result: {"name":…,"value":…,"unit":…}. Benches report figures; nothing here
// passes or fails on a threshold.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

interface BenchResult {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

interface BenchModule {
  run?: () => Promise<BenchResult[]>;
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => filters.length === 0 || filters.some((flt) => f.includes(flt)))
    .sort();
  if (files.length === 0) {
    console.error(`no bench/*.bench.ts matched ${filters.join(' ')}`);
    return 1;
  }
  let failed = 0;
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(__dirname, file)).href)) as BenchModule & { default?: BenchModule };
    const run = mod.run ?? mod.default?.run;
    if (typeof run !== 'function') {
      console.error(`${file}: exports no run() function`);
      failed++;
      continue;
    }
    try {
      for (const r of await run()) console.log(JSON.stringify({ name: r.name, value: r.value, unit: r.unit }));
    } catch (err) {
      console.error(`${file}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      failed++;
    }
  }
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
