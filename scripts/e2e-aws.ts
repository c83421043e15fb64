#!/usr/bin/env node
/**
 * `npm run e2e:aws [-- --yes] [--keep] [--region R] [--allowed-cidr CIDR] [--timeout-minutes M]`
 *
 * The opt-in real-AWS end-to-end run (docs/e2e.md). It deploys a throwaway deployment, writes a
 * marker into JENKINS_HOME, forces a restart, a crash (StopTask) and a restore, checks the
 * markers after each, and always destroys everything in the end (unless --keep). It never runs
 * in CI or against moto: see scripts/e2e/guard.ts.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ListClustersCommand, StopTaskCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { createClients, Ec2Adapter, type AwsClients } from '../src/aws/index.js';
import { defaultAwsFactory, mapAwsError, type CliAws, type Deployment } from '../src/cli/aws-context.js';
import { systemClock } from '../src/continuity/clock.js';
import { collectStatus } from '../src/cli/commands/status.js';
import { ConsoleIo, BufferIo, type Io } from '../src/cli/io.js';
import { main as cli } from '../src/cli/main.js';
import { deploymentNames } from '../src/config/names.js';
import type { Clock } from '../src/continuity/ports.js';
import { e2eName, retainedFrom, stackOutput, writeTempConfig, type Retained } from './e2e/config.js';
import { refusal } from './e2e/guard.js';
import { capture, commandWorks, onPath, runStreamed } from './e2e/proc.js';
import { StepAborted, Steps } from './e2e/steps.js';
import { PLAN, scenario, type ScenarioOps } from './e2e/scenario.js';
import { ExecTransport, jenkinsAnswers, readAdminSecret, ScriptConsoleTransport } from './e2e/transport.js';
import { waitFor } from './e2e/wait.js';

const USAGE = `usage: npm run e2e:aws -- [--yes] [--keep] [--region R] [--allowed-cidr CIDR]... [--timeout-minutes M]
  JENKINS_ECS_E2E=1 is required; CI must be unset; AWS_ENDPOINT_URL must not point at localhost/moto.
  --yes               do not ask before deploying
  --keep              leave the deployment, snapshots and pointer in place at the end (you clean up)
  --region R          AWS region (default: AWS_REGION / profile)
  --allowed-cidr C    who may reach the Jenkins ALB (default 0.0.0.0/0; repeatable)
  --timeout-minutes M how long each wait for the controller may take (default 30)`;

/** Approximate, us-east-1 list prices (docs/cost.md); see docs/e2e.md for the breakdown. */
const COST_LINE = 'about $0.20-0.25 per hour while deployed (Fargate 2 vCPU/4 GiB, ALB, one NAT gateway, 20 GiB gp3); a run takes 1-1.5 h';

interface Context {
  readonly name: string;
  readonly region: string;
  readonly configFile: string;
  readonly outputsFile: string;
  readonly exec: boolean;
  readonly clients: AwsClients;
  readonly deployment: Deployment;
  readonly timeoutMs: number;
  readonly env: Record<string, string | undefined>;
  readonly steps: Steps;
  /** The scenario's clock: its sleep rejects once Ctrl-C was pressed, so waits end promptly. */
  readonly clock: Clock;
}

async function accountId(env: Record<string, string | undefined>, awsCli: boolean): Promise<string> {
  if (awsCli) {
    const r = await capture('aws', ['sts', 'get-caller-identity', '--query', 'Account', '--output', 'text'], 30_000);
    if (r.code === 0 && /^\d{12}$/.test(r.stdout.trim())) return r.stdout.trim();
  }
  return env.CDK_DEFAULT_ACCOUNT ? `${env.CDK_DEFAULT_ACCOUNT} (from CDK_DEFAULT_ACCOUNT)` : 'unknown (no AWS CLI and no CDK_DEFAULT_ACCOUNT)';
}

function cdkArgs(ctx: Pick<Context, 'configFile' | 'exec'>): string[] {
  return ['-c', `config=${ctx.configFile}`, ...(ctx.exec ? ['-c', 'exec=true'] : [])];
}

