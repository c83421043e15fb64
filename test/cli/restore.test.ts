/**
 * `jenkins-ecs restore`: the record operation through the core's restore() (begin, scale down,
 * wait for the holder to release, promote, launch, end).
 * The procedure runs over the in-memory FakeAws (test/cli/support/fake-aws.ts): moto drops
 * `volumeConfigurations` from DescribeServices deployments, so its UpdateService roll to a snapshot
 * cannot be exercised there, and moto does not stop service tasks (no final snapshot on scale-down).
 * The refusals, which only read EC2, also run against moto_server, and one full run goes through
 * the real SDK adapters with recorded responses (aws-sdk-client-mock) to pin the UpdateService shape.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GetItemCommand, PutItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeSnapshotsCommand, DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import * as restoreCmd from '../../src/cli/commands/restore.js';
import { EXIT } from '../../src/cli/errors.js';
import { BufferIo } from '../../src/cli/io.js';
import { recordToItem } from '../../src/aws/record-adapter.js';
import { TAGS } from '../../src/continuity/model.js';
import { createRecord } from '../../src/continuity/transitions.js';
import * as statusCmd from '../../src/cli/commands/status.js';
import { runCommand, testContext } from './support/context.js';
import { FakeAws } from './support/fake-aws.js';
import { motoClients, motoEnv, seedService, seedSnapshot, seedVolume, uniqueName } from './support/moto.js';

/** A deployment that has run for a while: three periodic snapshots, a live holder built from the oldest. */
function world() {
  const fake = new FakeAws({ lineage: 'ci' });
  const old = fake.addSnapshot({ id: 'snap-old', kind: 'periodic', minutesAgo: 120 });
  const mid = fake.addSnapshot({ id: 'snap-mid', kind: 'periodic', minutesAgo: 60 });
  const recent = fake.addSnapshot({ id: 'snap-recent', kind: 'periodic', minutesAgo: 10 });
  const holder = fake.addVolume({ id: 'vol-live', snapshotId: old.id });
  fake.runService({ snapshotId: old.id, volume: holder, holder: true });
  const ctx = (answers: boolean[] = []) => testContext({ io: new BufferIo(answers), aws: () => fake, now: () => fake.now });
  return { fake, old, mid, recent, ctx };
}

function assertRestoredTo(fake: FakeAws, id: string): void {
  const rec = fake.rec;
  assert.equal(rec.head?.snapshotId, id, 'the chosen snapshot is the head');
  assert.equal(rec.head?.kind, 'restore');
  assert.equal(rec.launch, id, 'the record launches from it');
  assert.equal(rec.operation, undefined, 'the operation ended');
  const primary = fake.service?.deployments.find((d) => d.status === 'PRIMARY');
  assert.equal(primary?.snapshotId, id, 'the service launches from it');
  assert.equal(fake.service?.desiredCount, 1);
}

