/**
 * The root of this package: the nearest folder at or above `from` that holds a package.json.
 * Every layout the code runs from has none between itself and the root: the TypeScript sources
 * (src/…, through tsx in tests), the bundled CLI (dist/bin/, scripts/build-cli.mjs) and the bundled
 * CDK app (.build/app/, see scripts/synth.mjs). The constructs find jenkins/, keeper/, migrate/ and
 * the keeper, launch and reconciler sources from here, whichever of those layouts runs them.
 * Undefined when no folder up to the file system root holds one.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export function findPackageRoot(from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}