/** Prints the CLI's lines indented, so in-process `jenkins-ecs` output reads as part of a step. */
class IndentIo implements Io {
  readonly interactive = false;
  out(line: string): void {
    process.stdout.write(`    | ${line}\n`);
  }
  err(line: string): void {
    process.stdout.write(`    | ${line}\n`);
  }
  progress(line: string): void {
    process.stdout.write(`    | ${line}\n`);
  }
  async confirm(): Promise<boolean> {
    return false;
  }
}

async function waitJenkins(ctx: Context, url: string): Promise<void> {
  await waitFor(
    `Jenkins at ${url}`,
    async () => {
      const r = await jenkinsAnswers(url);
      return { done: r.up, detail: r.detail, value: undefined };
    },
    { timeoutMs: ctx.timeoutMs, intervalMs: 15_000, clock: ctx.clock, onChange: (d) => ctx.steps.log(`   ${d}`) },
  );
}

/** The scenario's operations on real AWS: cdk, the SDK clients and the CLI in-process. */
function realOps(ctx: Context): ScenarioOps {
  const names = ctx.deployment.names;
  const cliArgs = ['--config', ctx.configFile, '--region', ctx.region];
  let status: Promise<CliAws> | undefined;
  return {
    async deploy() {
      const code = await runStreamed('npx', ['cdk', 'deploy', '--all', '--require-approval', 'never', '--outputs-file', ctx.outputsFile, ...cdkArgs(ctx)], '    cdk| ', ctx.env);
      if (code !== 0) throw new Error(`cdk deploy exited ${code}`);
      const outputs: unknown = JSON.parse(readFileSync(ctx.outputsFile, 'utf8'));
      return { url: stackOutput(outputs, names.stack, 'Url'), secretArn: stackOutput(outputs, names.stack, 'AdminSecretArn') };
    },
    async status() {
      status ??= Promise.resolve(defaultAwsFactory({ names, region: ctx.region, env: ctx.env }));
      return collectStatus(await status, ctx.deployment, 5, new Date());
    },
    async connect(outputs) {
      if (ctx.exec) return new ExecTransport(ctx.region, names.cluster, names.jenkinsContainer);
      if (!outputs.url || !outputs.secretArn) throw new Error(`outputs Url/AdminSecretArn of ${names.stack} not found in ${ctx.outputsFile}`);
      return new ScriptConsoleTransport(outputs.url, await readAdminSecret(ctx.region, outputs.secretArn));
    },
    async afterStart(outputs) {
      if (!ctx.exec && outputs.url) await waitJenkins(ctx, outputs.url);
    },
    async forceNewDeployment() {
      await ctx.clients.ecs.send(new UpdateServiceCommand({ cluster: names.cluster, service: names.service, forceNewDeployment: true }));
    },
    async stopTask(task) {
      await ctx.clients.ecs.send(new StopTaskCommand({ cluster: names.cluster, task, reason: 'jenkins-ecs e2e: simulated crash' }));
    },
    async snapshot() {
      const io = new BufferIo();
      const code = await cli(['snapshot', '--wait', '--json', ...cliArgs], { io, env: ctx.env });
      for (const l of io.stderr) ctx.steps.log(`   | ${l}`);
      if (code !== 0) throw new Error(`jenkins-ecs snapshot exited ${code}`);
      const doc = JSON.parse(io.stdout.join('\n')) as { snapshotId?: string; state?: string };
      if (!doc.snapshotId || doc.state !== 'completed') throw new Error(`unexpected snapshot result ${JSON.stringify(doc)}`);
      return doc.snapshotId;
    },
    async restore(snapshotId) {
      const code = await cli(['restore', snapshotId, '--yes', ...cliArgs], { io: new IndentIo(), env: ctx.env });
      if (code !== 0) throw new Error(`jenkins-ecs restore exited ${code}`);
    },
  };
}

/** Log groups and buckets of both stacks (read before destroying them, which keeps these). */
async function listRetained(ctx: Context): Promise<Retained> {
  const logGroups: string[] = [];
  const buckets: string[] = [];
  for (const stack of [ctx.deployment.names.stack, ctx.deployment.names.stateStack]) {
    const r = await capture('aws', ['cloudformation', 'list-stack-resources', '--region', ctx.region, '--stack-name', stack, '--output', 'json']);
    if (r.code !== 0) continue; // not deployed (yet)
    const found = retainedFrom(JSON.parse(r.stdout));
    logGroups.push(...found.logGroups);
    buckets.push(...found.buckets);
  }
  return { logGroups, buckets };
}

