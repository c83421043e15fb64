// The LaunchSnapshot handler with the handover wired in, against the handover world model
// (test/continuity/handover-world.ts) as its ports: the events as the CDK Provider framework builds
// them (onEvent's answer merged into the event every isComplete retry receives:
// aws-cdk-lib custom-resources provider-framework/runtime/framework.js, createResponseEvent), the
// real onEvent/isComplete, and CloudFormation's service update from the resource's answer. moto has
// no pending snapshots and no EBS attachment in DescribeTasks, which the handover depends on.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isCompleteWith, onEventWith, type IsCompleteResult, type LaunchDeps, type LaunchEvent } from '../../src/launch/handler.js';
import { LAUNCH_PROPERTIES } from '../../src/launch/properties.js';
import { LAUNCH_POLL_MS } from '../../src/launch/timing.js';
import { CLUSTER, HandoverWorld, LINEAGE, SERVICE } from '../continuity/handover-world.js';

const VOLUME = { RoleArn: 'arn:aws:iam::123456789012:role/infra', Encrypted: 'true', SizeInGiB: '50', VolumeType: 'gp3', FilesystemType: 'xfs' };

function props(taskDefinition: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:provider',
    [LAUNCH_PROPERTIES.lineage]: LINEAGE,
    [LAUNCH_PROPERTIES.tableName]: 'jenkins-ecs-ci-lineage',
    [LAUNCH_PROPERTIES.cluster]: CLUSTER,
    [LAUNCH_PROPERTIES.service]: SERVICE,
    [LAUNCH_PROPERTIES.taskDefinition]: taskDefinition,
    [LAUNCH_PROPERTIES.managedEbsVolume]: VOLUME,
    ...extra,
  };
}

async function world(): Promise<{ w: HandoverWorld; deps: LaunchDeps; lines: string[] }> {
  const w = new HandoverWorld();
  await w.ready();
  const lines: string[] = [];
  return { w, lines, deps: { record: () => w.record, ec2: w.ec2, ecs: w.ecs, clock: w.clock, print: (l) => lines.push(l) } };
}

/** The Provider framework: onEvent, then isComplete every queryInterval until complete. */
async function provider(w: HandoverWorld, deps: LaunchDeps, request: LaunchEvent): Promise<{ result: IsCompleteResult; attempts: number }> {
  const answer = await w.drive(onEventWith(request, deps));
  const event: LaunchEvent = { ...request, ...answer };
  for (let attempts = 1; ; attempts++) {
    assert.ok(attempts < 200, 'completes within the framework attempts');
    const result = await w.drive(isCompleteWith(event, deps));
    if (result.IsComplete) return { result, attempts };
    await w.clock.runUntil(w.clock.ms + LAUNCH_POLL_MS);
  }
}

