#!/usr/bin/env node
// CDK app entry: `npm run synth` or `npx cdk deploy --all -c config=PATH` (two stacks: state, then main).
// A bad config prints every issue and exits 1 before any template is written.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { App } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { buildApp, resolveConfigPath } from '../src/app.js';
import { formatIssues, loadConfigFile } from '../src/config/index.js';
import { JenkinsEcsConstructError } from '../src/constructs/errors.js';

/** Context the cdk CLI passes to the app (`-c key=value`, cdk.json, cdk.context.json). */
function cliContext(): Record<string, unknown> {
  const inline = process.env[cxapi.CONTEXT_ENV];
  const overflow = process.env[cxapi.CONTEXT_OVERFLOW_LOCATION_ENV];
  const fromFile = overflow ? (JSON.parse(readFileSync(overflow, 'utf8')) as Record<string, unknown>) : {};
  return { ...(inline ? (JSON.parse(inline) as Record<string, unknown>) : {}), ...fromFile };
}

function main(): number {
  // The App is created only once the config is valid: under the cdk CLI an App synthesizes
  // itself on exit, and it creates its output folder, so a bad config must never reach it.
  const configPath = resolveConfigPath({
    context: cliContext().config,
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
  // Outside the cdk CLI, write to ./cdk.out like `cdk synth` would (App's default is a temp dir).
  // No auto-synth on exit: a construct error must not leave a half-built assembly behind.
  //
  // aws-cdk-lib's built-in CloudFormation validation (App.builtinCloudFormationValidation; a
  // WebAssembly schema validator that only warns) is about half of a synth. It stays on under the
  // cdk CLI (`cdk deploy`/`diff`/`synth`, which pass CDK_OUTDIR; `--no-validation` turns it off
  // there), so the templates of your own config are checked before CloudFormation sees them.
  // `npm run synth` runs without it: the equivalent check, cfn-lint over the templates of every
  // example, runs in `npm test` (test/examples/examples.test.ts), which also sets CDK_VALIDATION=false.
  const underCdkCli = process.env.CDK_OUTDIR !== undefined;
  const app = new App({
    outdir: underCdkCli ? undefined : 'cdk.out',
    autoSynth: false,
    ...(underCdkCli ? {} : { builtinCloudFormationValidation: false }),
  });
  try {
    // `-c exec=true` allows `aws ecs execute-command` into the controller (scripts/e2e-aws.ts uses it).
    const exec: unknown = app.node.tryGetContext('exec');
    buildApp(result.config, { app, enableExecuteCommand: exec === true || exec === 'true' });
    const assembly = app.synth();
    const missing = assembly.manifest.missing ?? [];
    if (missing.length > 0 && !process.env.CDK_OUTDIR) {
      // Outside the cdk CLI nobody resolves lookups, and the templates hold placeholder values.
      console.error(
        `${configPath}: the templates need lookups (${missing.map((m) => m.provider).join(', ')}); ` +
          'run `npx cdk synth` (it resolves them with your credentials and caches them in cdk.context.json)',
      );
      return 1;
    }
    if (!process.env.CDK_OUTDIR) {
      // Run directly (npm run synth): say what was written; under the cdk CLI it reports itself.
      const templates = assembly.stacks.map((s) => `${assembly.directory}/${s.templateFile}`);
      console.error(`${configPath}: synthesized ${templates.length} stack(s), cdk-nag clean:`);
      for (const t of templates) console.error(`  ${relative(process.cwd(), t) || t}`);
    }
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
