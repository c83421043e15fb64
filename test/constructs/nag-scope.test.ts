// The scoped AwsSolutions pack (src/nag.ts) skips a rule on a resource whose type the rule's code
// cannot report on (src/nag-scope.generated.ts). It must report exactly what cdk-nag's own pack
// reports. The oracle is cdk-nag itself: its rules, run on every resource of every example
// deployment and of a set of non-compliant resources of services this app never uses, answer
// NOT_APPLICABLE wherever the scoped pack skips them, and both packs find the same findings.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as msk from 'aws-cdk-lib/aws-msk';
import * as quicksight from 'aws-cdk-lib/aws-quicksight';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IApplyRule } from 'cdk-nag/lib/nag-pack';
import { NagRuleCompliance } from 'cdk-nag';
import { AwsSolutionsChecks } from 'cdk-nag/lib/packs/aws-solutions';
import { NAG_SCOPE_FILE, nagScopeSource, packRules } from '../../scripts/gen-nag-scope.js';
import { buildApp } from '../../src/app.js';
import { loadConfigFile } from '../../src/config/index.js';
import { PROJECT_ROOT } from '../../src/constructs/bundle-cache.js';
import { ScopedAwsSolutionsChecks, nagRuleTable } from '../../src/nag.js';
import { NAG_RULE_TYPES } from '../../src/nag-scope.generated.js';

const ENV = { account: '123456789012', region: 'eu-west-1' };

/** Every (rule, resource) pair the pack applies, in order, without judging any. */
class RecordingChecks extends AwsSolutionsChecks {
  public readonly applied: IApplyRule[] = [];
  protected override applyRule(params: IApplyRule): void {
    this.applied.push(params);
  }
}

/** Each example deployment (nag off: the packs run here by hand) and a stack of non-compliant resources. */
function trees(): IConstruct[] {
  const out: IConstruct[] = [];
  for (const file of ['jenkins-ecs.yaml', 'examples/minimal.yaml', 'examples/production.yaml', 'examples/chosen-zones.yaml']) {
    const loaded = loadConfigFile(join(PROJECT_ROOT, file));
    assert.ok(loaded.ok, file);
    out.push(buildApp(loaded.config, { app: new App(), env: ENV, nag: false }).app);
  }
  out.push(zoo());
  return out;
}

/** Non-compliant resources of services the deployment does not use (their modules are what the scope avoids loading). */
function zoo(): App {
  const app = new App();
  const stack = new Stack(app, 'Zoo', { env: ENV });
  new s3.CfnBucket(stack, 'Bucket');
  new sqs.CfnQueue(stack, 'Queue');
  new sns.CfnTopic(stack, 'Topic');
  new dynamodb.CfnTable(stack, 'Table', { keySchema: [{ attributeName: 'k', keyType: 'HASH' }], attributeDefinitions: [{ attributeName: 'k', attributeType: 'S' }], billingMode: 'PAY_PER_REQUEST' });
  new kinesis.CfnStream(stack, 'Stream', { shardCount: 1 });
  new msk.CfnCluster(stack, 'Kafka', {
    clusterName: 'k',
    kafkaVersion: '3.5.1',
    numberOfBrokerNodes: 2,
    brokerNodeGroupInfo: { clientSubnets: ['subnet-1', 'subnet-2'], instanceType: 'kafka.m5.large' },
    encryptionInfo: { encryptionInTransit: { clientBroker: 'PLAINTEXT', inCluster: false } },
  });
  new sagemaker.CfnNotebookInstance(stack, 'Notebook', { instanceType: 'ml.t3.medium', roleArn: 'arn:aws:iam::123456789012:role/n' });
  new rds.CfnDBInstance(stack, 'Db', { dbInstanceClass: 'db.t3.micro', engine: 'mysql', publiclyAccessible: true });
  new elasticache.CfnCacheCluster(stack, 'Cache', { cacheNodeType: 'cache.t3.micro', engine: 'redis', numCacheNodes: 1 });
  new quicksight.CfnDataSource(stack, 'Sight', { awsAccountId: '123456789012', dataSourceId: 'd', name: 'n', type: 'MYSQL', sslProperties: { disableSsl: true } });
  new ec2.CfnSecurityGroup(stack, 'OpenSsh', { groupDescription: 'open', securityGroupIngress: [{ ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidrIp: '0.0.0.0/0' }] });
  // Of a type the table lists, but not an instance of the L1 class: the rule itself says NOT_APPLICABLE.
  new CfnResource(stack, 'RawBucket', { type: 'AWS::S3::Bucket' });
  return app;
}