describe('restore over the in-memory ports', () => {
  test('restore <id> --yes stops Jenkins, keeps its final snapshot as history, promotes the snapshot after it (by seq), then launches', async () => {
    const { fake, mid, ctx } = world();
    const c = ctx();
    const res = await runCommand(restoreCmd, ['snap-mid', '--name', 'ci', '--yes', '--poll-seconds', '1'], c);
    assert.equal(res.code, EXIT.ok, res.error?.message);
    assertRestoredTo(fake, mid.id);

    const finals = [...fake.snapshots.values()].filter((s) => s.kind === 'final');
    assert.equal(finals.length, 1, 'the keeper of the stopped task took one final snapshot');
    const rec = fake.rec;
    const fin = rec.snapshots.find((e) => e.snapshotId === finals[0]!.id)!;
    assert.ok(rec.head!.seq > fin.seq, 'the promotion is ordered after the final snapshot by seq, no clock involved');
    const order = fake.calls.filter((c) => /setDesiredCount|rollSnapshot/.test(c));
    assert.deepEqual(order, ['ecs.setDesiredCount(0)', 'ecs.rollSnapshot(snap-mid,desired=1)']);
    assert.deepEqual(c.io.questions, [], '--yes does not ask');
    const text = c.io.text();
    assert.match(text, /^restore ci to snap-mid \(completed, taken <time>, <age> ago\)$/m);
    assert.match(text, /^step 2\/4: scaling jenkins-ecs-ci-controller to 0$/m);
    assert.match(text, /^step 2\/4: waiting for task \S+ \(holder, ECS status RUNNING\) to register its final snapshot and release the lineage$/m);
    assert.match(text, /^step 3\/4: snap-mid is the head \(seq \d+\) and the launch snapshot$/m);
    assert.match(text, /^restore requested: jenkins-ecs-ci-controller launches from snap-mid; follow it with 'jenkins-ecs status'$/m);
  });

  test('without --yes it asks; a "no" exits 1 and changes nothing', async () => {
    const { fake, ctx } = world();
    const c = ctx([false]);
    const res = await runCommand(restoreCmd, ['snap-mid', '--name', 'ci'], c);
    assert.equal(res.code, EXIT.failure);
    assert.equal(res.error?.message, 'restore cancelled: nothing was changed');
    assert.deepEqual(c.io.questions, ['restore ci to snap-mid?']);
    assert.equal(fake.calls.filter((x) => /setDesiredCount|promote|roll/.test(x)).length, 0);
    assert.equal(fake.service?.desiredCount, 1);
  });

  test('a "yes" at the prompt restores', async () => {
    const { fake, ctx } = world();
    const res = await runCommand(restoreCmd, ['snap-recent', '--name', 'ci', '--poll-seconds', '1'], ctx([true]));
    assert.equal(res.code, EXIT.ok, res.error?.message);
    assertRestoredTo(fake, 'snap-recent');
  });

  test('--before picks the newest completed snapshot taken at or before that time', async () => {
    const { fake, ctx } = world();
    const at = new Date(fake.now.getTime() - 30 * 60_000).toISOString();
    const res = await runCommand(restoreCmd, ['--before', at, '--name', 'ci', '--yes', '--poll-seconds', '1'], ctx());
    assert.equal(res.code, EXIT.ok, res.error?.message);
    assertRestoredTo(fake, 'snap-mid');
  });

  test('--before a time older than every snapshot is refused', async () => {
    const { ctx } = world();
    const res = await runCommand(restoreCmd, ['--before', '2020-01-01T00:00:00Z', '--name', 'ci', '--yes'], ctx());
    assert.equal(res.code, EXIT.refused);
    assert.match(res.error?.message ?? '', /^refused: lineage 'ci' has no completed snapshot taken at or before 2020-01-01T00:00:00.000Z/);
  });

  test('pending, failed and unknown snapshots are refused before any prompt, each with its reason', async () => {
    const { fake, ctx } = world();
    fake.addSnapshot({ id: 'snap-pending', kind: 'manual', state: 'pending', progress: '30%' });
    fake.addSnapshot({ id: 'snap-failed', kind: 'final', state: 'error', minutesAgo: 5 });
    const cases: [string, RegExp][] = [
      ['snap-pending', /^refused: snapshot snap-pending is still pending; wait until it is completed; run again once it is completed$/],
      ['snap-failed', /^refused: snapshot snap-failed is in state error and holds no usable data; pick another one/],
      ['snap-nothere', /^refused: snapshot snap-nothere does not exist; pick one from 'jenkins-ecs snapshots'$/],
    ];
    for (const [id, message] of cases) {
      const c = ctx([true]);
      const res = await runCommand(restoreCmd, [id, '--name', 'ci'], c);
      assert.equal(res.code, EXIT.refused, id);
      assert.match(res.error?.message ?? '', message);
      assert.deepEqual(c.io.questions, [], `${id}: refused without asking`);
    }
    assert.equal(fake.calls.filter((x) => /setDesiredCount|promote|roll/.test(x)).length, 0);
  });

  test('an empty lineage exits with the empty-lineage code', async () => {
    const fake = new FakeAws({ lineage: 'ci' });
    fake.runService({});
    const res = await runCommand(restoreCmd, ['snap-x', '--name', 'ci', '--yes'], testContext({ aws: () => fake }));
    assert.equal(res.code, EXIT.emptyLineage);
    assert.equal(res.error?.message, "lineage 'ci' has no recorded snapshots: there is nothing to restore");
  });

  test('interrupted while waiting (a call fails): status warns with the resuming command, and the same command resumes', async () => {
    const { fake, ctx } = world();
    fake.failNext('ecs.taskStatus', Object.assign(new Error('connection reset'), { name: 'NetworkingError' }));
    const first = await runCommand(restoreCmd, ['snap-mid', '--name', 'ci', '--yes', '--poll-seconds', '1'], ctx());
    assert.equal(first.code, EXIT.aws);
    assert.match(first.error?.message ?? '', /^restore interrupted \(last progress 'step 2\/4: scaling jenkins-ecs-ci-controller to 0'\): AWS error NetworkingError: connection reset; re-run the same command to resume it$/);
    assert.equal(fake.service?.desiredCount, 0, 'scaled down');
    assert.equal(fake.rec.operation?.kind, 'restore', 'the record names the unfinished operation');

    // Jenkins is down and status says so, with the command that resumes the restore.
    const st = ctx();
    assert.equal((await runCommand(statusCmd, ['--name', 'ci'], st)).code, EXIT.ok);
    assert.match(st.io.text(), /! a restore \(\S+, to snap-mid\) is in progress or was interrupted at step 'begun'; no Jenkins can start until it ends \(desired count 0\); resume it with 'jenkins-ecs restore snap-mid --name ci'/);

    const second = await runCommand(restoreCmd, ['snap-mid', '--name', 'ci', '--yes', '--poll-seconds', '1'], ctx());
    assert.equal(second.code, EXIT.ok, second.error?.message);
    assertRestoredTo(fake, 'snap-mid');
    assert.equal([...fake.snapshots.values()].filter((s) => s.kind === 'final').length, 1);
  });

  test('interrupted after the promotion (UpdateService fails), a re-run keeps the promotion, launches and ends', async () => {
    const { fake, ctx } = world();
    fake.failNext('ecs.rollSnapshot', Object.assign(new Error('not authorized to perform ecs:UpdateService'), { name: 'AccessDeniedException' }));
    const first = await runCommand(restoreCmd, ['snap-mid', '--name', 'ci', '--yes', '--poll-seconds', '1'], ctx());
    assert.equal(first.code, EXIT.aws, first.error?.message);
    assert.match(first.error?.message ?? '', /^restore interrupted \(last progress 'step 3\/4: snap-mid is the head \(seq \d+\) and the launch snapshot'\): AWS error AccessDeniedException: not authorized to perform ecs:UpdateService; re-run the same command to resume it$/);
    const seq = fake.rec.head!.seq;
    assert.equal(fake.rec.operation?.step, 'promoted');

    const again = ctx();
    const second = await runCommand(restoreCmd, ['snap-mid', '--name', 'ci', '--yes', '--poll-seconds', '1'], again);
    assert.equal(second.code, EXIT.ok, second.error?.message);
    assertRestoredTo(fake, 'snap-mid');
    assert.equal(fake.rec.head!.seq, seq, 'the re-run did not promote again');
    assert.match(again.io.text(), /an interrupted restore \(\S+, step 'promoted'\) is resumed/);
    assert.equal(fake.calls.filter((x) => x === 'ecs.setDesiredCount(0)').length, 1, 'no second scale-down');

    const third = ctx();
    assert.equal((await runCommand(restoreCmd, ['snap-mid', '--name', 'ci', '--yes'], third)).code, EXIT.ok);
    assert.match(third.io.text(), /^nothing to do: snap-mid is already the restored head and the service runs it$/m);
  });

  test('--before interrupted after step 2 re-runs onto the same snapshot, though the final snapshot is newer', async () => {
    const { fake, ctx } = world();
    const at = new Date(fake.now.getTime() - 30 * 60_000).toISOString();
    fake.failNext('ecs.rollSnapshot', Object.assign(new Error('connection reset'), { name: 'NetworkingError' }));
    const args = ['--before', at, '--name', 'ci', '--yes', '--poll-seconds', '1'];
    assert.equal((await runCommand(restoreCmd, args, ctx())).code, EXIT.aws);
    const second = await runCommand(restoreCmd, args, ctx());
    assert.equal(second.code, EXIT.ok, second.error?.message);
    assertRestoredTo(fake, 'snap-mid');
  });

  test('a missing service is reported before the prompt with the not-found code', async () => {
    const fake = new FakeAws({ lineage: 'ci' });
    fake.addSnapshot({ id: 'snap-a', kind: 'periodic' });
    const c = testContext({ aws: () => fake, io: new BufferIo([true]) });
    const res = await runCommand(restoreCmd, ['snap-a', '--name', 'ci'], c);
    assert.equal(res.code, EXIT.notFound);
    assert.deepEqual(c.io.questions, []);
  });

  test('--json prints only the result document on stdout; progress goes to stderr', async () => {
    const { ctx } = world();
    const c = ctx();
    const res = await runCommand(restoreCmd, ['snap-mid', '--name', 'ci', '--yes', '--json', '--poll-seconds', '1'], c);
    assert.equal(res.code, EXIT.ok, res.error?.message);
    const out = JSON.parse(c.io.stdout.join('\n')) as { snapshotId: string; resumed: boolean; alreadyRestored: boolean; seq: number };
    assert.deepEqual([out.snapshotId, out.resumed, out.alreadyRestored], ['snap-mid', false, false]);
    assert.equal(typeof out.seq, 'number');
    assert.ok(c.io.stderr.some((l) => l.startsWith('step 1/4: ')));
  });

  test('usage mistakes exit 2: both an id and --before, neither, or a time that is not ISO', async () => {
    const { ctx } = world();
    for (const args of [['snap-mid', '--before', '2026-01-01T00:00:00Z'], [], ['--before', 'yesterday']]) {
      const res = await runCommand(restoreCmd, [...args, '--name', 'ci', '--yes'], ctx());
      assert.equal(res.code, EXIT.usage, args.join(' '));
    }
  });
});