/**
 * `cdk destroy`, then what it leaves on purpose: the lineage's snapshots and the retained log
 * groups and access-log bucket.
 */
async function cleanup(ctx: Context): Promise<void> {
  const { steps, deployment } = ctx;
  const names = deployment.names;
  const retained = await listRetained(ctx).catch((): Retained => ({ logGroups: [], buckets: [] }));
  const destroyed = await steps
    .run('destroy', async () => {
      const code = await runStreamed('npx', ['cdk', 'destroy', '--all', '--force', ...cdkArgs(ctx)], '    cdk| ', ctx.env);
      if (code !== 0) throw new Error(`cdk destroy exited ${code}; see docs/e2e.md to finish by hand`);
      return true;
    })
    .catch(() => false);
  if (destroyed && retained.logGroups.length + retained.buckets.length > 0) {
    await steps
      .run('delete retained log groups and buckets', async () => {
        const failed: string[] = [];
        for (const g of retained.logGroups) {
          const r = await capture('aws', ['logs', 'delete-log-group', '--region', ctx.region, '--log-group-name', g]);
          if (r.code !== 0 && !/ResourceNotFound/.test(r.stderr)) failed.push(`log group ${g}`);
        }
        for (const b of retained.buckets) {
          const r = await capture('aws', ['s3', 'rb', `s3://${b}`, '--force', '--region', ctx.region], 600_000);
          if (r.code !== 0 && !/NoSuchBucket/.test(r.stderr)) failed.push(`bucket ${b}`);
        }
        if (failed.length > 0) throw new Error(`could not delete ${failed.join(', ')}`);
        return `${retained.logGroups.length} log group(s), ${retained.buckets.length} bucket(s)`;
      }, (d) => d)
      .catch(() => undefined);
  }
  await steps
    .run('delete lineage snapshots', async () => {
      const ec2 = new Ec2Adapter(ctx.clients.ec2);
      // The keeper's final snapshot on the way down may still be pending; wait for it to settle.
      const all = await waitFor(
        'pending snapshots of the lineage to settle',
        async () => {
          const lineage = await ec2.listLineage(names.lineage);
          const pending = lineage.filter((s) => s.state === 'pending').length;
          return { done: pending === 0, detail: `${lineage.length} snapshot(s), ${pending} pending`, value: lineage };
        },
        { timeoutMs: 30 * 60_000, intervalMs: 20_000, clock: systemClock, onChange: (d) => steps.log(`   ${d}`) },
      );
      for (const s of all) await ec2.deleteSnapshot(s.id);
      return all.length;
    }, (n) => `${n} deleted`)
    .catch(() => undefined);
}

