// Every resource CloudFormation keeps on `cdk destroy` (DeletionPolicy Retain in the synthesized
// templates: the oracle is CDK's own output, not a list of ours) is named in the README's
// Teardown section, so an operator knows what is left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/index.js';

/** How the README names each retained resource, by its logical id. A new one needs a row. */
const README_NAMES: readonly [RegExp, string][] = [
  [/^RecordTable$/, 'record table'],
  [/LaunchSnapshot/, "handler's and provider's log groups"],
  [/^JenkinsControllerLogGroup/, 'controller log group'],
  [/^JenkinsAgentsLogs/, 'agent log group'],
  [/ReconcilerLogs/, 'reconciler log group'],
  [/^JenkinsAccessLogBucket/, 'access-log bucket'],
  [/HandoffBucket/, 'handoff bucket'],
];

test('the README Teardown section names every retained resource of every stack', () => {
  const parsed = parseConfig({ name: 'ci' });
  assert.ok(parsed.ok);
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'jenkins-ecs-teardown-')) });
  buildApp(parsed.config, { app, env: { account: '123456789012', region: 'eu-west-1' } });
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const teardown = readme.slice(readme.indexOf('### Teardown'), readme.indexOf('## Build agents')).replace(/\s+/g, ' ');
  const retained: string[] = [];
  for (const stack of app.node.findAll().filter((c): c is Stack => c instanceof Stack)) {
    const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { DeletionPolicy?: string }>;
    for (const [id, r] of Object.entries(resources)) if (r.DeletionPolicy === 'Retain' || r.DeletionPolicy === 'RetainExceptOnCreate') retained.push(id);
  }
  assert.ok(retained.length > 0);
  for (const id of retained) {
    const name = README_NAMES.find(([re]) => re.test(id))?.[1];
    assert.ok(name, `${id} is retained on destroy: name it in the README's Teardown section and add it to README_NAMES`);
    assert.ok(teardown.includes(name), `README Teardown does not mention the ${name} (${id})`);
  }
  // The deploy and the destroy commands target the same config.
  const deploy = /npx cdk deploy --all (-c config=\S+)/.exec(readme)?.[1];
  // Teardown removes the main stack only (the state stack holds the record and is kept).
  const destroy = /npx cdk destroy jenkins-ecs-<name> (-c config=\S+)/.exec(readme)?.[1];
  assert.ok(deploy);
  assert.equal(destroy, deploy);
});
