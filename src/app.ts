import { App, Stack, Tags, type Environment } from 'aws-cdk-lib';
import { CONFIG_ENV, DEFAULT_CONFIG_FILE } from './cli/args.js';
import { deploymentNames, type DeploymentNames } from './config/names.js';
import type { JenkinsEcsConfig } from './config/types.js';
import { JenkinsOnFargate } from './constructs/jenkins-on-fargate.js';
import { JenkinsState } from './constructs/jenkins-state.js';
import { addNagChecks } from './nag.js';

/** Config file used when nothing else names one (the CLI's DEFAULT_CONFIG_FILE). */
export const DEFAULT_CONFIG_PATH = DEFAULT_CONFIG_FILE;

export interface ConfigPathSources {
  /** `-c config=PATH` (the cdk CLI passes it as app context). */
  readonly context?: unknown;
  /** Process arguments after the script name; `--config PATH` or `--config=PATH`. */
  readonly argv?: readonly string[];
  /** Process environment; `JENKINS_ECS_CONFIG`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Where the config comes from, first match wins: context, `--config`, env, default. */
export function resolveConfigPath(sources: ConfigPathSources): string {
  if (typeof sources.context === 'string' && sources.context !== '') return sources.context;
  const argv = sources.argv ?? [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--config' && argv[i + 1]) return argv[i + 1] as string;
    if (arg?.startsWith('--config=') && arg.length > '--config='.length) return arg.slice('--config='.length);
  }
  const fromEnv = sources.env?.[CONFIG_ENV];
  if (fromEnv) return fromEnv;
  return DEFAULT_CONFIG_PATH;
}

export interface BuildAppOptions {
  /**
   * App to add the stacks to.
   * @default - a new App (reads context and outdir from the cdk CLI environment)
   */
  readonly app?: App;
  /**
   * Account and region of the stacks.
   * @default - CDK_DEFAULT_ACCOUNT, and `config.region` or CDK_DEFAULT_REGION
   */
  readonly env?: Environment;
  /**
   * Allow `aws ecs execute-command` into the controller.
   * @default false
   */
  readonly enableExecuteCommand?: boolean;
  /**
   * Run the cdk-nag AwsSolutions checks during synth.
   * @default true
   */
  readonly nag?: boolean;
  /**
   * Add the home-continuity machinery and its state stack (see JenkinsOnFargateProps.homeContinuity).
   * Turning it off leaves a home that silently goes back in time on every restart: tests only.
   * @default true
   */
  readonly homeContinuity?: boolean;
}

export interface JenkinsEcsApp {
  readonly app: App;
  readonly names: DeploymentNames;
  /** The main deployment stack. */
  readonly stack: Stack;
  /** The state stack holding the lineage record table, with home continuity; deployed before `stack`. */
  readonly stateStack?: JenkinsState;
  readonly jenkins: JenkinsOnFargate;
}

/** The CDK app for one validated config: the deployment stack (and its companions). */
export function buildApp(config: JenkinsEcsConfig, options: BuildAppOptions = {}): JenkinsEcsApp {
  const app = options.app ?? new App();
  const names = deploymentNames(config.name);
  const env: Environment = options.env ?? {
    account: process.env.CDK_DEFAULT_ACCOUNT,
    region: config.region ?? process.env.CDK_DEFAULT_REGION,
  };
  // The record table must exist before the main stack's LaunchSnapshot reads it.
  const homeContinuity = options.homeContinuity ?? true;
  const stateStack = homeContinuity
    ? new JenkinsState(app, names.stateStack, { deploymentName: config.name, env })
    : undefined;
  const stack = new Stack(app, names.stack, {
    stackName: names.stack,
    env,
    description: `jenkins-ecs ${config.name}: Jenkins controller on ECS Fargate with a durable EBS home`,
  });
  // Listeners are left out: the CloudFormation schema cfn-lint checks against has no Tags there.
  Tags.of(stack).add('jenkins-ecs:deployment', config.name, {
    excludeResourceTypes: ['AWS::ElasticLoadBalancingV2::Listener'],
  });
  const jenkins = new JenkinsOnFargate(stack, 'Jenkins', {
    config,
    enableExecuteCommand: options.enableExecuteCommand,
    homeContinuity,
  });
  if (stateStack) stack.addStackDependency(stateStack);
  if (options.nag ?? true) addNagChecks(app);
  return { app, names, stack, stateStack, jenkins };
}