export async function run(argv: readonly string[], env: Record<string, string | undefined>): Promise<number> {
  const why = refusal(env);
  if (why) {
    console.error(`e2e-aws: ${why}`);
    return 2;
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        yes: { type: 'boolean', short: 'y', default: false },
        keep: { type: 'boolean', default: false },
        region: { type: 'string' },
        'allowed-cidr': { type: 'string', multiple: true },
        'timeout-minutes': { type: 'string', default: '30' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    console.error(`e2e-aws: ${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const timeoutMinutes = Number(values['timeout-minutes']);
  if (!Number.isFinite(timeoutMinutes) || timeoutMinutes <= 0) {
    console.error(`e2e-aws: --timeout-minutes '${values['timeout-minutes']}' is not a positive number`);
    return 2;
  }

  const awsCli = commandWorks('aws');
  const sessionManager = commandWorks('session-manager-plugin', ['--version']);
  if (!awsCli) {
    console.error(
      'e2e-aws: the AWS CLI (`aws`) is needed to reach JENKINS_HOME: through ECS Exec (with the session-manager plugin) ' +
        'or, without it, to read the admin password for the script console; install AWS CLI v2 and retry',
    );
    return 2;
  }
  // Without a terminal on stdin the plugin needs `script` to lend it a pseudo-terminal.
  const terminal = Boolean(process.stdin.isTTY) || onPath('script');
  const exec = sessionManager && terminal;
  if (!exec) {
    console.log(
      `e2e-aws: ${sessionManager ? 'no terminal on stdin and no `script` command' : 'session-manager-plugin not found'}, so ECS Exec ` +
        'is unavailable (aws ecs execute-command needs the plugin and a terminal); using the Jenkins script console over the ALB ' +
        'instead (the ALB must admit this machine: see --allowed-cidr)',
    );
  }

  const clients = createClients({ region: values.region, env, maxAttempts: 5 });
  let region: string;
  try {
    region = values.region ?? (await clients.ecs.config.region());
    await clients.ecs.send(new ListClustersCommand({ maxResults: 1 }));
  } catch (e) {
    console.error(`e2e-aws: cannot use AWS: ${mapAwsError(e).message}`);
    return 2;
  }
  const account = await accountId(env, awsCli);
  const name = e2eName();
  console.log(`e2e-aws: account ${account}, region ${region}, deployment ${name}`);
  console.log(`e2e-aws: reaching JENKINS_HOME via ${exec ? 'ECS Exec (deployed with -c exec=true)' : 'the Jenkins script console'}`);
  console.log(`e2e-aws: cost ${COST_LINE}`);
  console.log(`e2e-aws: ${values.keep ? 'with --keep, everything stays deployed at the end' : 'everything is destroyed at the end, also on failure'}`);
  if (!values.yes && !(await new ConsoleIo().confirm(`deploy ${name} to account ${account}, region ${region}?`))) {
    console.error('e2e-aws: cancelled, nothing was deployed');
    return 1;
  }

  const { dir, file } = writeTempConfig({ name, region, allowedCidrs: values['allowed-cidr'] });
  const names = deploymentNames(name);
  const steps = new Steps();
  // Ctrl-C: stop the scenario but still run the cleanup below (a second Ctrl-C exits at once).
  let interrupted = false;
  let cleaningUp = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    if (!cleaningUp) steps.stop('interrupted by Ctrl-C');
    steps.log('interrupted: cleaning up (Ctrl-C again to exit now and clean up by hand, see docs/e2e.md)');
  };
  const clock: Clock = {
    now: () => new Date(),
    sleep: (ms) => (interrupted && !cleaningUp ? Promise.reject(new Error('interrupted by Ctrl-C')) : systemClock.sleep(ms)),
  };
  const childEnv = { ...env, AWS_REGION: region, CDK_DEFAULT_REGION: region };
  const ctx: Context = {
    name,
    region,
    configFile: file,
    outputsFile: join(dir, 'outputs.json'),
    exec,
    clients,
    deployment: { name, names, region, intervalMinutes: 5 },
    timeoutMs: timeoutMinutes * 60_000,
    env: childEnv,
    steps,
    clock,
  };
  steps.log(`config ${file}`);
  process.on('SIGINT', onSigint);
  try {
    await scenario(realOps(ctx), { name, steps, clock, timeoutMs: ctx.timeoutMs });
  } catch (e) {
    // Step failures are recorded already; anything else still has to fail the run.
    if (!(e instanceof StepAborted)) steps.fail('scenario', e);
  } finally {
    cleaningUp = true;
    steps.resume();
    const ran = new Set(steps.results.map((r) => r.name));
    for (const s of PLAN) if (!ran.has(s)) steps.skip(s, 'not reached');
    if (values.keep) {
      steps.log(`--keep: left ${names.stack}, ${names.stateStack} and the lineage '${names.lineage}' snapshots`);
      steps.log(`clean up with: npx cdk destroy --all --force -c config=${file}${exec ? ' -c exec=true' : ''} (then see docs/e2e.md)`);
    } else {
      await cleanup(ctx);
      rmSync(dir, { recursive: true, force: true });
    }
    process.off('SIGINT', onSigint);
  }
  console.log('');
  for (const line of steps.summary()) console.log(line);
  // A run that did not reach every step is not a pass, even if nothing it did reach failed.
  const incomplete = steps.results.some((r) => r.status === 'SKIP');
  return steps.failed || incomplete || interrupted ? 1 : 0;
}

// Run only as the entry point (tests import the helpers, never this module's side effects).
if (require.main === module) {
  run(process.argv.slice(2), process.env).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(`e2e-aws: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exitCode = 1;
    },
  );
}
