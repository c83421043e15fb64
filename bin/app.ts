#!/usr/bin/env node
// CDK app entry: `npm run synth [-- -c config=PATH]` or `npx cdk deploy --all -c config=PATH`
// (two stacks: state, then main). A bad config prints every issue and exits 1 before any template
// is written. The assembly directory ends up holding the current config's templates only.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { App, type Environment } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { buildApp, resolveConfigPath } from '../src/app.js';
import { formatIssues, loadConfigFile, type JenkinsEcsConfig } from '../src/config/index.js';
import { JenkinsEcsConstructError } from '../src/constructs/errors.js';
import {
  cachedVpcAccounts,
  clearAssembly,
  parseSynthArgs,
  projectContext,
  pruneAssembly,
  SynthUsageError,
  vpcLookupHelp,
} from '../src/synth-cli.js';

/** Context the cdk CLI passes to the app (`-c key=value`, cdk.json, cdk.context.json). */
function cdkCliContext(): Record<string, unknown> {
  const inline = process.env[cxapi.CONTEXT_ENV];
  const overflow = process.env[cxapi.CONTEXT_OVERFLOW_LOCATION_ENV];
  const fromFile = overflow ? (JSON.parse(readFileSync(overflow, 'utf8')) as Record<string, unknown>) : {};
  return { ...(inline ? (JSON.parse(inline) as Record<string, unknown>) : {}), ...fromFile };
}

/**
 * The stacks' environment for a synth without the cdk CLI. An imported VPC needs the account its
 * lookup was cached for (the cdk CLI would take it from the credentials); undefined (after saying
 * how to fix it) when there is no cached lookup, so that nothing is synthesized with placeholders.
 */
function directEnv(config: JenkinsEcsConfig, context: Readonly<Record<string, unknown>>, configPath: string): Environment | undefined {
  const region = config.region ?? process.env.CDK_DEFAULT_REGION;
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  if (!config.vpc) return { account, region };
  const cached = region ? cachedVpcAccounts(context, config.vpc.id, region) : [];
  const chosen = account !== undefined ? cached.find((a) => a === account) : cached.length === 1 ? cached[0] : undefined;
  if (chosen === undefined) {
    console.error(`${configPath}: ${vpcLookupHelp(config.vpc.id, region, configPath)}`);
    return undefined;
  }
  return { account: chosen, region };
}

/** Where `npm run synth` writes, as `cdk synth` would. */
const DIRECT_OUTDIR = 'cdk.out';

function main(): number {
  const underCdkCli = process.env.CDK_OUTDIR !== undefined;
  let args;
  let context: Record<string, unknown>;
  try {
    args = parseSynthArgs(process.argv.slice(2), process.env);
    // Under the cdk CLI the context arrives in the environment; run directly, read what it would.
    context = underCdkCli ? cdkCliContext() : projectContext(process.cwd(), args.context);
  } catch (e) {
    if (!(e instanceof SynthUsageError)) throw e;
    console.error(`synth: ${e.message}`);
    return 2;
  }
  if (args.viaNpm) {
    // npm warns that it took --config for itself; say what still works once it stops doing so.
    console.error(`note: npm took --config for itself; using ${args.configFlag}. Write \`npm run synth -- --config ${args.configFlag}\` (npm's next major version will not pass it on)`);
  }
  // The App is created only once the config is valid: under the cdk CLI an App synthesizes
  // itself on exit, and it creates its output folder, so a bad config must never reach it.
  const configPath = resolveConfigPath({
    context: context.config,
    argv: args.configFlag !== undefined ? ['--config', args.configFlag] : [],
    env: process.env,
  });
  const result = loadConfigFile(configPath);
  for (const line of formatIssues(result.warnings)) console.error(line);
  if (!result.ok) {
    console.error(`${configPath}: ${result.errors.length} problem(s), nothing was synthesized:`);
    for (const line of formatIssues(result.errors)) console.error(`  ${line}`);
    if (!underCdkCli) clearAssembly(DIRECT_OUTDIR);
    return 1;
  }
  const env = underCdkCli ? undefined : directEnv(result.config, context, configPath);
  if (!underCdkCli && env === undefined) {
    clearAssembly(DIRECT_OUTDIR);
    return 1;
  }
  // Outside the cdk CLI, write to ./cdk.out like `cdk synth` would (App's default is a temp dir).
  // No auto-synth on exit: a construct error must not leave a half-built assembly behind.
  //
  // aws-cdk-lib's built-in CloudFormation validation (App.builtinCloudFormationValidation; a
  // WebAssembly schema validator that only warns) costs more than the rest of a synth. It stays on
  // under the cdk CLI (`cdk deploy`/`diff`/`synth`, which pass CDK_OUTDIR; `--no-validation` turns
  // it off there), so the templates of your own config are checked before CloudFormation sees
  // them. `npm run synth` runs without it, and so do the tests but one: the same validation runs
  // on every example in `npm test` (test/examples/examples.test.ts fails on any finding), next to
  // cfn-lint over the same templates.
  const app = new App({
    outdir: underCdkCli ? undefined : DIRECT_OUTDIR,
    autoSynth: false,
    ...(underCdkCli ? {} : { context, builtinCloudFormationValidation: false }),
  });
  try {
    // `-c exec=true` allows `aws ecs execute-command` into the controller (scripts/e2e-aws.ts uses it).
    const exec: unknown = app.node.tryGetContext('exec');
    buildApp(result.config, { app, env, enableExecuteCommand: exec === true || exec === 'true' });
    const assembly = app.synth();
    const missing = assembly.manifest.missing ?? [];
    if (missing.length > 0 && !underCdkCli) {
      // Outside the cdk CLI nobody resolves lookups, and the templates hold placeholder values.
      clearAssembly(assembly.directory);
      console.error(
        `${configPath}: the templates need lookups (${missing.map((m) => m.provider).join(', ')}) that cdk.context.json does not hold; ` +
          `run \`npx cdk synth -c config=${configPath}\` once with credentials (it caches them in cdk.context.json; commit it). Nothing was written to cdk.out.`,
      );
      return 1;
    }
    // Only this config's stacks: an earlier synth of another config leaves nothing behind.
    pruneAssembly(assembly.directory);
    if (!underCdkCli) {
      // Run directly (npm run synth): say what was written; under the cdk CLI it reports itself.
      const templates = assembly.stacks.map((s) => `${assembly.directory}/${s.templateFile}`);
      console.error(`${configPath}: synthesized ${templates.length} stack(s), cdk-nag clean:`);
      for (const t of templates) console.error(`  ${relative(process.cwd(), t) || t}`);
    }
  } catch (err) {
    if (!underCdkCli) clearAssembly(DIRECT_OUTDIR);
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