function findings(pack: AwsSolutionsChecks, tree: IConstruct): string[] {
  return pack
    .validateScope(tree)
    .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`))
    .sort();
}

describe('cdk-nag rule scope', () => {
  const all = trees();

  test('the committed table is what scripts/gen-nag-scope.ts reads from the installed cdk-nag', () => {
    assert.equal(readFileSync(NAG_SCOPE_FILE, 'utf8'), nagScopeSource());
  });

  test('the table covers the pack: every rule it applies is listed, by the id NagPack gives it', () => {
    const applied = new Set<string>();
    for (const tree of all) {
      const rec = new RecordingChecks();
      rec.validateScope(tree);
      for (const p of rec.applied) applied.add(`AwsSolutions-${p.ruleSuffixOverride ?? p.rule.name}`);
    }
    assert.deepEqual([...applied].sort(), [...packRules().keys()].sort());
    // Not vacuous: the analysis scoped every rule of cdk-nag 3.0.2's pack.
    assert.deepEqual(Object.keys(NAG_RULE_TYPES).sort(), [...packRules().keys()].sort());
  });

  test('wherever the scoped pack skips a rule, cdk-nag\'s rule itself answers NOT_APPLICABLE (every rule, every resource)', () => {
    const scoped = new ScopedAwsSolutionsChecks();
    let skipped = 0;
    let run = 0;
    for (const tree of all) {
      const rec = new RecordingChecks();
      rec.validateScope(tree);
      for (const params of rec.applied) {
        const { rule, node } = params;
        if (!scoped.skips(params)) {
          run++;
          continue;
        }
        skipped++;
        let result: unknown;
        try {
          result = rule(node);
        } catch (e) {
          result = `threw ${String(e)}`;
        }
        assert.equal(result, NagRuleCompliance.NOT_APPLICABLE, `${params.ruleSuffixOverride} (${rule.name}) on ${node.node.path} (${node.cfnResourceType})`);
      }
    }
    assert.ok(skipped > 10 * run, `skipped ${skipped}, run ${run}`);
  });

  test('both packs report the same findings, on services the deployment never uses too', () => {
    for (const tree of all) assert.deepEqual(findings(new ScopedAwsSolutionsChecks(), tree), findings(new AwsSolutionsChecks(), tree));
    const zooFindings = findings(new ScopedAwsSolutionsChecks(), zoo());
    for (const expected of ['AwsSolutions-MSK2 Zoo/Kafka', 'AwsSolutions-SM1 Zoo/Notebook', 'AwsSolutions-QS1 Zoo/Sight', 'AwsSolutions-S10 Zoo/Bucket', 'AwsSolutions-EC23 Zoo/OpenSsh']) {
      assert.ok(zooFindings.includes(expected), `${expected} missing from:\n${zooFindings.join('\n')}`);
    }
  });

  test('the comparison catches a wrong table: a rule scoped away from the type it checks loses its finding', () => {
    const wrong = { ...NAG_RULE_TYPES, 'AwsSolutions-S10': ['AWS::SQS::Queue'] };
    const full = findings(new AwsSolutionsChecks(), zoo());
    const mutated = findings(new ScopedAwsSolutionsChecks(undefined, wrong), zoo());
    assert.ok(full.includes('AwsSolutions-S10 Zoo/Bucket'));
    assert.ok(!mutated.includes('AwsSolutions-S10 Zoo/Bucket'));
    assert.notDeepEqual(mutated, full);
  });

  test('with another cdk-nag installed than the table was read from, every rule runs on every resource', () => {
    const installed = (JSON.parse(readFileSync(require.resolve('cdk-nag/package.json'), 'utf8')) as { version: string }).version;
    assert.equal(nagRuleTable(installed), NAG_RULE_TYPES);
    assert.equal(nagRuleTable('3.0.3'), null);
    const unscoped = new ScopedAwsSolutionsChecks(undefined, nagRuleTable('3.0.3'));
    const params = { ruleSuffixOverride: 'S10', rule: () => NagRuleCompliance.NOT_APPLICABLE, node: new sqs.CfnQueue(new Stack(), 'Q') };
    assert.equal(unscoped.skips(params), false);
    assert.equal(new ScopedAwsSolutionsChecks().skips(params), true);
  });

  test('a rule is known by its id, not by its function name (which a bundle of cdk-nag loses)', () => {
    const node = new sqs.CfnQueue(new Stack(), 'Q');
    const named = (name: string) => Object.defineProperty(() => NagRuleCompliance.NOT_APPLICABLE, 'name', { value: name });
    const scoped = new ScopedAwsSolutionsChecks();
    assert.equal(scoped.skips({ ruleSuffixOverride: 'S10', rule: named('app'), node }), true);
    assert.equal(scoped.skips({ ruleSuffixOverride: 'SQS4', rule: named('app'), node }), false);
    // An id the table does not list runs everywhere.
    assert.equal(scoped.skips({ ruleSuffixOverride: 'NEW1', rule: named('S3BucketSSLRequestsOnly'), node }), false);
  });

  test('what the scope saves: a synth of the deployment, cdk-nag included, loads no module of a service it does not use', () => {
    // A fresh process, as `npm run synth` is (this one has loaded every service above).
    const out = mkdtempSync(join(tmpdir(), 'nag-scope-synth-'));
    try {
      const script = [
        "const { App } = require('aws-cdk-lib');",
        "const { buildApp } = require('./src/app.ts');",
        "const { loadConfigFile } = require('./src/config/index.ts');",
        "const loaded = loadConfigFile('jenkins-ecs.yaml');",
        `const app = new App({ outdir: ${JSON.stringify(out)}, builtinCloudFormationValidation: false });`,
        `buildApp(loaded.config, { app, env: ${JSON.stringify(ENV)} });`,
        'app.synth();',
        "const services = new Set(Object.keys(require.cache).map((f) => /aws-cdk-lib\\/(aws-[a-z0-9-]+)\\/lib\\//.exec(f)?.[1]).filter(Boolean));",
        'process.stdout.write(JSON.stringify([...services].sort()));',
      ].join('\n');
      const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: PROJECT_ROOT, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const services = JSON.parse(r.stdout) as string[];
      assert.ok(services.includes('aws-ecs') && services.includes('aws-lambda'), services.join(' '));
      for (const unused of ['aws-quicksight', 'aws-sagemaker', 'aws-msk', 'aws-glue', 'aws-rds', 'aws-cognito']) {
        assert.ok(!services.includes(unused), `${unused} loaded: ${services.join(' ')}`);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test('bundled as scripts/synth.mjs bundles the app (cdk-nag inside, rule names lost), the scope still holds: the finding fails the synth, unused services stay unloaded', () => {
    const work = mkdtempSync(join(PROJECT_ROOT, 'node_modules', '.cache', 'nag-bundle-test-'));
    try {
      const outfile = join(work, 'app.js');
      const entry = join(PROJECT_ROOT, 'test', 'constructs', 'fixtures', 'nag-bundled-app.ts');
      const build = [
        "import { createRequire } from 'node:module';",
        "import { appBuildOptions } from './scripts/synth.mjs';",
        "const { buildSync } = createRequire(import.meta.url)('esbuild');",
        `buildSync({ ...appBuildOptions(${JSON.stringify(entry)}, ${JSON.stringify(outfile)}), write: true });`,
      ].join('\n');
      const b = spawnSync(process.execPath, ['--input-type=module', '-e', build], { cwd: PROJECT_ROOT, encoding: 'utf8' });
      assert.equal(b.status, 0, b.stderr);
      const r = spawnSync(process.execPath, [outfile, join(work, 'out')], { cwd: PROJECT_ROOT, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const got = JSON.parse(r.stdout) as { report: string; nagFromNodeModules: boolean; services: string[] };
      assert.match(got.report, /AwsSolutions-S10/);
      assert.match(got.report, /S\/Plain\/Resource/);
      assert.equal(got.nagFromNodeModules, false, 'cdk-nag was loaded from node_modules, not from the bundle');
      assert.ok(got.services.includes('aws-s3'), got.services.join(' '));
      for (const unused of ['aws-quicksight', 'aws-sagemaker', 'aws-msk']) assert.ok(!got.services.includes(unused), `${unused} loaded: ${got.services.join(' ')}`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
