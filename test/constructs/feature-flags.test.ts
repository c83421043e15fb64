// cdk.json pins every aws-cdk-lib feature flag the cdk CLI would call "not configured" (the
// notice on every `cdk synth`/`deploy`) to the value it has unset (scripts/pin-feature-flags.ts).
// Oracles: aws-cdk-lib's own feature-flag report in the assembly, read with the cdk CLI's rule, and
// the templates themselves, which must not change by a byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { cdkJsonContext, flagReport, needsAttention } from '../../scripts/pin-feature-flags.js';
import { buildApp } from '../../src/app.js';
import { loadConfigFile } from '../../src/config/index.js';

const ROOT = join(__dirname, '..', '..');

test('with cdk.json context no feature flag needs attention', () => {
  assert.deepEqual(needsAttention(flagReport(cdkJsonContext())), []);
});

test('the pinned flags change no template (default and production configs)', () => {
  for (const file of ['jenkins-ecs.yaml', 'examples/production.yaml']) {
    const loaded = loadConfigFile(join(ROOT, file));
    assert.ok(loaded.ok, file);
    const templates = (context: Record<string, unknown>) => {
      const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'jenkins-ecs-flags-test-')), context });
      buildApp(loaded.config, { app, env: {} });
      const assembly = app.synth();
      return app.node
        .findAll()
        .filter((c): c is Stack => c instanceof Stack)
        .map((s) => JSON.stringify(assembly.getStackByName(s.stackName).template));
    };
    assert.deepEqual(templates(cdkJsonContext()), templates({}), file);
  }
});
