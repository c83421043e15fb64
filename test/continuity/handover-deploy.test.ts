// The handover inside `cdk deploy` (src/continuity/handover-deploy.ts): onEvent begins it only
// when the deploy replaces the task, isComplete polls drive it under a budget, CloudFormation's
// service update then starts the one task from `launch`; a Delete (rollback) finishes a handover
// left in progress with the service as the starter. Driven against the handover world model.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { beginDeployHandover, pollDeployHandover, replacesTask, type DeployEvent } from '../../src/continuity/handover-deploy.js';
import { CLUSTER, HandoverWorld, LINEAGE, SERVICE } from './handover-world.js';

const CFG = { lineage: LINEAGE, cluster: CLUSTER, service: SERVICE, pollMs: 5_000 };
const OLD = { ServiceToken: 'arn:fn', TaskDefinition: 'jenkins:7', SizeInGiB: '50' };
const NEW = { ServiceToken: 'arn:fn', TaskDefinition: 'jenkins:8', SizeInGiB: '50' };

async function world(): Promise<HandoverWorld> {
  const w = new HandoverWorld();
  await w.ready();
  return w;
}

describe('handover in cdk deploy', () => {
  test('replacesTask: only an Update whose properties changed (the service token does not count)', () => {
    assert.equal(replacesTask({ RequestType: 'Update', ResourceProperties: NEW, OldResourceProperties: OLD }), true);
    assert.equal(replacesTask({ RequestType: 'Update', ResourceProperties: { ...OLD, ServiceToken: 'arn:other' }, OldResourceProperties: OLD }), false);
    assert.equal(replacesTask({ RequestType: 'Create', ResourceProperties: NEW }), false);
    assert.equal(replacesTask({ RequestType: 'Update', ResourceProperties: { SizeInGiB: '50', TaskDefinition: 'jenkins:7' }, OldResourceProperties: OLD }), false, 'key order does not matter');
  });

  test('a deploy that does not replace the task does nothing', async () => {
    const w = await world();
    const before = w.record.peek()!.seq;
    const data = await w.drive(beginDeployHandover(w.deps(), CFG, { RequestType: 'Update', ResourceProperties: OLD, OldResourceProperties: OLD }, 'd1'));
    assert.equal(data, undefined);
    assert.equal(w.record.peek()!.seq, before);
    assert.equal(w.desiredCount, 1);
  });

  test('onEvent begins, polls finish, the service update starts one task from the final snapshot', async () => {
    const w = await world();
    const event: DeployEvent = { RequestType: 'Update', ResourceProperties: NEW, OldResourceProperties: OLD };
    const data = await w.drive(beginDeployHandover(w.deps(), CFG, event, 'd1'));
    assert.ok(data);
    assert.equal(w.record.peek()!.operation?.id, 'd1');
    let polls = 0;
    for (;;) {
      const res = await w.drive(pollDeployHandover(w.deps(), CFG, { ...event, Data: { ...data } }, 20_000));
      if (res.complete) break;
      assert.ok(++polls < 300);
      await w.clock.runUntil(w.clock.ms + 30_000);
    }
    const r = w.record.peek()!;
    assert.equal(r.operation, undefined);
    assert.equal(r.head?.kind, 'final');
    assert.equal(r.launch, r.head?.snapshotId);
    // A poll whose predecessor's answer was lost: reported complete, nothing begins again.
    const again = await w.drive(pollDeployHandover(w.deps(), CFG, { ...event, Data: { ...data } }, 20_000));
    assert.equal(again.complete, true);
    assert.equal(w.record.peek()!.seq, r.seq);
    // CloudFormation's service update: the new deployment from `launch`, DesiredCount 1 from the template.
    await w.ecs.rollSnapshot(CLUSTER, SERVICE, r.launch!, { desiredCount: 1 });
    const serving = await w.untilServing();
    assert.equal(serving?.snapshotId, r.launch);
    assert.equal(serving?.staleAtGate, false);
    assert.equal(w.startedSinceReady, 1);
    assert.deepEqual(w.violations, []);
  });

  test('rollback: a Delete with the handover left in progress finishes it and the service starts one task', async () => {
    const w = await world();
    const event: DeployEvent = { RequestType: 'Update', ResourceProperties: NEW, OldResourceProperties: OLD };
    const data = await w.drive(beginDeployHandover(w.deps(), CFG, event, 'd1'));
    assert.ok(data);
    // One poll, then the stack update fails and CloudFormation deletes the resource.
    await w.drive(pollDeployHandover(w.deps(), CFG, { ...event, Data: { ...data } }, 20_000));
    assert.equal(w.record.peek()!.operation?.id, 'd1');
    let res;
    for (let i = 0; ; i++) {
      assert.ok(i < 300);
      res = await w.drive(pollDeployHandover(w.deps(), CFG, { RequestType: 'Delete', ResourceProperties: NEW }, 20_000));
      if (res.complete) break;
      await w.clock.runUntil(w.clock.ms + 30_000);
    }
    assert.equal(w.record.peek()!.operation, undefined);
    const serving = await w.untilServing();
    assert.equal(serving?.snapshotId, w.record.peek()!.launch);
    assert.equal(w.startedSinceReady, 1);
    assert.deepEqual(w.violations, []);
  });

  test('rollback as an Update with the old properties resumes the handover in progress', async () => {
    const w = await world();
    const data = await w.drive(beginDeployHandover(w.deps(), CFG, { RequestType: 'Update', ResourceProperties: NEW, OldResourceProperties: OLD }, 'd1'));
    assert.ok(data);
    const rollback: DeployEvent = { RequestType: 'Update', ResourceProperties: OLD, OldResourceProperties: NEW };
    const back = await w.drive(beginDeployHandover(w.deps(), CFG, rollback, 'd2'));
    assert.equal(back?.HandoverId, 'd1', 'the rollback drives the same handover');
  });
});
