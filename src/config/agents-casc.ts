/**
 * Renders the amazon-ecs plugin's JCasC `jenkins.clouds` fragment from `agents[]`.
 * Pure: deploy-time values (ARNs, subnet ids, URLs) appear only as `${VAR}` references, which
 * JCasC resolves from the controller container's environment at boot. The construct supplies
 * the values under the names in `AGENT_ENV` / `agentTaskRoleVar`.
 */
import { stringify } from 'yaml';
import { ECS_CLOUD_KEYS, ECS_CLOUD_NAME_PATTERN, ECS_TEMPLATE_ENTRY_KEYS, ECS_TEMPLATE_KEYS } from './amazon-ecs-keys.js';
import type { AgentConfig } from './types.js';

/** Environment variables the fragment references (shared by every cloud). */
export const AGENT_ENV = {
  clusterArn: 'AGENT_CLUSTER_ARN',
  region: 'AGENT_REGION',
  subnets: 'AGENT_SUBNETS',
  securityGroups: 'AGENT_SECURITY_GROUPS',
  jenkinsUrl: 'AGENT_JENKINS_URL',
} as const;

/** The inbound-agent image's work directory. */
export const AGENT_REMOTE_FS_ROOT = '/home/jenkins/agent';

/**
 * The stack defines each template's task definition (JenkinsAgents) in the family
 * `<cloud name>-agent`, the name the plugin itself would have registered, and hands the family to
 * the plugin as `taskDefinitionOverride`. The plugin then only looks the family up
 * (DescribeTaskDefinition: its latest ACTIVE revision) and runs it, so it never registers or
 * deregisters a revision (amazon-ecs 1.49 `ECSService.registerTemplate` / `removeTemplate`).
 */
export const AGENT_TEMPLATE_NAME = 'agent';

/** The agent container in the task definition; the plugin overrides its command with -url, secret and name. */
export const AGENT_CONTAINER_NAME = 'agent';

export class AgentsCascError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentsCascError';
  }
}

/** Everything derived from one `agents[]` entry. */
export interface AgentCloudPlan {
  readonly agent: AgentConfig;
  /** Jenkins cloud name: deployment-unique, so two deployments in one account never share a family. */
  readonly cloudName: string;
  /** ECS task definition family the stack defines for this template. */
  readonly family: string;
}

