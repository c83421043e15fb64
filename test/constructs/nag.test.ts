// cdk-nag (AwsSolutions, v3 Validations API) as wired by src/nag.ts: it must see every stack,
// including stacks inside nested Stages, and fail the synth on any unacknowledged finding.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Stage, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/index.js';
import { addNagChecks } from '../../src/nag.js';
import * as cdkNag from 'cdk-nag';
import { AwsSolutionsChecks } from 'cdk-nag/lib/packs/aws-solutions';

function newApp(): App {
  return new App({ outdir: mkdtempSync(join(tmpdir(), 'jenkins-ecs-nag-test-')) });
}

interface Report {
  pluginReports: Array<{ violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }> }>;
}

/** Synthesizes; returns every finding as "rule path", or [] when the synth passes. */
function findings(app: App): string[] {
  try {
    app.synth();
    return [];
  } catch (err) {
    const reportFile = join(app.outdir, 'validation-report.json');
    if (!existsSync(reportFile)) throw err;
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;
    return report.pluginReports.flatMap((r) =>
      r.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} ${c.constructPath}`)),
    );
  }
}

describe('cdk-nag reach', () => {
  test('src/nag.ts imports the AwsSolutions pack the package index exports (the same class, not a copy)', () => {
    assert.equal(AwsSolutionsChecks, cdkNag.AwsSolutionsChecks);
  });

  test('buildApp wires the checks to the whole app: a plain bucket in the main stack and one in the state stack are both reported, nothing else is', () => {
    const app = newApp();
    const parsed = parseConfig({ name: 'ci' });
    assert.ok(parsed.ok);
    const built = buildApp(parsed.config, { app, env: { account: '123456789012', region: 'eu-west-1' } });
    assert.ok(built.stateStack, 'no state stack');
    new s3.Bucket(built.stack, 'PlainMain');
    new s3.Bucket(built.stateStack, 'PlainState');
    const found = findings(app);
    assert.ok(found.includes('AwsSolutions-S10 jenkins-ecs-ci/PlainMain/Resource'), found.join('\n'));
    assert.ok(found.includes('AwsSolutions-S10 jenkins-ecs-ci-state/PlainState/Resource'), found.join('\n'));
    assert.deepEqual(found.filter((f) => !/\/Plain(Main|State)\//.test(f)), [], 'the deployment itself has unacknowledged findings');
  });

  test('a non-compliant bucket in a stack inside a nested Stage is reported and fails the synth', () => {
    const app = newApp();
    addNagChecks(app);
    const outer = new Stage(app, 'Outer');
    const inner = new Stage(outer, 'Inner');
    const stack = new Stack(inner, 'Deep');
    new s3.Bucket(stack, 'Plain');
    assert.ok(findings(app).includes('AwsSolutions-S10 Outer/Inner/Deep/Plain/Resource'));
  });

  test('findings from a top-level stack and a staged stack are both reported in one synth', () => {
    const app = newApp();
    addNagChecks(app);
    const top = new Stack(app, 'Top');
    const vpc = new ec2.Vpc(top, 'Vpc', { maxAzs: 1, natGateways: 0, subnetConfiguration: [{ name: 'p', subnetType: ec2.SubnetType.PUBLIC }] });
    const sg = new ec2.SecurityGroup(top, 'OpenSsh', { vpc });
    sg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(22));
    const staged = new Stack(new Stage(app, 'Staged'), 'Inside');
    new s3.Bucket(staged, 'Plain');
    const found = findings(app);
    assert.ok(found.includes('AwsSolutions-EC23 Top/OpenSsh/Resource'), found.join('\n'));
    assert.ok(found.includes('AwsSolutions-S10 Staged/Inside/Plain/Resource'), found.join('\n'));
  });

  test('an acknowledgement next to the resource silences exactly that finding', () => {
    const app = newApp();
    addNagChecks(app);
    const stack = new Stack(new Stage(app, 'Nested'), 'Acked');
    const bucket = new s3.Bucket(stack, 'Logs', { enforceSSL: true, encryption: s3.BucketEncryption.S3_MANAGED });
    Validations.of(bucket).acknowledge({ id: 'AwsSolutions-S1', reason: 'test: a log bucket does not log to itself' });
    assert.deepEqual(findings(app), []);
    const unacked = newApp();
    addNagChecks(unacked);
    new s3.Bucket(new Stack(new Stage(unacked, 'Nested'), 'Acked'), 'Logs', { enforceSSL: true, encryption: s3.BucketEncryption.S3_MANAGED });
    assert.deepEqual(findings(unacked), ['AwsSolutions-S1 Nested/Acked/Logs/Resource']);
  });
});
