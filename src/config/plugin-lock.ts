/**
 * The committed plugin lock as the config package sees it. The JSON is imported (bundled at
 * build time by tsc/tsx/esbuild), not read from disk at run time: src/config stays pure and
 * works the same from a bundle, an installed package or the repository.
 */
import lockJson from '../../jenkins/controller/plugins.lock.json';
import type { PluginLock } from '../plugins/lock.js';
import { newestRequiredCore } from '../plugins/lock.js';
import { compareVersions } from '../plugins/version.js';
import { error, show, warning } from './issues.js';
import type { ConfigIssue } from './types.js';

export const PLUGIN_LOCK: PluginLock = lockJson as PluginLock;

/** Where the lock lives, for messages. */
export const PLUGIN_LOCK_PATH = 'jenkins/controller/plugins.lock.json';

/**
 * `controller.jenkinsVersion` against the lock: older than the newest required core is an error
 * (jenkins-plugin-cli would refuse the plugin and the image build would fail at deploy); newer
 * than the core the set was checked on is accepted with a warning.
 */
export function jenkinsVersionIssues(version: string, lock: PluginLock = PLUGIN_LOCK): ConfigIssue[] {
  const key = 'controller.jenkinsVersion';
  const needed = newestRequiredCore(lock);
  if (needed && compareVersions(version, needed.core) < 0) {
    return [
      error(
        key,
        `${show(version)} is older than Jenkins ${needed.core}, which the pinned plugin ${needed.plugin} requires (${PLUGIN_LOCK_PATH}); ` +
          `the image build would fail — set jenkinsVersion to "${needed.core}" or newer (the plugin set was checked on "${lock.jenkins.version}"), ` +
          `or pin older plugins with npm run plugins:update -- --jenkins-version ${version}`,
      ),
    ];
  }
  if (compareVersions(version, lock.jenkins.version) > 0) {
    return [
      warning(
        key,
        `${show(version)} is newer than Jenkins ${lock.jenkins.version}, the core the pinned plugins were checked on (${PLUGIN_LOCK_PATH}); ` +
          `they should still install, but check them with npm run plugins:update -- --jenkins-version ${version}`,
      ),
    ];
  }
  return [];
}
