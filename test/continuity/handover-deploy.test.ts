// The handover inside `cdk deploy` (src/continuity/handover-deploy.ts): onEvent begins it only
// when the deploy replaces the task, isComplete polls drive it under a budget, CloudFormation's
// service update then starts the one task from `launch`; a Delete (rollback) finishes a handover
// left in progress with the service as the starter. Driven against the handover world model.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { beginDeployHandover, deployStarter, handoverData, pollDeployHandover, replacesTask, type DeployEvent, type HandoverData } from '../../src/continuity/handover-deploy.js';
import { TASK_PROPERTIES } from '../../src/launch/handler.js';
import { beginOperation } from '../../src/continuity/transitions.js';
import { driveHandover } from '../../src/continuity/handover.js';
import { CLUSTER, HandoverWorld, LINEAGE, SERVICE } from './handover-world.js';

const CFG = { lineage: LINEAGE, cluster: CLUSTER, service: SERVICE, pollMs: 5_000 };
const KEYS = TASK_PROPERTIES;
const VOLUME = { RoleArn: 'arn:role/infra', SizeInGiB: '50', VolumeType: 'gp3' };
const OLD = { ServiceToken: 'arn:fn', Lineage: LINEAGE, TaskDefinition: 'jenkins:7', ManagedEBSVolume: VOLUME };
const NEW = { ...OLD, TaskDefinition: 'jenkins:8' };

async function world(): Promise<HandoverWorld> {
  const w = new HandoverWorld();
  await w.ready();
  return w;
}

/** isComplete polls every 30 s of virtual time until the handover is complete. */
async function pollUntilComplete(w: HandoverWorld, event: DeployEvent): Promise<void> {
  for (let polls = 0; ; polls++) {
    assert.ok(polls < 300, 'the handover completes');
    const res = await w.drive(pollDeployHandover(w.deps(), CFG, event, 20_000));
    if (res.complete) return;
    await w.clock.runUntil(w.clock.ms + 30_000);
  }
}