/** `build.large` → `build_large`: ECS families and cloud names allow letters, digits, `-`, `_`. */
export function labelSlug(label: string): string {
  return label.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** The label's upper-case variable form; labels that share one collide (config rule). */
export function agentTaskRoleVar(label: string): string {
  return `AGENT_TASK_ROLE_ARN_${label.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** One cloud per template: the plugin's `maxAgents` limit is a cloud setting, templates have none. */
export function planAgentClouds(deploymentName: string, agents: readonly AgentConfig[]): AgentCloudPlan[] {
  const plans = agents.map((agent) => {
    const cloudName = `jenkins-ecs-${deploymentName}-${labelSlug(agent.label)}`;
    if (!ECS_CLOUD_NAME_PATTERN.test(cloudName)) {
      throw new AgentsCascError(
        `agents label ${JSON.stringify(agent.label)} gives the cloud name ${JSON.stringify(cloudName)}, ` +
          `which the amazon-ecs plugin refuses (letters, digits, - and _, at most 127 characters); use a shorter label`,
      );
    }
    return { agent, cloudName, family: `${cloudName}-${AGENT_TEMPLATE_NAME}` };
  });
  const seen = new Map<string, string>();
  for (const p of plans) {
    for (const key of [`cloud:${p.cloudName}`, `env:${agentTaskRoleVar(p.agent.label)}`]) {
      const other = seen.get(key);
      if (other !== undefined) {
        throw new AgentsCascError(
          `agents labels ${JSON.stringify(other)} and ${JSON.stringify(p.agent.label)} map to the same ` +
            `${key.split(':')[0] === 'cloud' ? 'cloud name' : 'environment variable'} ${JSON.stringify(key.slice(key.indexOf(':') + 1))}; ` +
            `make the labels differ in more than punctuation`,
        );
      }
      seen.set(key, p.agent.label);
    }
  }
  return plans;
}

const ref = (name: string): string => `\${${name}}`;

function template(plan: AgentCloudPlan): Record<string, unknown> {
  const { agent } = plan;
  // Spot goes through a capacity provider strategy (the cluster must have FARGATE_SPOT); on-demand
  // uses the plain FARGATE launch type so it works on any cluster. The plugin treats a template as
  // Fargate when any strategy provider name contains FARGATE (`ECSTaskTemplate.isFargate`).
  const launch =
    agent.capacity === 'spot'
      ? { capacityProviderStrategies: [{ provider: 'FARGATE_SPOT', base: 0, weight: 1 }] }
      : { launchType: 'FARGATE' };
  // Image, size, roles, logging and JENKINS_WEB_SOCKET live in the task definition the stack
  // defines; with an override the plugin reads none of the template's container or size settings
  // (they feed only its register path). What it still reads goes here: the launch settings and
  // network of RunTask, and the agent's FS root. So a new agent image or size is a new task
  // definition revision, and the controller's JCasC, hence the controller task, stays as it is.
  return {
    templateName: AGENT_TEMPLATE_NAME,
    label: agent.label,
    taskDefinitionOverride: plan.family,
    agentContainerName: AGENT_CONTAINER_NAME,
    ...launch,
    networkMode: 'awsvpc',
    platformVersion: 'LATEST',
    operatingSystemFamily: 'LINUX',
    cpuArchitecture: 'X86_64',
    remoteFSRoot: AGENT_REMOTE_FS_ROOT,
    subnets: ref(AGENT_ENV.subnets),
    securityGroups: ref(AGENT_ENV.securityGroups),
    assignPublicIp: false,
  };
}

function cloud(plan: AgentCloudPlan): Record<string, unknown> {
  return {
    name: plan.cloudName,
    // Empty credentials: the plugin falls back to the default chain, i.e. the controller task role.
    credentialsId: '',
    cluster: ref(AGENT_ENV.clusterArn),
    regionName: ref(AGENT_ENV.region),
    jenkinsUrl: ref(AGENT_ENV.jenkinsUrl),
    // 0 breaks provisioning (plugin issues #291, #298); one build per agent task.
    numExecutors: 1,
    maxAgents: plan.agent.maxAgents,
    // Ephemeral: the agent task is stopped once its build is done.
    retainAgents: false,
    templates: [template(plan)],
  };
}

/** Keys outside the plugin's known set, as `clouds[0].templates[0].foo` paths; empty when clean. */
export function unknownPluginKeys(doc: unknown): string[] {
  const out: string[] = [];
  const clouds = (doc as { jenkins?: { clouds?: unknown } })?.jenkins?.clouds;
  if (!Array.isArray(clouds)) return ['jenkins.clouds (missing or not a list)'];
  clouds.forEach((entry: unknown, i) => {
    const ecs = (entry as { ecs?: unknown })?.ecs;
    if (ecs === null || typeof ecs !== 'object') {
      out.push(`clouds[${i}] (not an ecs cloud)`);
      return;
    }
    for (const [k, v] of Object.entries(ecs)) {
      if (!ECS_CLOUD_KEYS.has(k)) out.push(`clouds[${i}].${k}`);
      if (k !== 'templates') continue;
      (Array.isArray(v) ? v : []).forEach((t: unknown, j) => {
        for (const [tk, tv] of Object.entries(t as object)) {
          const path = `clouds[${i}].templates[${j}].${tk}`;
          if (!ECS_TEMPLATE_KEYS.has(tk)) out.push(path);
          const entryKeys = ECS_TEMPLATE_ENTRY_KEYS[tk];
          if (entryKeys && Array.isArray(tv)) {
            tv.forEach((e: unknown, n) => {
              for (const ek of Object.keys(e as object)) if (!entryKeys.has(ek)) out.push(`${path}[${n}].${ek}`);
            });
          }
        }
      });
    }
  });
  return out;
}

/** The names of every `${VAR}` reference in a JCasC text, sorted and unique. */
export function cascVariables(yamlText: string): string[] {
  const names = new Set<string>();
  for (const m of yamlText.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}/g)) names.add(m[1] as string);
  return [...names].sort();
}

/** The `jenkins.clouds` JCasC fragment: one amazon-ecs cloud per agent template. */
export function renderAgentsCasc(deploymentName: string, agents: readonly AgentConfig[]): string {
  const plans = planAgentClouds(deploymentName, agents);
  const doc = { jenkins: { clouds: plans.map((p) => ({ ecs: cloud(p) })) } };
  const unknown = unknownPluginKeys(doc);
  if (unknown.length > 0) throw new AgentsCascError(`rendered keys the amazon-ecs plugin does not know: ${unknown.join(', ')}`);
  return (
    '# Generated by jenkins-ecs from the config\'s agents[]: one amazon-ecs cloud per template.\n' +
    '# Variable references are filled from the controller container environment (JenkinsAgents construct).\n' +
    stringify(doc, { lineWidth: 0 })
  );
}
