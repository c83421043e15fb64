/**
 * `npm run plugins:update`, the pure part: from the update center's `plugin-versions.json`
 * (every release of every plugin, with `requiredCore` and `dependencies`), choose for each pinned
 * plugin the newest release that installs on the target core and whose dependencies on other
 * pins are met by the chosen pins; return the new lock and what changed. I/O (fetching the
 * metadata, writing files) is in scripts/plugins-update.ts.
 */
import { lockProblems, unpinnedDependencies, type LockedPlugin, type PluginLock } from './lock.js';
import { compareVersions, satisfies } from './version.js';

/** One release in plugin-versions.json (fields this tool reads; the file has more). */
export interface UpdateCenterRelease {
  readonly name?: string;
  readonly version: string;
  readonly requiredCore: string;
  readonly dependencies?: readonly { readonly name: string; readonly optional: boolean; readonly version: string }[];
}

/** `plugin-versions.json`: `{ plugins: { <id>: { <version>: release } } }`. */
export interface PluginVersions {
  readonly plugins: Readonly<Record<string, Readonly<Record<string, UpdateCenterRelease>>>>;
}

export interface UpdateTarget {
  /** The Jenkins core the plugins must install on. */
  readonly core: string;
  /** Where the metadata came from, recorded as each updated plugin's source. */
  readonly updateCenter: string;
  /** ISO time the metadata was fetched (or recorded, for the fixture). */
  readonly fetchedAt: string;
}

export interface PluginChange {
  readonly id: string;
  readonly from: string;
  readonly to: string;
}

export type UpdateResult =
  | { readonly ok: true; readonly lock: PluginLock; readonly changes: readonly PluginChange[] }
  | { readonly ok: false; readonly message: string };

function releasesOf(data: PluginVersions, id: string): UpdateCenterRelease[] {
  return Object.entries(data.plugins[id] ?? {})
    .map(([version, r]) => ({ ...r, version: r.version ?? version }))
    .sort((a, b) => compareVersions(b.version, a.version));
}

function locked(release: UpdateCenterRelease, id: string, target: UpdateTarget): LockedPlugin {
  return {
    id,
    version: release.version,
    requiredCore: release.requiredCore,
    source: { updateCenter: target.updateCenter, fetchedAt: target.fetchedAt },
    dependencies: (release.dependencies ?? [])
      .map((d) => ({ id: d.name, version: d.version, optional: d.optional, from: 'update-center' }))
      .sort((a, b) => (a.id < b.id ? -1 : 1)),
  };
}

/**
 * The newest compatible set. A pin's candidates are its releases for this core, newest first;
 * when a chosen release needs more of another pin than that pin's choice, the needing pin steps
 * down one release and the choice is made again (each step only lowers a pin, so this ends).
 * A pin that keeps its version keeps its recorded facts and sources.
 */
export function updatePlugins(lock: PluginLock, data: PluginVersions, target: UpdateTarget): UpdateResult {
  const candidates = new Map<string, UpdateCenterRelease[]>();
  for (const p of lock.plugins) {
    const all = releasesOf(data, p.id);
    if (all.length === 0) return { ok: false, message: `plugins:update: the update center lists no release of ${p.id}; check the plugin id in plugins.txt` };
    const fit = all.filter((r) => satisfies(target.core, r.requiredCore));
    if (fit.length === 0) {
      const oldest = all[all.length - 1] as UpdateCenterRelease;
      return {
        ok: false,
        message: `plugins:update: no release of ${p.id} installs on Jenkins ${target.core} (its oldest listed release, ${oldest.version}, requires ${oldest.requiredCore}); raise --jenkins-version or drop ${p.id}`,
      };
    }
    candidates.set(p.id, fit);
  }
  const index = new Map(lock.plugins.map((p) => [p.id, 0]));
  for (;;) {
    const chosen = new Map(lock.plugins.map((p) => [p.id, (candidates.get(p.id) as UpdateCenterRelease[])[index.get(p.id) as number] as UpdateCenterRelease]));
    const clash = lock.plugins
      .flatMap((p) => (chosen.get(p.id)?.dependencies ?? []).map((d) => ({ needer: p.id, dep: d })))
      .find(({ dep }) => chosen.has(dep.name) && !satisfies((chosen.get(dep.name) as UpdateCenterRelease).version, dep.version));
    if (!clash) {
      const plugins = lock.plugins.map((p) => {
        const r = chosen.get(p.id) as UpdateCenterRelease;
        return r.version === p.version ? p : locked(r, p.id, target);
      });
      const next: PluginLock = {
        ...lock,
        jenkins: target.core === lock.jenkins.version ? lock.jenkins : {
          version: target.core,
          image: `jenkins/jenkins:${target.core}-lts-jdk21`,
          source: { repo: 'jenkinsci/docker', tag: target.core, commit: 'unverified: confirm the tag before deploying', path: 'docker-bake.hcl' },
        },
        plugins,
        unpinned: unpinnedDependencies(plugins),
      };
      const problems = lockProblems(next, plugins.map((p, i) => ({ id: p.id, version: p.version, line: i + 1 })), target.core);
      if (problems.length > 0) return { ok: false, message: `plugins:update: the chosen set still fails its checks: ${problems.join('; ')}` };
      const changes = lock.plugins.flatMap((p, i) => (plugins[i]?.version === p.version ? [] : [{ id: p.id, from: p.version, to: plugins[i]?.version ?? '' }]));
      return { ok: true, lock: next, changes };
    }
    const i = (index.get(clash.needer) as number) + 1;
    const options = candidates.get(clash.needer) as UpdateCenterRelease[];
    if (i >= options.length) {
      const dep = chosen.get(clash.dep.name) as UpdateCenterRelease;
      return {
        ok: false,
        message: `plugins:update: every release of ${clash.needer} for Jenkins ${target.core} needs ${clash.dep.name} newer than ${dep.version}, the newest ${clash.dep.name} that installs on it; raise --jenkins-version`,
      };
    }
    index.set(clash.needer, i);
  }
}

/** One line per change, `id: old → new`, or a line saying nothing changed. */
export function describeChanges(changes: readonly PluginChange[], core: string): string[] {
  if (changes.length === 0) return [`plugins:update: every pin is already the newest release for Jenkins ${core}`];
  return changes.map((c) => `${c.id}: ${c.from} → ${c.to}`);
}
