// The LaunchSnapshot resource answers CloudFormation through the Provider framework, and
// CloudFormation refuses a custom resource response body over 4096 bytes ("Custom resource
// response objects": "The total size of the response body can't exceed 4096 bytes"). The answer
// carries the service's whole ManagedEBSVolume, so this test builds the largest answer the stack
// can produce and measures it:
// - the ManagedEBSVolume property comes from the synthesized template of the production example,
//   under the longest deployment name the config allows; every intrinsic in it is replaced by a
//   140-character string (longer than any ARN it resolves to: an IAM role ARN here is at most
//   26 + 12 + 64 characters);
// - the body has the fields the framework's cfn-response module sends (Status, Reason, StackId,
//   RequestId, PhysicalResourceId, LogicalResourceId, NoEcho, Data), each at its maximum length,
//   and Data holds what isComplete answers plus what onEvent may merge into it (a handover's id
//   and start time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { parse } from 'yaml';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/index.js';
import { launchVolume } from '../../src/continuity/launch.js';
import { physicalId } from '../../src/launch/handler.js';
import { parseLaunchProperties } from '../../src/launch/properties.js';

const LIMIT = 4096;
const ROOT = join(__dirname, '..', '..');

function resolveIntrinsics(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolveIntrinsics);
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) return 'x'.repeat(140);
  return Object.fromEntries(keys.map((k) => [k, resolveIntrinsics(obj[k])]));
}

test('the largest LaunchSnapshot answer fits the 4096-byte custom resource response limit', () => {
  const example = parse(readFileSync(join(ROOT, 'examples/production.yaml'), 'utf8')) as Record<string, unknown>;
  const name = `a${'b'.repeat(30)}`;
  const parsed = parseConfig({ ...example, name });
  assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.errors));
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'jenkins-ecs-launch-size-')) });
  const built = buildApp(parsed.config, { app, env: { account: '123456789012', region: 'us-east-1' } });
  const resources = Template.fromStack(built.stack).findResources('Custom::LaunchSnapshot');
  const [logicalId, resource] = Object.entries(resources)[0] ?? [];
  assert.ok(resource, 'the stack has no Custom::LaunchSnapshot');
  const props = parseLaunchProperties(resolveIntrinsics((resource as { Properties: Record<string, unknown> }).Properties) as Record<string, unknown>);
  assert.ok(Object.keys(props.managedEbsVolume).length >= 5, 'the ManagedEBSVolume property is there');

  const snapshotId = `snap-${'f'.repeat(17)}`;
  const uuid = '0f8fad5b-d9cb-469f-a165-70867728950e';
  const data = {
    ManagedEBSVolume: launchVolume(props.managedEbsVolume, { kind: 'ready', snapshotId, source: 'head', reason: 'the head has completed' }, 1000),
    SnapshotId: snapshotId,
    Source: 'head',
    HandoverId: uuid,
    HandoverBegunAt: String(Date.UTC(2099, 11, 31)),
  };
  const body = {
    Status: 'SUCCESS',
    Reason: 'SUCCESS',
    StackId: `arn:aws-us-gov:cloudformation:us-gov-west-1:123456789012:stack/${'s'.repeat(128)}/${uuid}`,
    RequestId: uuid,
    PhysicalResourceId: physicalId(props),
    LogicalResourceId: 'L'.repeat(Math.max(255, logicalId!.length)),
    NoEcho: false,
    Data: data,
  };
  const size = Buffer.byteLength(JSON.stringify(body));
  assert.ok(size <= LIMIT, `the response body is ${size} bytes, over CloudFormation's ${LIMIT}: ${JSON.stringify(body)}`);
  // The ManagedEBSVolume is the part that can grow (tags, new fields): keep a margin visible.
  assert.ok(size < LIMIT / 2, `the response body is ${size} bytes: more than half of the limit; check what grew`);
});