describe('LaunchSnapshot handler: the deploy handover', () => {
  test('a deploy that replaces the task: handover, then the service update starts one task from the final snapshot', async () => {
    const { w, deps, lines } = await world();
    const before = w.record.peek()!;
    const { result } = await provider(w, deps, { RequestType: 'Update', RequestId: 'req-1', ResourceProperties: props('jenkins:8'), OldResourceProperties: props('jenkins:7') });
    const r = w.record.peek()!;
    assert.equal(r.operation?.step, 'launching', 'kept until the one new task acquires');
    assert.equal(r.head?.kind, 'final');
    assert.notEqual(r.launch, before.launch);
    assert.deepEqual([result.Data?.Source, result.Data?.SnapshotId, result.Data?.ManagedEBSVolume.SnapshotId], ['launch', r.launch, r.launch]);
    assert.ok(r.snapshots.some((s) => s.kind === 'manual'), 'the pre-copy snapshot is in history');
    assert.ok(lines.some((l) => l.includes('"step":"pre-copy"')));
    await w.cloudFormationUpdate(result.Data!.SnapshotId, 'jenkins:8');
    const serving = await w.untilServing();
    assert.equal(serving?.snapshotId, r.launch);
    assert.equal(serving?.staleAtGate, false);
    assert.equal(w.startedSinceReady, 1, 'one task start');
    assert.equal(w.record.peek()!.operation, undefined, 'its acquire ended the handover');
    assert.deepEqual(w.violations, []);
  });

  test('a deploy that does not replace the task writes nothing and keeps the launch', async () => {
    const { w, deps } = await world();
    const before = w.record.peek()!;
    const { result } = await provider(w, deps, { RequestType: 'Update', RequestId: 'req-1', ResourceProperties: props('jenkins:7', { SeedSnapshotId: 'snap-0123456789abcdef0' }), OldResourceProperties: props('jenkins:7') });
    assert.deepEqual(w.record.peek(), before);
    assert.equal(result.Data?.SnapshotId, before.launch);
    assert.equal(w.desiredCount, 1);
  });

  test('a Delete (rollback) with the handover in progress finishes it with the service as starter', async () => {
    const { w, deps } = await world();
    const answer = await w.drive(onEventWith({ RequestType: 'Update', RequestId: 'req-1', ResourceProperties: props('jenkins:8'), OldResourceProperties: props('jenkins:7') }, deps));
    assert.equal(answer.Data?.HandoverId, 'req-1');
    const { result } = await provider(w, deps, { RequestType: 'Delete', RequestId: 'req-2', PhysicalResourceId: answer.PhysicalResourceId, ResourceProperties: props('jenkins:8') });
    assert.deepEqual(result, { IsComplete: true });
    assert.equal(w.record.peek()!.operation, undefined);
    const serving = await w.untilServing();
    assert.equal(serving?.snapshotId, w.record.peek()!.launch);
    assert.equal(w.startedSinceReady, 1);
  });

  test('a throttled isComplete answers "not yet" (the framework would fail the deploy on a throw); access denied still fails', async () => {
    const { w, deps, lines } = await world();
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const denied = Object.assign(new Error('not authorized to perform: dynamodb:GetItem'), { name: 'AccessDeniedException' });
    let fail: Error | undefined = throttled;
    const flaky: LaunchDeps = {
      ...deps,
      record: () => ({
        read: async (l) => {
          if (fail) throw fail;
          return w.record.read(l);
        },
        write: (n, e) => w.record.write(n, e),
      }),
    };
    const request: LaunchEvent = { RequestType: 'Update', RequestId: 'req-1', ResourceProperties: props('jenkins:8'), OldResourceProperties: props('jenkins:7') };
    fail = undefined;
    const answer = await w.drive(onEventWith(request, deps));
    fail = throttled;
    assert.deepEqual(await w.drive(isCompleteWith({ ...request, ...answer }, flaky)), { IsComplete: false });
    assert.ok(lines.some((l) => l.includes('transient AWS error') && l.includes('ThrottlingException')));
    fail = denied;
    await assert.rejects(w.drive(isCompleteWith({ ...request, ...answer }, flaky)), /not authorized/);
    // Once AWS answers again, the same event finishes the handover.
    fail = undefined;
    const { result } = await provider(w, deps, request);
    assert.equal(result.IsComplete, true);
  });

  test('a pending head is waited for inside one isComplete, up to its step budget', async () => {
    const { w, deps } = await world();
    const start = w.clock.ms;
    // No record launch and no service answer: the head decides; make it pending for a while.
    const pendingDeps: LaunchDeps = {
      ...deps,
      ecs: { ...w.ecs, describeService: async () => undefined },
      ec2: { ...w.ec2, describeSnapshot: async (id) => ({ ...(await w.ec2.describeSnapshot(id))!, state: w.clock.ms - start < 25_000 ? 'pending' : 'completed' }) },
    };
    const res = await w.drive(isCompleteWith({ RequestType: 'Create', ResourceProperties: props('jenkins:7') }, pendingDeps));
    assert.equal(res.IsComplete, true);
    assert.ok(w.clock.ms - start >= 25_000 && w.clock.ms - start <= 30_000, `answered within the budget (${w.clock.ms - start} ms)`);
  });
});
