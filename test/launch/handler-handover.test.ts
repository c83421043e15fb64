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
import { COMMIT_RETRY_DELAYS_MS, LAUNCH_LAMBDA_TIMEOUT_MS, LAUNCH_POLL_MS, ON_EVENT_RETRY_BUDGET_MS } from '../../src/launch/timing.js';
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

  test('onEvent retries a transient error beginning the handover (the framework would fail the deploy on a throw), then begins it once', async () => {
    const { w, deps, lines } = await world();
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    let calls = 0;
    const flaky: LaunchDeps = {
      ...deps,
      ecs: {
        ...w.ecs,
        describeService: async (c, s) => {
          calls++;
          if (calls <= 2) throw throttled;
          return w.ecs.describeService(c, s);
        },
      },
    };
    const request: LaunchEvent = { RequestType: 'Update', RequestId: 'req-1', ResourceProperties: props('jenkins:8'), OldResourceProperties: props('jenkins:7') };
    const start = w.clock.ms;
    const answer = await w.drive(onEventWith(request, flaky));
    assert.equal(calls, 3);
    assert.equal(w.clock.ms - start, 1_000 + 2_000, 'backed off 1 s, then 2 s');
    assert.deepEqual([answer.Data?.HandoverId, answer.Data?.HandoverStarter], ['req-1', 'cloudformation']);
    assert.equal(w.record.peek()!.operation?.id, 'req-1');
    assert.equal(lines.filter((l) => l.includes('retrying') && l.includes('ThrottlingException')).length, 2);
    const { result } = await provider(w, deps, request);
    assert.equal(result.IsComplete, true);
  });

  test('onEvent: a begin write that landed before its answer was lost is resumed under the same id and starter, not begun again', async () => {
    const { w, deps } = await world();
    const unavailable = Object.assign(new Error('Internal server error'), { name: 'InternalServerError' });
    // The first write lands, then DynamoDB fails every call for 20 s: longer than the commit's own retries.
    let failUntil: number | undefined;
    const record = {
      read: async (l: string) => {
        if (failUntil !== undefined && w.clock.ms < failUntil) throw unavailable;
        return w.record.read(l);
      },
      write: async (...a: Parameters<typeof w.record.write>) => {
        if (failUntil !== undefined && w.clock.ms < failUntil) throw unavailable;
        const res = await w.record.write(...a);
        if (failUntil === undefined) {
          failUntil = w.clock.ms + 20_000;
          throw unavailable;
        }
        return res;
      },
    };
    assert.ok(20_000 > COMMIT_RETRY_DELAYS_MS, 'the outage outlives one commit');
    const seq = w.record.peek()!.seq;
    // No RequestId: onEvent draws the operation id itself, once for all its attempts.
    const request: LaunchEvent = { RequestType: 'Update', ResourceProperties: props('jenkins:8'), OldResourceProperties: props('jenkins:7') };
    const answer = await w.drive(onEventWith(request, { ...deps, record: () => record }));
    const r = w.record.peek()!;
    // The same writes as an onEvent without the outage (the begin, and the pre-copy it starts).
    const clean = await world();
    const cleanSeq = clean.w.record.peek()!.seq;
    await clean.w.drive(onEventWith(request, clean.deps));
    assert.equal(r.seq - seq, clean.w.record.peek()!.seq - cleanSeq);
    assert.equal(r.snapshots.filter((x) => x.kind === 'manual').length, 1, 'one pre-copy');
    assert.equal(r.operation?.step, clean.w.record.peek()!.operation?.step);
    assert.equal(answer.Data?.HandoverId, r.operation?.id);
    assert.equal(answer.Data?.HandoverStarter, 'cloudformation', 'a forward deploy: CloudFormation starts the task');
    assert.equal(answer.Data?.HandoverBegunAt, String(r.operation?.seq));
  });

  test('onEvent gives up on a transient error after its retry budget, and fails at once on access denied', async () => {
    const { w, deps } = await world();
    let calls = 0;
    let error: Error = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const failing: LaunchDeps = {
      ...deps,
      ecs: {
        ...w.ecs,
        describeService: async () => {
          calls++;
          throw error;
        },
      },
    };
    const request: LaunchEvent = { RequestType: 'Update', RequestId: 'req-1', ResourceProperties: props('jenkins:8'), OldResourceProperties: props('jenkins:7') };
    const before = w.record.peek();
    const start = w.clock.ms;
    await assert.rejects(w.drive(onEventWith(request, failing)), { name: 'ThrottlingException' });
    assert.ok(calls > 3, `retried (${calls} attempts)`);
    assert.ok(w.clock.ms - start <= ON_EVENT_RETRY_BUDGET_MS, `within the budget (${w.clock.ms - start} ms)`);
    assert.ok(ON_EVENT_RETRY_BUDGET_MS + COMMIT_RETRY_DELAYS_MS < LAUNCH_LAMBDA_TIMEOUT_MS, 'the last attempt ends inside the Lambda timeout');
    assert.deepEqual(w.record.peek(), before, 'nothing begun');
    calls = 0;
    error = Object.assign(new Error('not authorized to perform: ecs:DescribeServices'), { name: 'AccessDeniedException' });
    await assert.rejects(w.drive(onEventWith(request, failing)), /not authorized/);
    assert.equal(calls, 1, 'no retry');
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
