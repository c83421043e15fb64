/**
 * The deployment as IAM sees it, read from one synthesized example: the principals (with their
 * policies as CloudFormation would create them) and the ARNs real calls name.
 */
import { planAgentClouds } from '../../src/config/agents-casc.js';
import { deploymentNames, type DeploymentNames } from '../../src/config/names.js';
import type { JenkinsEcsConfig } from '../../src/config/types.js';
import { KEEPER_ENV, RECONCILER_ENV } from '../../src/continuity/settings.js';
import { ACCOUNT, type SynthesizedExample } from '../examples/synth.js';
import { findPolicies, policiesOfRole, type FoundPolicy, type PolicyDocument } from './policies.js';
import type { SimPolicies } from './simulate.js';
import { TemplateResolver, type CfnTemplate, type Env } from './template.js';

/** Who makes calls. The keeper and the amazon-ecs plugin both run as the controller task role. */
export type PrincipalName = 'keeper' | 'plugin' | 'reconciler' | 'launch' | 'operator' | 'infrastructure' | 'migration';

export interface Principal {
  readonly arn: string;
  readonly policies: SimPolicies;
}

export interface AgentTemplateArns {
  readonly label: string;
  readonly family: string;
  readonly taskRoleArn: string;
}

export interface IamWorld {
  readonly file: string;
  readonly env: Env;
  readonly config: JenkinsEcsConfig;
  readonly names: DeploymentNames;
  readonly clusterArn: string;
  readonly serviceArn: string;
  readonly controllerRoleArn: string;
  readonly infrastructureRoleArn: string;
  readonly agentExecutionRoleArn?: string;
  readonly agents: readonly AgentTemplateArns[];
  /** The migration task's roles and log group (RunTask passes the roles), with `migration` in the config. */
  readonly migrationTask?: { readonly taskRoleArn: string; readonly executionRoleArn: string; readonly logGroup: string };
  /** Log group the reconciler Lambda writes to (its LoggingConfig), when there is a reconciler. */
  readonly reconcilerLogGroup?: string;
  /** Log group the LaunchSnapshot handlers write to, when there are any. */
  readonly launchLogGroup?: string;
  /** `controller.home.kmsKeyArn`, when the home uses a customer key. */
  readonly kmsKeyArn?: string;
  /** The handoff bucket, as the keeper container's JENKINS_ECS_HANDOFF_BUCKET names it, with home continuity. */
  readonly handoffBucket?: string;
  /** The handoff bucket's own policy (enforceSSL), which S3 evaluates with every request on it. */
  readonly handoffBucketPolicy?: PolicyDocument;
  readonly principals: Readonly<Record<PrincipalName, Principal | undefined>>;
  /** Every policy of every stack, for the reference checks. */
  readonly policies: readonly FoundPolicy[];
  arn(service: string, resource: string, opts?: { account?: string }): string;
}

/**
 * The key policy the README asks for with `controller.home.kmsKeyArn` (the default key policy:
 * the account's IAM policies decide). The infrastructure role's KMS path is simulated against it.
 */
