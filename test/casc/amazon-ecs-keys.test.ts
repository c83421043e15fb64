// The amazon-ecs key allowlist against the pinned release's own @DataBoundConstructor and
// @DataBoundSetter names (test/fixtures/jenkins/amazon-ecs-1.49-databound.json, read from
// jenkinsci/amazon-ecs-plugin at the release tag; the fixture names tag and commit).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ECS_CLOUD_KEYS, ECS_TEMPLATE_ENTRY_KEYS, ECS_TEMPLATE_KEYS } from '../../src/config/amazon-ecs-keys.js';
import { PLUGIN_LOCK } from '../../src/config/plugin-lock.js';

interface Databound {
  source: { tag: string; commit: string };
  classes: Record<string, { constructor: string[]; setters: string[] }>;
}
const upstream = JSON.parse(readFileSync('test/fixtures/jenkins/amazon-ecs-1.49-databound.json', 'utf8')) as Databound;
const names = (cls: string): string[] => {
  const c = upstream.classes[cls];
  assert.ok(c, `${cls} in the fixture`);
  return [...new Set([...c.constructor, ...c.setters])].sort();
};
const sorted = (s: ReadonlySet<string>): string[] => [...s].sort();

/** Template list key → the inner class whose constructor defines its entries. */
const ENTRY_CLASSES: Record<string, string> = {
  capacityProviderStrategies: 'CapacityProviderStrategyEntry',
  environments: 'EnvironmentEntry',
  logDriverOptions: 'LogDriverOption',
  tags: 'Tag',
  placementStrategies: 'PlacementStrategyEntry',
  portMappings: 'PortMappingEntry',
  extraHosts: 'ExtraHostEntry',
  ulimits: 'UlimitEntry',
  mountPoints: 'MountPointEntry',
  efsMountPoints: 'EFSMountPointEntry',
};

describe('amazon-ecs JCasC keys match the pinned release', () => {
  test('the fixture was read from the release pinned in plugins.txt', () => {
    const pin = PLUGIN_LOCK.plugins.find((p) => p.id === 'amazon-ecs');
    assert.ok(pin && 'commit' in pin.source);
    assert.equal(upstream.source.tag, `amazon-ecs-${pin.version}`);
    assert.equal(upstream.source.commit, pin.source.commit);
  });

  test('ECSCloud keys are exactly its constructor parameters and setters (no authRegion)', () => {
    assert.deepEqual(sorted(ECS_CLOUD_KEYS), names('ECSCloud'));
    assert.ok(!ECS_CLOUD_KEYS.has('authRegion'));
  });

  test('ECSTaskTemplate keys are exactly its constructor parameters and setters', () => {
    assert.deepEqual(sorted(ECS_TEMPLATE_KEYS), names('ECSTaskTemplate'));
  });

  test('every list entry type takes exactly its constructor parameters', () => {
    assert.deepEqual(Object.keys(ECS_TEMPLATE_ENTRY_KEYS).sort(), Object.keys(ENTRY_CLASSES).sort());
    for (const [key, cls] of Object.entries(ENTRY_CLASSES)) {
      assert.deepEqual(sorted(ECS_TEMPLATE_ENTRY_KEYS[key] ?? new Set()), names(cls), key);
    }
  });
});
