/** The throwaway deployment config the e2e run deploys and destroys. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { JenkinsOutputKey } from '../../src/constructs/jenkins-on-fargate.js';

/** `e2e-` and 6 random lowercase letters/digits: a valid `name` (^[a-z][a-z0-9-]{1,30}$) per run. */
export function e2eName(random: (n: number) => Buffer = randomBytes): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const suffix = [...random(6)].map((b) => alphabet[b % alphabet.length]).join('');
  return `e2e-${suffix}`;
}

export interface E2eConfigOptions {
  readonly name: string;
  /** @default - the CDK/SDK region chain */
  readonly region?: string;
  /** Who may reach the ALB. @default - the project default (0.0.0.0/0) */
  readonly allowedCidrs?: readonly string[];
}

/**
 * The smallest deployment that exercises the continuity protocol: default controller, a small
 * home, the shortest snapshot interval, and no agent templates (agents play no part here).
 */
export function e2eConfig(options: E2eConfigOptions): Record<string, unknown> {
  return {
    name: options.name,
    ...(options.region ? { region: options.region } : {}),
    ...(options.allowedCidrs && options.allowedCidrs.length > 0 ? { access: { allowedCidrs: [...options.allowedCidrs] } } : {}),
    controller: {
      home: { sizeGiB: 20 },
      snapshots: { intervalMinutes: 5, keepLast: 12, keepDailyDays: 1 },
    },
    agents: [],
  };
}

export function e2eConfigYaml(options: E2eConfigOptions): string {
  return `# Throwaway config written by scripts/e2e-aws.ts; destroyed at the end of the run.\n${stringify(e2eConfig(options))}`;
}

/** Writes the config into a fresh temp directory; returns the directory and the file. */
export function writeTempConfig(options: E2eConfigOptions): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), `jenkins-ecs-${options.name}-`));
  const file = join(dir, 'jenkins-ecs.yaml');
  writeFileSync(file, e2eConfigYaml(options));
  return { dir, file };
}

/**
 * The value of an output of the main stack in a `cdk deploy --outputs-file` document. The keys are
 * the construct's fixed output keys (`Url`, `AdminSecretArn`, …; see JENKINS_OUTPUT_KEYS).
 */
export function stackOutput(outputs: unknown, stack: string, key: JenkinsOutputKey): string | undefined {
  if (typeof outputs !== 'object' || outputs === null) return undefined;
  const forStack = (outputs as Record<string, unknown>)[stack];
  if (typeof forStack !== 'object' || forStack === null) return undefined;
  const value = (forStack as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}

export interface Retained {
  readonly logGroups: readonly string[];
  readonly buckets: readonly string[];
}

/**
 * The resources of a stack that outlive `cdk destroy` by design (RETAIN: log groups, the ALB
 * access-log bucket), from `aws cloudformation list-stack-resources --output json`.
 */
export function retainedFrom(listStackResources: unknown): Retained {
  const rows = (listStackResources as { StackResourceSummaries?: { ResourceType?: string; PhysicalResourceId?: string }[] } | null)
    ?.StackResourceSummaries;
  const of = (type: string) =>
    (rows ?? []).filter((r) => r.ResourceType === type && r.PhysicalResourceId).map((r) => r.PhysicalResourceId as string);
  return { logGroups: of('AWS::Logs::LogGroup'), buckets: of('AWS::S3::Bucket') };
}