describe('handover in cdk deploy', () => {
  test('replacesTask: only an Update in which a task-replacing property changed', () => {
    const update = (next: Record<string, unknown>, old: Record<string, unknown> = OLD) => replacesTask({ RequestType: 'Update', ResourceProperties: next, OldResourceProperties: old }, KEYS);
    assert.equal(update(NEW), true, 'task definition revision');
    assert.equal(update({ ...OLD, ManagedEBSVolume: { ...VOLUME, SizeInGiB: '60' } }), true, 'volume settings');
    assert.equal(update({ ...OLD, InitializationRateMiBps: '200' }), true, 'initialization rate');
    assert.equal(update({ ...OLD, ServiceToken: 'arn:other' }), false, 'the service token');
    assert.equal(update({ ...OLD, SeedSnapshotId: 'snap-0123456789abcdef0' }), false, 'the seed never changes a running task');
    assert.equal(update({ ...OLD, ManagedEBSVolume: { VolumeType: 'gp3', SizeInGiB: '50', RoleArn: 'arn:role/infra' } }), false, 'key order does not matter');
    assert.equal(replacesTask({ RequestType: 'Create', ResourceProperties: NEW }, KEYS), false);
  });

  test('deployStarter: CloudFormation while the service still runs the old task definition; the service once it runs the requested one (rollback)', () => {
    const service = (td: string) => ({ desiredCount: 1, runningCount: 1, deployments: [{ id: 'd', status: 'PRIMARY' as const, taskDefinition: td, createdAt: new Date(0) }] });
    assert.equal(deployStarter({ ResourceProperties: NEW, OldResourceProperties: OLD }, service('jenkins:7'), KEYS), 'cloudformation');
    // The rollback of a failed update: CloudFormation asks for :7 again and the service runs :7.
    assert.equal(deployStarter({ ResourceProperties: OLD, OldResourceProperties: NEW }, service('jenkins:7'), KEYS), 'service');
    const volumeOnly = { ...OLD, ManagedEBSVolume: { ...VOLUME, SizeInGiB: '60' } };
    assert.equal(deployStarter({ ResourceProperties: volumeOnly, OldResourceProperties: OLD }, service('jenkins:7'), KEYS), 'cloudformation');
  });

  test('deployStarter on a volume-only change: the PRIMARY deployment\'s volume settings tell a forward deploy from its rollback', () => {
    const withVolume = (sizeInGiB: number, rate?: number) => ({
      desiredCount: 1,
      runningCount: 1,
      deployments: [{ id: 'd', status: 'PRIMARY' as const, taskDefinition: 'jenkins:7', createdAt: new Date(0), volume: { sizeInGiB, volumeType: 'gp3', ...(rate ? { volumeInitializationRate: rate } : {}) } }],
    });
    const bigger = { ...OLD, ManagedEBSVolume: { ...VOLUME, SizeInGiB: '60' } };
    // Forward: the service still runs 50 GiB.
    assert.equal(deployStarter({ ResourceProperties: bigger, OldResourceProperties: OLD }, withVolume(50), KEYS), 'cloudformation');
    // Rollback of 50 → 60 after the service was rolled back (or never updated): it runs 50 GiB, the request asks for 50.
    assert.equal(deployStarter({ ResourceProperties: OLD, OldResourceProperties: bigger }, withVolume(50), KEYS), 'service');
    // The initialization rate counts as a volume setting (strings from CloudFormation, numbers from ECS).
    const rated = { ...OLD, InitializationRateMiBps: '200' };
    assert.equal(deployStarter({ ResourceProperties: OLD, OldResourceProperties: rated }, withVolume(50), KEYS), 'service');
    assert.equal(deployStarter({ ResourceProperties: OLD, OldResourceProperties: rated }, withVolume(50, 200), KEYS), 'cloudformation');
    // Settings the service matches on neither side: forward.
    assert.equal(deployStarter({ ResourceProperties: OLD, OldResourceProperties: bigger }, withVolume(70), KEYS), 'cloudformation');
  });

  test('handoverData: only a well-formed id and seq; the starter defaults to CloudFormation', () => {
    assert.equal(handoverData(undefined), undefined);
    assert.equal(handoverData({ HandoverId: 'd1', HandoverBegunAt: 'x' }), undefined);
    assert.deepEqual(handoverData({ HandoverId: 'd1', HandoverBegunAt: '4' }), { HandoverId: 'd1', HandoverBegunAt: '4', HandoverStarter: 'cloudformation' });
    assert.equal(handoverData({ HandoverId: 'd1', HandoverBegunAt: '4', HandoverStarter: 'service' })?.HandoverStarter, 'service');
  });

  test('a deploy that does not replace the task does nothing (no write, no stop)', async () => {
    const w = await world();
    const before = w.record.peek()!.seq;
    for (const next of [OLD, { ...OLD, SeedSnapshotId: 'snap-0123456789abcdef0' }, { ...OLD, ServiceToken: 'arn:new' }]) {
      const data = await w.drive(beginDeployHandover(w.deps(), CFG, { RequestType: 'Update', ResourceProperties: next, OldResourceProperties: OLD }, 'd1', KEYS));
      assert.equal(data, undefined);
    }
    assert.equal(w.record.peek()!.seq, before);
    assert.equal(w.desiredCount, 1);
    assert.equal((await w.drive(pollDeployHandover(w.deps(), CFG, { RequestType: 'Update', ResourceProperties: OLD, OldResourceProperties: OLD }, 20_000))).complete, true);
    assert.equal(w.record.peek()!.seq, before);
  });

  test('two isComplete invocations with the same Data at once (a duplicate delivery): both answer complete, neither fails the deploy', async () => {
    const w = await world();
    const event: DeployEvent = { RequestType: 'Update', ResourceProperties: NEW, OldResourceProperties: OLD };
    const data = await w.drive(beginDeployHandover(w.deps(), CFG, event, 'd1', KEYS));
    const withData: DeployEvent = { ...event, Data: { ...data } };
    // Two drivers of the same operation, each with a budget long enough to finish it.
    const both = Promise.all([pollDeployHandover(w.deps(), CFG, withData, 3_600_000), pollDeployHandover(w.deps(), CFG, withData, 3_600_000)]);
    const [a, b] = await w.drive(both);
    assert.deepEqual([a.complete, b.complete], [true, true]);
    const r = w.record.peek()!;
    assert.equal(r.operation?.step, 'launching', 'kept until the one new task acquires');
    assert.equal(r.launch, r.head?.snapshotId);
  });

  test('onEvent begins, polls finish, the service update starts one task from the final snapshot', async () => {
    const w = await world();
    const event: DeployEvent = { RequestType: 'Update', ResourceProperties: NEW, OldResourceProperties: OLD };
    const data = await w.drive(beginDeployHandover(w.deps(), CFG, event, 'd1', KEYS));
    assert.equal(data?.HandoverStarter, 'cloudformation');
    assert.equal(w.record.peek()!.operation?.id, 'd1');
    await pollUntilComplete(w, { ...event, Data: { ...data } });
    const r = w.record.peek()!;
    assert.equal(r.operation?.step, 'launching', 'kept until the one new task acquires: no restore or second start can slip in before the service update');
    assert.equal(r.head?.kind, 'final');
    assert.equal(r.launch, r.head?.snapshotId);
    assert.equal(w.desiredCount, 0, 'CloudFormation starts the task, not the handover');
    // A poll whose predecessor's answer was lost: reported complete, nothing begins again.
    const again = await w.drive(pollDeployHandover(w.deps(), CFG, { ...event, Data: { ...data } }, 20_000));
    assert.equal(again.complete, true);
    assert.equal(w.record.peek()!.seq, r.seq);
    await w.cloudFormationUpdate(r.launch!, 'jenkins:8');
    const serving = await w.untilServing();
    assert.equal(serving?.snapshotId, r.launch);
    assert.equal(serving?.staleAtGate, false);
    assert.equal(w.startedSinceReady, 1);
    assert.equal(w.record.peek()!.operation, undefined, 'its acquire ended the handover');
    assert.deepEqual(w.violations, []);
  });

  test('a forward deploy that finds a handover a killed `restart` left resumes it with CloudFormation as the starter: one start, not stale', async () => {
    const w = await world();
    // The restart's CLI got as far as the pre-copy, then died.
    const cli = driveHandover(w.deps(), { ...CFG, starter: 'service' }, { id: 'restart-1', until: new Date(w.clock.ms + 20_000) });
    const first = await w.drive(cli);
    assert.equal(first.state, 'waiting');
    const event: DeployEvent = { RequestType: 'Update', ResourceProperties: NEW, OldResourceProperties: OLD };
    const data = await w.drive(beginDeployHandover(w.deps(), CFG, event, 'd1', KEYS));
    assert.equal(data?.HandoverId, 'restart-1', 'the handover in progress is resumed');
    assert.equal(data?.HandoverStarter, 'cloudformation');
    await pollUntilComplete(w, { ...event, Data: { ...data } });
    assert.equal(w.desiredCount, 0, 'the handover itself started nothing');
    await w.cloudFormationUpdate(w.record.peek()!.launch!, 'jenkins:8');
    const serving = await w.untilServing();
    assert.equal(serving?.staleAtGate, false);
    assert.equal(w.startedSinceReady, 1, 'exactly one task start');
    assert.deepEqual(w.violations, []);
  });

  test('a `restart` still driving the handover a forward deploy resumed stands back at launching: the deploy\'s update is the one start', async () => {
    const w = await world();
    const cli = driveHandover(w.deps(), { ...CFG, starter: 'service' }, { id: 'restart-1', until: new Date(w.clock.ms + 20_000) });
    assert.equal((await w.drive(cli)).state, 'waiting');
    const event: DeployEvent = { RequestType: 'Update', ResourceProperties: NEW, OldResourceProperties: OLD };
    const data = await w.drive(beginDeployHandover(w.deps(), CFG, event, 'd1', KEYS));
    assert.equal(w.record.peek()!.operation?.starter, 'cloudformation', 'the deploy says it starts the task');
    // The operator's `restart` goes on driving the same handover, alive this time.
    let rolls = 0;
    const ecs = {
      ...w.ecs,
      rollSnapshot: async (...a: Parameters<typeof w.ecs.rollSnapshot>) => {
        rolls++;
        return w.ecs.rollSnapshot(...a);
      },
    };
    const res = await w.drive(driveHandover(w.deps({ ecs }), { ...CFG, starter: 'service' }, { id: 'restart-1' }));
    assert.equal(res.state, 'done');
    assert.equal(rolls, 0, 'no UpdateService with the old task definition');
    await pollUntilComplete(w, { ...event, Data: { ...data } });
    await w.cloudFormationUpdate(w.record.peek()!.launch!, 'jenkins:8');
    const serving = await w.untilServing();
    assert.equal(serving?.staleAtGate, false);
    assert.equal(w.taskDefinition, 'jenkins:8');
    assert.equal(w.startedSinceReady, 1, 'exactly one task start');
    assert.deepEqual(w.violations, []);
  });

  test('rollback: a Delete with the handover left in progress finishes it and the service starts one task', async () => {
    const w = await world();
    const event: DeployEvent = { RequestType: 'Update', ResourceProperties: NEW, OldResourceProperties: OLD };
    const data = await w.drive(beginDeployHandover(w.deps(), CFG, event, 'd1', KEYS));
    assert.ok(data);
    // One poll, then the stack update fails and CloudFormation deletes the resource.
    await w.drive(pollDeployHandover(w.deps(), CFG, { ...event, Data: { ...data } }, 20_000));
    assert.equal(w.record.peek()!.operation?.id, 'd1');
    await pollUntilComplete(w, { RequestType: 'Delete', ResourceProperties: NEW });
    assert.equal(w.record.peek()!.operation, undefined);
    const serving = await w.untilServing();
    assert.equal(serving?.snapshotId, w.record.peek()!.launch);
    assert.equal(w.startedSinceReady, 1);
    assert.deepEqual(w.violations, []);
  });

  test('teardown: a Delete after the service is gone ends the handover left in progress (nothing to start)', async () => {
    const w = await world();
    const data = await w.drive(beginDeployHandover(w.deps(), CFG, { RequestType: 'Update', ResourceProperties: NEW, OldResourceProperties: OLD }, 'd1', KEYS));
    assert.ok(data);
    const gone = w.deps({ ecs: { ...w.ecs, describeService: async () => undefined } });
    const res = await w.drive(pollDeployHandover(gone, CFG, { RequestType: 'Delete', ResourceProperties: NEW }, 20_000));
    assert.equal(res.complete, true);
    assert.equal(w.record.peek()!.operation, undefined);
  });

  test('rollback as an Update after the handover completed and the service was never updated: the service starts the one task', async () => {
    const w = await world();
    const forward: DeployEvent = { RequestType: 'Update', ResourceProperties: NEW, OldResourceProperties: OLD };
    const data = await w.drive(beginDeployHandover(w.deps(), CFG, forward, 'd1', KEYS));
    await pollUntilComplete(w, { ...forward, Data: { ...data } });
    assert.equal(w.desiredCount, 0);
    // Another resource fails before the service is updated: CloudFormation rolls this one back.
    const rollback: DeployEvent = { RequestType: 'Update', ResourceProperties: OLD, OldResourceProperties: NEW };
    const back = await w.drive(beginDeployHandover(w.deps(), CFG, rollback, 'd2', KEYS));
    assert.equal(back?.HandoverStarter, 'service');
    await pollUntilComplete(w, { ...rollback, Data: { ...back } });
    assert.equal(w.desiredCount, 1, 'not left at desiredCount 0');
    const serving = await w.untilServing();
    assert.equal(serving?.snapshotId, w.record.peek()!.launch);
    assert.equal(w.startedSinceReady, 1);
    assert.deepEqual(w.violations, []);
  });

  test('rollback as an Update of a forward update that failed before any handover began: nothing to hand over (no write, no stop)', async () => {
    const w = await world();
    const seq = w.record.peek()!.seq;
    // The service still runs :7, and the rollback asks for :7 again.
    const rollback: DeployEvent = { RequestType: 'Update', ResourceProperties: OLD, OldResourceProperties: NEW };
    assert.equal(await w.drive(beginDeployHandover(w.deps(), CFG, rollback, 'd2', KEYS)), undefined);
    assert.equal(w.record.peek()!.seq, seq, 'no write');
    assert.equal(w.desiredCount, 1);
    assert.equal(w.startedSinceReady, 0);
    assert.ok(w.serving(), 'Jenkins kept serving');
  });

  test('rollback as an Update while the handover is in progress resumes it, with the service as the starter', async () => {
    const w = await world();
    const data = await w.drive(beginDeployHandover(w.deps(), CFG, { RequestType: 'Update', ResourceProperties: NEW, OldResourceProperties: OLD }, 'd1', KEYS));
    assert.ok(data);
    const rollback: DeployEvent = { RequestType: 'Update', ResourceProperties: OLD, OldResourceProperties: NEW };
    const back: HandoverData | undefined = await w.drive(beginDeployHandover(w.deps(), CFG, rollback, 'd2', KEYS));
    assert.deepEqual([back?.HandoverId, back?.HandoverStarter], ['d1', 'service'], 'the rollback drives the same handover');
    await pollUntilComplete(w, { ...rollback, Data: { ...back } });
    const serving = await w.untilServing();
    assert.equal(serving?.snapshotId, w.record.peek()!.launch);
    assert.equal(w.startedSinceReady, 1);
  });

  test('no head yet, or a restore in progress: the deploy goes on without a handover (never a failed update whose rollback fails too)', async () => {
    const w = await world();
    const r = w.record.peek()!;
    const begun = beginOperation(r, { kind: 'restore', id: 'r1' });
    assert.ok(begun.ok);
    w.record.put(begun.record, r.seq);
    const event: DeployEvent = { RequestType: 'Update', ResourceProperties: NEW, OldResourceProperties: OLD };
    assert.equal(await w.drive(beginDeployHandover(w.deps(), CFG, event, 'd1', KEYS)), undefined);
    assert.equal(w.record.peek()!.operation?.id, 'r1', 'the restore is untouched');
    assert.ok(w.logs.some((l) => l.msg === 'no handover for this deploy' && l.code === 'refused'));
    // A lineage without a head (the first task has not taken a snapshot yet).
    const fresh = await world();
    const f = fresh.record.peek()!;
    fresh.record.put({ ...f, seq: f.seq + 1, snapshots: [], head: undefined } as typeof f, f.seq);
    assert.equal(await fresh.drive(beginDeployHandover(fresh.deps(), CFG, event, 'd1', KEYS)), undefined);
    assert.ok(fresh.logs.some((l) => l.msg === 'no handover for this deploy' && l.code === 'no-head'));
    assert.equal(fresh.desiredCount, 1);
  });
});