export function defaultKeyPolicy(env: Env): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:${env.partition}:iam::${env.account}:root` }, Action: 'kms:*', Resource: '*' }],
  };
}

interface Located {
  readonly r: TemplateResolver;
  readonly stack: string;
  readonly id: string;
}

export function worldOf(example: SynthesizedExample): IamWorld {
  const env: Env = { account: ACCOUNT, region: example.region, partition: 'aws' };
  const names = deploymentNames(example.config.name);
  const stacks = example.stacks.map((s) => ({ stack: s.stackName, r: new TemplateResolver(s.template as CfnTemplate, env) }));
  const policies = stacks.flatMap((s) => findPolicies(s.r, s.stack));
  const find = (type: string, pred: (props: Record<string, unknown>, r: TemplateResolver) => boolean): Located[] =>
    stacks.flatMap(({ r, stack }) => r.ofType(type).filter(([, res]) => pred(res.Properties ?? {}, r)).map(([id]) => ({ r, stack, id })));
  const one = (what: string, found: Located[]): Located => {
    if (found.length !== 1) throw new Error(`${example.file}: expected exactly one ${what}, found ${found.length}`);
    return found[0] as Located;
  };
  const roleArn = (l: Located, prop: unknown): string => l.r.resolveString(prop);
  const roleId = (prop: unknown): string => {
    const id = TemplateResolver.referencedId(prop);
    if (!id) throw new Error(`${example.file}: role reference ${JSON.stringify(prop)} is not a Ref/GetAtt`);
    return id;
  };
  const principalOfRole = (l: Located, id: string, resource?: PolicyDocument): Principal => ({
    arn: l.r.resolveString({ 'Fn::GetAtt': [id, 'Arn'] }),
    policies: {
      identity: policiesOfRole(
        policies.filter((p) => p.name.startsWith(`${l.stack}/`)),
        id,
      ).map((p) => ({ name: p.name, document: p.document })),
      ...(resource ? { resource } : {}),
    },
  });

  const taskDef = one(`task definition of family ${names.service}`, find('AWS::ECS::TaskDefinition', (p) => p.Family === names.service));
  const taskDefProps = taskDef.r.resources[taskDef.id]?.Properties ?? {};
  const controllerRoleId = roleId(taskDefProps.TaskRoleArn);
  const kmsKeyArn = example.config.controller.home.kmsKeyArn;
  // The keeper's KMS calls (via S3, for the handoff bucket) are evaluated against the key policy too.
  const controller = principalOfRole(taskDef, controllerRoleId, kmsKeyArn ? defaultKeyPolicy(env) : undefined);
  // The bucket the keeper is told to use: the simulated S3 calls name exactly this one.
  const containerEnv = (taskDefProps.ContainerDefinitions as { Environment?: { Name: string; Value: unknown }[] }[] | undefined) ?? [];
  const handoffValue = containerEnv.flatMap((c) => c.Environment ?? []).find((e) => e.Name === KEEPER_ENV.handoffBucket)?.Value;
  const handoffBucket = handoffValue === undefined ? undefined : taskDef.r.resolveString(handoffValue);
  const bucketPolicies = find('AWS::S3::BucketPolicy', (p, r) => handoffBucket !== undefined && r.resolve(p.Bucket) === handoffBucket);
  const handoffBucketPolicy = bucketPolicies[0] ? (bucketPolicies[0].r.resolve(bucketPolicies[0].r.resources[bucketPolicies[0].id]?.Properties?.PolicyDocument) as PolicyDocument) : undefined;

  const service = one(`service ${names.service}`, find('AWS::ECS::Service', (p) => p.ServiceName === names.service));
  const serviceProps = service.r.resources[service.id]?.Properties ?? {};
  const volumeConfigs = serviceProps.VolumeConfigurations as { ManagedEBSVolume: { RoleArn?: unknown } }[];
  // With home continuity the volume settings come from the LaunchSnapshot custom resource
  // (GetAtt); its own ManagedEBSVolume property holds the static settings, RoleArn included.
  const managed = volumeConfigs[0]?.ManagedEBSVolume;
  const launchId = managed?.RoleArn === undefined ? TemplateResolver.referencedId(managed) : undefined;
  const launchProps = launchId ? (service.r.resources[launchId]?.Properties ?? {}) : undefined;
  const infraRoleProp = launchProps ? (launchProps.ManagedEBSVolume as { RoleArn?: unknown } | undefined)?.RoleArn : managed?.RoleArn;
  const infrastructureRoleId = roleId(infraRoleProp);

  const migrationTaskDefs = find('AWS::ECS::TaskDefinition', (p) => p.Family === names.migrationTask);
  const migrationTaskDef = migrationTaskDefs[0];

  const reconcilers = find('AWS::Lambda::Function', (p) => {
    const vars = (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    return RECONCILER_ENV.lineage in vars;
  });
  const reconciler = reconcilers[0];
  // The LaunchSnapshot custom resource's own handlers (NodejsFunction bundles them as index.js);
  // the Provider framework's functions are `framework.*`.
  const launchFns = find('AWS::Lambda::Function', (p) => p.Handler === 'index.isComplete');
  const launch = launchFns[0];
  const logGroupOf = (l: Located | undefined): string | undefined => {
    const cfg = l?.r.resources[l.id]?.Properties?.LoggingConfig as { LogGroup?: unknown } | undefined;
    return l === undefined || cfg?.LogGroup === undefined ? undefined : l.r.resolveString(cfg.LogGroup);
  };

  const operatorOutputs = stacks.flatMap(({ r, stack }) =>
    Object.values(r.template.Outputs ?? {}).flatMap((o) => {
      const id = TemplateResolver.referencedId(o.Value);
      return id && r.resources[id]?.Type === 'AWS::IAM::ManagedPolicy' ? [{ r, stack, id }] : [];
    }),
  );
  // The operator attaches every managed policy the outputs name (OperatorPolicyArn, and
  // MigrationOperatorPolicyArn with `migration`).
  const operatorPolicies = operatorOutputs.flatMap((o) => policies.filter((p) => p.name === `${o.stack}/${o.id}`));

  // The stack defines each agent task definition (JenkinsAgents); its roles are the ones RunTask passes.
  const agentDefs = planAgentClouds(example.config.name, example.config.agents).map((c) => {
    const td = one(`agent task definition of family ${c.family}`, find('AWS::ECS::TaskDefinition', (p) => p.Family === c.family));
    const props = td.r.resources[td.id]?.Properties ?? {};
    return { label: c.agent.label, family: c.family, taskRoleArn: roleArn(td, props.TaskRoleArn), executionRoleArn: roleArn(td, props.ExecutionRoleArn) };
  });
  const agents = agentDefs.map(({ label, family, taskRoleArn }) => ({ label, family, taskRoleArn }));

  const migrationProps = migrationTaskDef ? (migrationTaskDef.r.resources[migrationTaskDef.id]?.Properties ?? {}) : undefined;
  const migrationLog = (migrationProps?.ContainerDefinitions as { LogConfiguration?: { Options?: Record<string, unknown> } }[] | undefined)?.[0]?.LogConfiguration?.Options?.['awslogs-group'];
  const arn = (svc: string, resource: string, opts: { account?: string } = {}): string =>
    `arn:${env.partition}:${svc}:${env.region}:${opts.account ?? env.account}:${resource}`;
  return {
    file: example.file,
    env,
    config: example.config,
    names,
    clusterArn: service.r.resolveString({ 'Fn::GetAtt': [TemplateResolver.referencedId(serviceProps.Cluster) ?? '', 'Arn'] }),
    serviceArn: service.r.resolveString({ Ref: service.id }),
    controllerRoleArn: controller.arn,
    infrastructureRoleArn: roleArn(service, infraRoleProp),
    agentExecutionRoleArn: agentDefs[0]?.executionRoleArn,
    agents,
    kmsKeyArn,
    handoffBucket,
    handoffBucketPolicy,
    ...(migrationTaskDef && migrationProps
      ? {
          migrationTask: {
            taskRoleArn: roleArn(migrationTaskDef, migrationProps.TaskRoleArn),
            executionRoleArn: roleArn(migrationTaskDef, migrationProps.ExecutionRoleArn),
            logGroup: migrationTaskDef.r.resolveString(migrationLog),
          },
        }
      : {}),
    reconcilerLogGroup: logGroupOf(reconciler),
    launchLogGroup: logGroupOf(launch),
    policies,
    principals: {
      keeper: controller,
      plugin: controller,
      reconciler: reconciler
        ? principalOfRole(reconciler, roleId(reconciler.r.resources[reconciler.id]?.Properties?.Role))
        : undefined,
      launch: launch ? principalOfRole(launch, roleId(launch.r.resources[launch.id]?.Properties?.Role)) : undefined,
      operator:
        operatorPolicies.length > 0
          ? {
              arn: `arn:${env.partition}:iam::${env.account}:role/jenkins-ecs-operator`,
              policies: { identity: operatorPolicies.map((p) => ({ name: p.name, document: p.document })), ...(kmsKeyArn ? { resource: defaultKeyPolicy(env) } : {}) },
            }
          : undefined,
      infrastructure: principalOfRole(service, infrastructureRoleId, kmsKeyArn ? defaultKeyPolicy(env) : undefined),
      migration: migrationTaskDef
        ? principalOfRole(migrationTaskDef, roleId(migrationTaskDef.r.resources[migrationTaskDef.id]?.Properties?.TaskRoleArn))
        : undefined,
    },
    arn,
  };
}
