#!/usr/bin/env node
// CDK app entry: `npm run synth` or `npx cdk deploy -c config=PATH`.
// A bad config prints every issue and exits 1 before any template is written.
import { App } from 'aws-cdk-lib';
import { buildApp, resolveConfigPath } from '../src/app.js';
import { formatIssues, loadConfigFile } from '../src/config/index.js';
import { JenkinsEcsConstructError } from '../src/constructs/errors.js';

function main(): number {
  // Creating the App writes nothing; it only reads the context the cdk CLI passes in.
  // Outside the cdk CLI, write to ./cdk.out like `cdk synth` would (App's default is a temp dir).
  const app = new App({ outdir: process.env.CDK_OUTDIR ? undefined : 'cdk.out' });
  const configPath = resolveConfigPath({
    context: app.node.tryGetContext('config'),
    argv: process.argv.slice(2),
    env: process.env,
  });
  const result = loadConfigFile(configPath);
  for (const line of formatIssues(result.warnings)) console.error(line);
  if (!result.ok) {
    console.error(`${configPath}: ${result.errors.length} problem(s), nothing was synthesized:`);
    for (const line of formatIssues(result.errors)) console.error(`  ${line}`);
    return 1;
  }
  try {
    buildApp(result.config, { app });
    app.synth();
  } catch (err) {
    if (err instanceof JenkinsEcsConstructError) {
      console.error(`${configPath}: ${err.message}`);
      return 1;
    }
    // cdk-nag findings and other synth failures arrive here with their full report.
    console.error(err instanceof Error ? err.message : String(err));
    return 1;
  }
  return process.exitCode === 1 ? 1 : 0;
}

process.exitCode = main();