describe('restore refusals against moto', () => {
  const clients = motoClients();

  test('a snapshot of another lineage (tags say so or not) is refused: only record members can be restored', async () => {
    const name = uniqueName('rs');
    const other = uniqueName('rs');
    const vol = await seedVolume(clients);
    const mine = await seedSnapshot(clients, { lineage: name, kind: 'periodic', volumeId: vol });
    const foreign = await seedSnapshot(clients, { lineage: other, kind: 'periodic', volumeId: vol });
    await seedService(clients, name, { snapshotId: mine, launch: mine });
    const c = testContext({ env: motoEnv(), io: new BufferIo([true]) });
    const res = await runCommand(restoreCmd, [foreign, '--name', name], c);
    assert.equal(res.code, EXIT.refused);
    assert.equal(res.error?.message, `refused: snapshot ${foreign} is not in the record of lineage '${name}' (only snapshots the protocol took can be restored); only snapshots the protocol recorded for this deployment can be restored (see 'jenkins-ecs snapshots')`);
    assert.deepEqual(c.io.questions, []);
  });

  test('an unknown snapshot id is refused and an empty lineage has its own exit code', async () => {
    const name = uniqueName('rs');
    const vol = await seedVolume(clients);
    await seedSnapshot(clients, { lineage: name, kind: 'periodic', volumeId: vol });
    await seedService(clients, name);
    const res = await runCommand(restoreCmd, ['snap-0123456789abcdef0', '--name', name, '--yes'], testContext({ env: motoEnv() }));
    assert.equal(res.code, EXIT.refused);
    assert.match(res.error?.message ?? '', /^refused: snapshot snap-0123456789abcdef0 does not exist/);

    const empty = uniqueName('rs');
    await seedService(clients, empty);
    const res2 = await runCommand(restoreCmd, ['--before', '2026-01-01T00:00:00Z', '--name', empty, '--yes'], testContext({ env: motoEnv() }));
    assert.equal(res2.code, EXIT.emptyLineage);
  });
});

