/**
 * The controller's plugin lock (jenkins/controller/plugins.lock.json): every plugin pinned in
 * plugins.txt with its required Jenkins core and its direct plugin dependencies, as published
 * for that release, plus where each fact came from. Pure: callers hand in the parsed JSON and
 * the plugins.txt text, so the config rules, the tests and `plugins:update` share one reading.
 */
import { compareVersions, isVersion, newest, satisfies } from './version.js';

/** A git location a fact was read from. */
export interface GitSource {
  readonly repo: string;
  readonly tag: string;
  readonly commit: string;
}

/** Where a plugin release's facts came from: its pom at the release tag, or the update center. */
export type PluginSource =
  | (GitSource & {
      readonly pom: string;
      /** How requiredCore follows from the pom, e.g. `jenkins.version = ${jenkins.baseline}.1 with jenkins.baseline 2.541`. */
      readonly requiredCoreFrom: string;
      /** The jenkinsci/bom release whose managed versions fill the dependency versions the pom leaves out. */
      readonly bom?: GitSource & { readonly module: string };
    })
  | { readonly updateCenter: string; readonly fetchedAt: string };

export interface LockDependency {
  readonly id: string;
  /** The minimum version the plugin declares. */
  readonly version: string;
  readonly optional: boolean;
  /** `pom <path>` or `bom <path>` (the file that gave the version), or `update-center`. */
  readonly from: string;
}

export interface LockedPlugin {
  readonly id: string;
  readonly version: string;
  readonly requiredCore: string;
  readonly source: PluginSource;
  readonly dependencies: readonly LockDependency[];
}

/** A plugin the pins need that plugins.txt does not pin; jenkins-plugin-cli resolves it at build. */
export interface UnpinnedDependency {
  readonly id: string;
  /** The highest minimum any pin declares. */
  readonly minimum: string;
  readonly requiredBy: readonly string[];
}

export interface PluginLock {
  readonly about: readonly string[];
  /** The Jenkins core the set was checked against: the image's default `jenkinsVersion`. */
  readonly jenkins: { readonly version: string; readonly image: string; readonly source: GitSource & { readonly path: string } };
  readonly plugins: readonly LockedPlugin[];
  readonly unpinned: readonly UnpinnedDependency[];
}

export interface Pin {
  readonly id: string;
  readonly version: string;
  /** 1-based line in plugins.txt. */
  readonly line: number;
}

export class PluginLockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PluginLockError';
  }
}

/** `id:version` lines of plugins.txt (comments and blank lines skipped); malformed lines throw. */
export function parsePluginsTxt(text: string): Pin[] {
  const pins: Pin[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const m = /^([a-z0-9][a-z0-9_-]*):(\S+)$/i.exec(line);
    if (!m || !isVersion(m[2] as string)) {
      throw new PluginLockError(`plugins.txt line ${i + 1}: ${JSON.stringify(raw.trim())} is not a pinned id:version (e.g. git:5.10.1)`);
    }
    pins.push({ id: m[1] as string, version: m[2] as string, line: i + 1 });
  });
  return pins;
}

/** plugins.txt text for a lock: a header, then one `id:version` per plugin in lock order. */
export function renderPluginsTxt(lock: Pick<PluginLock, 'plugins'>): string {
  return (
    '# Pinned Jenkins plugins (id:version); plugins.lock.json records what each needs.\n' +
    '# Change with `npm run plugins:update` (newest releases that suit controller.jenkinsVersion),\n' +
    '# never by hand alone: the tests refuse a plugins.txt that disagrees with the lock.\n' +
    lock.plugins.map((p) => `${p.id}:${p.version}\n`).join('')
  );
}

/** The plugin that needs the newest core, and that core. */
export function newestRequiredCore(lock: Pick<PluginLock, 'plugins'>): { plugin: string; core: string } | undefined {
  const core = newest(lock.plugins.map((p) => p.requiredCore));
  const plugin = lock.plugins.find((p) => p.requiredCore === core);
  return core === undefined || plugin === undefined ? undefined : { plugin: `${plugin.id}:${plugin.version}`, core };
}

/** Required dependencies on plugins that are not pinned, with the highest minimum asked for. */
export function unpinnedDependencies(plugins: readonly LockedPlugin[]): UnpinnedDependency[] {
  const pinned = new Set(plugins.map((p) => p.id));
  const out = new Map<string, { minimum: string; requiredBy: string[] }>();
  for (const p of plugins) {
    for (const d of p.dependencies) {
      if (d.optional || pinned.has(d.id)) continue;
      const seen = out.get(d.id);
      if (!seen) out.set(d.id, { minimum: d.version, requiredBy: [p.id] });
      else {
        seen.requiredBy.push(p.id);
        if (compareVersions(d.version, seen.minimum) > 0) seen.minimum = d.version;
      }
    }
  }
  return [...out.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, v]) => ({ id, ...v }));
}

/**
 * Everything wrong with the pins for this core, one sentence each (empty when the set installs):
 * plugins.txt and the lock disagree; a pin needs a newer core; a pin depends on another pin at a
 * version the pin does not reach (jenkins-plugin-cli refuses both, and the image build fails).
 * An optional dependency counts too: once present, Jenkins holds it to the declared minimum.
 */
export function lockProblems(lock: Pick<PluginLock, 'plugins' | 'unpinned'>, pins: readonly Pin[], core: string): string[] {
  const problems: string[] = [];
  const locked = new Map(lock.plugins.map((p) => [p.id, p]));
  const pinned = new Map(pins.map((p) => [p.id, p]));
  for (const pin of pins) {
    const l = locked.get(pin.id);
    if (!l) problems.push(`plugins.txt line ${pin.line} pins ${pin.id}:${pin.version}, which plugins.lock.json does not list; run npm run plugins:update`);
    else if (l.version !== pin.version) {
      problems.push(`plugins.txt line ${pin.line} pins ${pin.id}:${pin.version} but plugins.lock.json has ${l.version}; run npm run plugins:update`);
    }
  }
  for (const l of lock.plugins) {
    if (!pinned.has(l.id)) problems.push(`plugins.lock.json lists ${l.id}:${l.version}, which plugins.txt does not pin; run npm run plugins:update`);
    if (compareVersions(l.requiredCore, core) > 0) {
      problems.push(`${l.id}:${l.version} requires Jenkins ${l.requiredCore}, newer than the image's ${core}; raise jenkinsVersion or pick an older ${l.id}`);
    }
    for (const d of l.dependencies) {
      const target = locked.get(d.id);
      if (target && !satisfies(target.version, d.version)) {
        problems.push(
          `${l.id}:${l.version} needs ${d.id} ${d.version} or newer${d.optional ? ' (optional dependency)' : ''}, but ${d.id} is pinned at ${target.version}; raise the ${d.id} pin`,
        );
      }
    }
  }
  const expected = JSON.stringify(unpinnedDependencies(lock.plugins));
  if (JSON.stringify(lock.unpinned) !== expected) problems.push('plugins.lock.json "unpinned" is out of date with its plugins; run npm run plugins:update');
  return problems;
}
