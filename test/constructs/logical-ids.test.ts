// Logical ids of stateful resources are part of the contract: renaming a construct id replaces
// the resource (a new secret = new admin password, a new infrastructure role while tasks run,
// lost log history, a replaced service = a deleted home volume). If one of these tests fails,
// the change would replace a live resource: restore the construct id instead of updating the pin.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/index.js';

const KMS_KEY = 'arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d';

describe('pinned logical ids of the controller stack (config with a customer KMS key)', () => {
  const parsed = parseConfig({ name: 'ci', controller: { home: { kmsKeyArn: KMS_KEY } } });
  if (!parsed.ok) assert.fail(JSON.stringify(parsed.errors));
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'jenkins-ecs-ids-')) });
  // cdk-nag is covered by the other construct tests; this file only reads ids.
  const { stack, jenkins } = buildApp(parsed.config, { app, env: { account: '123456789012', region: 'us-east-1' }, nag: false });
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string }>;
  const c = jenkins.controller;
  const idOf = (construct: IConstruct) => stack.getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);

  const pins: Array<[string, () => IConstruct, string, string]> = [
    ['EBS infrastructure role', () => c.infrastructureRole, 'AWS::IAM::Role', 'JenkinsControllerInfrastructureRole6CB2EB09'],
    ['infrastructure role KMS policy', () => c.infrastructureRole.node.findChild('DefaultPolicy'), 'AWS::IAM::Policy', 'JenkinsControllerInfrastructureRoleDefaultPolicy99588417'],
    ['admin secret', () => jenkins.adminSecret, 'AWS::SecretsManager::Secret', 'JenkinsAdminSecret30465989'],
    ['controller log group', () => c.logGroup, 'AWS::Logs::LogGroup', 'JenkinsControllerLogGroup77F5DBCD'],
    ['VPC flow log group', () => jenkins.node.findChild('FlowLogGroup'), 'AWS::Logs::LogGroup', 'JenkinsFlowLogGroupADB21B41'],
    ['ALB access log bucket', () => jenkins.node.findChild('AccessLogBucket'), 'AWS::S3::Bucket', 'JenkinsAccessLogBucket815685C2'],
    // A replaced handoff bucket is a new, generated name: the retained old one would keep deltas nobody reads.
    ['handoff bucket', () => jenkins.continuity?.handoffBucket.bucket ?? assert.fail('no home continuity'), 'AWS::S3::Bucket', 'JenkinsHomeContinuityHandoffBucket7B96DFDA'],
    ['controller service', () => c.service, 'AWS::ECS::Service', 'JenkinsControllerServiceE87FC175'],
    ['controller task role', () => jenkins.controllerTaskRole, 'AWS::IAM::Role', 'JenkinsControllerTaskRole1D1A087F'],
    ['cluster', () => jenkins.cluster, 'AWS::ECS::Cluster', 'JenkinsClusterDB993125'],
    ['VPC', () => jenkins.vpc, 'AWS::EC2::VPC', 'JenkinsVpc93DF4452'],
  ];

  for (const [what, construct, type, pinned] of pins) {
    test(`${what} keeps logical id ${pinned}`, () => {
      assert.equal(idOf(construct()), pinned);
      assert.equal(resources[pinned]?.Type, type);
    });
  }
});
