/**
 * npm run plugins:update [-- --jenkins-version X.Y.Z] [--from plugin-versions.json] [--dry-run]
 *
 * Rewrites jenkins/controller/plugins.txt and plugins.lock.json to the newest releases of the
 * pinned plugins that install on the target Jenkins core, from the update center's
 * plugin-versions.json (every release with requiredCore and dependencies); prints old → new.
 * When the core changes, the Dockerfile's default JENKINS_VERSION follows (and so does the config
 * default, which is read from the lock). One line and exit 1 when no compatible set exists.
 *
 * The target core: --jenkins-version, else controller.jenkinsVersion in --config (default
 * ./jenkins-ecs.yaml, if present), else the lock's current core.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { renderPluginsTxt, type PluginLock } from '../src/plugins/lock.js';
import { describeChanges, updatePlugins, type PluginVersions } from '../src/plugins/update.js';
import { isVersion } from '../src/plugins/version.js';

/** Where jenkins-plugin-cli reads the same data (its --jenkins-plugin-info default). */
export const PLUGIN_VERSIONS_URL = 'https://updates.jenkins.io/current/plugin-versions.json';

interface Options {
  jenkinsVersion?: string;
  from?: string;
  dir: string;
  config: string;
  dryRun: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { dir: resolve('jenkins/controller'), config: resolve('jenkins-ecs.yaml'), dryRun: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`plugins:update: ${a} needs a value`);
      return v;
    };
    if (a === '--jenkins-version') o.jenkinsVersion = value();
    else if (a === '--from') o.from = resolve(value());
    else if (a === '--dir') o.dir = resolve(value());
    else if (a === '--config') o.config = resolve(value());
    else if (a === '--dry-run') o.dryRun = true;
    else throw new UsageError(`plugins:update: unknown option ${a}; use --jenkins-version X.Y.Z, --from FILE, --config FILE, --dir DIR or --dry-run`);
  }
  return o;
}

function targetCore(o: Options, lock: PluginLock): string {
  let v = o.jenkinsVersion;
  if (v === undefined && existsSync(o.config)) {
    const doc = parseYaml(readFileSync(o.config, 'utf8')) as { controller?: { jenkinsVersion?: unknown } } | null;
    const fromConfig = doc?.controller?.jenkinsVersion;
    if (typeof fromConfig === 'string') v = fromConfig;
  }
  v ??= lock.jenkins.version;
  if (!/^\d+\.\d+\.\d+$/.test(v) || !isVersion(v)) throw new UsageError(`plugins:update: Jenkins version ${JSON.stringify(v)} is not an X.Y.Z LTS release, e.g. ${lock.jenkins.version}`);
  return v;
}

async function loadVersions(o: Options): Promise<{ data: PluginVersions; source: string; fetchedAt: string }> {
  if (o.from !== undefined) {
    return { data: JSON.parse(readFileSync(o.from, 'utf8')) as PluginVersions, source: `file ${o.from}`, fetchedAt: new Date().toISOString() };
  }
  const res = await fetch(PLUGIN_VERSIONS_URL);
  if (!res.ok) throw new UsageError(`plugins:update: ${PLUGIN_VERSIONS_URL} answered ${res.status}; try again, or pass --from a downloaded copy`);
  return { data: (await res.json()) as PluginVersions, source: PLUGIN_VERSIONS_URL, fetchedAt: new Date().toISOString() };
}

export async function main(argv: readonly string[], out: (line: string) => void): Promise<number> {
  try {
    const o = parseArgs(argv);
    const lockFile = join(o.dir, 'plugins.lock.json');
    const lock = JSON.parse(readFileSync(lockFile, 'utf8')) as PluginLock;
    const core = targetCore(o, lock);
    const { data, source, fetchedAt } = await loadVersions(o);
    const result = updatePlugins(lock, data, { core, updateCenter: source, fetchedAt });
    if (!result.ok) {
      out(result.message);
      return 1;
    }
    if (core !== lock.jenkins.version) out(`jenkins: ${lock.jenkins.version} → ${core} (confirm that jenkins/jenkins:${core}-lts-jdk21 exists, then record the jenkinsci/docker tag commit in plugins.lock.json)`);
    for (const line of describeChanges(result.changes, core)) out(line);
    if (o.dryRun) return 0;
    writeFileSync(lockFile, `${JSON.stringify(result.lock, null, 2)}\n`);
    writeFileSync(join(o.dir, 'plugins.txt'), renderPluginsTxt(result.lock));
    const dockerfile = join(o.dir, 'Dockerfile');
    if (existsSync(dockerfile)) {
      writeFileSync(dockerfile, readFileSync(dockerfile, 'utf8').replace(/^ARG JENKINS_VERSION=\S+$/m, `ARG JENKINS_VERSION=${core}`));
    }
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      out(e.message);
      return 1;
    }
    throw e;
  }
}

if (require.main === module) {
  main(process.argv.slice(2), (line) => console.log(line)).then((code) => process.exit(code), (e: unknown) => {
    console.error(`plugins:update: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