describe('restore through the SDK adapters with recorded responses (volumeConfigurations, which moto drops)', () => {
  test('promote in the record, then UpdateService keeping the volume configuration with the chosen snapshotId and desiredCount 1', async (t) => {
    const ec2 = mockClient(EC2Client);
    const ecs = mockClient(ECSClient);
    const ddb = mockClient(DynamoDBClient);
    t.after(() => {
      ec2.restore();
      ecs.restore();
      ddb.restore();
    });
    const name = uniqueName('rec');
    const tags = [
      { Key: TAGS.lineage, Value: name },
      { Key: TAGS.kind, Value: 'periodic' },
    ];
    const volumeConfigurations = [
      {
        name: 'jenkins-home',
        managedEBSVolume: { roleArn: 'arn:aws:iam::123456789012:role/volumes', snapshotId: 'snap-new', filesystemType: 'xfs' as const, sizeInGiB: 50 },
      },
    ];
    ec2.on(DescribeSnapshotsCommand).resolves({
      Snapshots: [
        { SnapshotId: 'snap-old', State: 'completed', StartTime: new Date('2026-03-01T09:00:00Z'), Tags: tags },
        { SnapshotId: 'snap-new', State: 'completed', StartTime: new Date('2026-03-01T10:00:00Z'), Tags: tags },
      ],
    });
    ec2.on(DescribeVolumesCommand).resolves({ Volumes: [] });
    // The record: both snapshots registered, no holder (Jenkins is already stopped). Each PutItem
    // is answered by storing the item, so the next GetItem reads it (a consistent read).
    let item = recordToItem({ ...createRecord(name), seq: 3, snapshots: [{ snapshotId: 'snap-old', seq: 2, kind: 'periodic' }, { snapshotId: 'snap-new', seq: 3, kind: 'periodic' }], head: { snapshotId: 'snap-new', seq: 3, kind: 'periodic' }, launch: 'snap-new' });
    ddb.on(GetItemCommand).callsFake(() => ({ Item: item }));
    ddb.on(PutItemCommand).callsFake((input: { Item: typeof item }) => {
      item = input.Item;
      return {};
    });
    // Already scaled to 0 (an earlier run got that far), primary still on the newer snapshot.
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          status: 'ACTIVE',
          desiredCount: 0,
          runningCount: 0,
          pendingCount: 0,
          deployments: [{ id: 'ecs-svc/1', status: 'PRIMARY', rolloutState: 'COMPLETED', createdAt: new Date(), volumeConfigurations }],
        },
      ],
    });
    ecs.on(UpdateServiceCommand).resolves({});

    const ctx = testContext({ env: { AWS_REGION: 'us-east-1' } });
    const res = await runCommand(restoreCmd, ['snap-old', '--name', name, '--yes'], ctx);
    assert.equal(res.code, EXIT.ok, res.error?.message);

    const puts = ddb.commandCalls(PutItemCommand).map((c) => c.args[0].input);
    assert.ok(puts.every((p) => p.ConditionExpression === '#seq = :expected'), 'every write is conditioned on the seq it read');
    assert.equal(item.head?.S, 'snap-old');
    assert.equal(item.launch?.S, 'snap-old');
    const update = ecs.commandCalls(UpdateServiceCommand)[0]?.args[0].input;
    assert.equal(update?.service, `jenkins-ecs-${name}-controller`);
    assert.equal(update?.desiredCount, 1);
    assert.equal(update?.forceNewDeployment, true);
    assert.deepEqual(update?.volumeConfigurations, [
      { ...volumeConfigurations[0], managedEBSVolume: { ...volumeConfigurations[0]!.managedEBSVolume, snapshotId: 'snap-old' } },
    ]);
    // The promotion is in the record first, then the service rolls.
    assert.equal(ecs.commandCalls(UpdateServiceCommand).length, 1);
    const promoted = ddb.commandCalls(PutItemCommand).find((c) => c.args[0].input.Item?.head?.S === 'snap-old');
    assert.ok(promoted?.calledBefore(ecs.commandCalls(UpdateServiceCommand)[0]!));
  });
});
