/**
 * `jenkins-ecs restore`: the protocol's three steps through the core's restore().
 * The procedure runs over the in-memory FakeAws (test/cli/support/fake-aws.ts): moto drops
 * `volumeConfigurations` from DescribeServices deployments, so its UpdateService roll to a snapshot
 * cannot be exercised there, and moto does not stop service tasks (no final snapshot on scale-down).
 * The refusals, which only read EC2, also run against moto_server, and one full run goes through
 * the real SDK adapters with recorded responses (aws-sdk-client-mock) to pin the UpdateService shape.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTagsCommand, DescribeSnapshotsCommand, DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import * as restoreCmd from '../../src/cli/commands/restore.js';
import { EXIT } from '../../src/cli/errors.js';
import { BufferIo } from '../../src/cli/io.js';
import { selectHead } from '../../src/continuity/decisions.js';
import { effectiveTime, TAGS } from '../../src/continuity/model.js';
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
  fake.pointerValue = old.id;
  const ctx = (answers: boolean[] = []) => testContext({ io: new BufferIo(answers), aws: () => fake, now: () => fake.now });
  return { fake, old, mid, recent, ctx };
}

function assertRestoredTo(fake: FakeAws, id: string): void {
  const lineage = [...fake.snapshots.values()];
  assert.equal(selectHead(lineage)?.id, id, 'the chosen snapshot is the head');
  assert.equal(fake.pointerValue, id, 'the pointer names it');
  const primary = fake.service?.deployments.find((d) => d.status === 'PRIMARY');
  assert.equal(primary?.snapshotId, id, 'the service launches from it');
  assert.equal(fake.service?.desiredCount, 1);
}

describe('restore over the in-memory ports', () => {
  test('restore <id> --yes stops Jenkins, keeps its final snapshot as history, promotes the snapshot, then points and launches', async () => {
    const { fake, mid, ctx } = world();
    const c = ctx();
    const res = await runCommand(restoreCmd, ['snap-mid', '--name', 'ci', '--yes', '--poll-seconds', '1'], c);
    assert.equal(res.code, EXIT.ok, res.error?.message);
    assertRestoredTo(fake, mid.id);

    const finals = [...fake.snapshots.values()].filter((s) => s.kind === 'final');
    assert.equal(finals.length, 1, 'the keeper of the stopped task took one final snapshot');
    const promoted = fake.snapshots.get(mid.id)!;
    assert.ok(effectiveTime(promoted) > finals[0]!.startTime, 'promoted-at is later than the final snapshot');
    // Pointer before UpdateService, and scale-down before promotion (protocol order).
    const order = fake.calls.filter((c) => /setDesiredCount|promoteSnapshot|putPointer|rollSnapshot/.test(c));
    assert.deepEqual(order, [
      'ecs.setDesiredCount(0)',
      'ec2.promoteSnapshot(snap-mid)',
      'pointer.putPointer(snap-mid)',
      'ecs.rollSnapshot(snap-mid,desired=1)',
    ]);
    assert.deepEqual(c.io.questions, [], '--yes does not ask');
    const text = c.io.text();
    assert.match(text, /^restore ci to snap-mid \(periodic, completed, effective <time>, <age> ago\)$/m);
    assert.match(text, /^step 1\/3: scaling jenkins-ecs-ci-controller to 0$/m);
    assert.match(text, /^step 2\/3: snap-mid promoted at <time>; it is now the head$/m);
    assert.match(text, /^step 3\/3: pointer set to snap-mid$/m);
    assert.match(text, /^restore requested: jenkins-ecs-ci-controller launches from snap-mid; follow it with 'jenkins-ecs status'$/m);
  });

  test('without --yes it asks; a "no" exits 1 and changes nothing', async () => {
    const { fake, ctx } = world();
    const c = ctx([false]);
    const res = await runCommand(restoreCmd, ['snap-mid', '--name', 'ci'], c);
    assert.equal(res.code, EXIT.failure);
    assert.equal(res.error?.message, 'restore cancelled: nothing was changed');
    assert.deepEqual(c.io.questions, ['restore ci to snap-mid?']);
    assert.equal(fake.calls.filter((x) => /setDesiredCount|promote|putPointer|roll/.test(x)).length, 0);
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
    assert.equal(fake.calls.filter((x) => /setDesiredCount|promote|putPointer|roll/.test(x)).length, 0);
  });

  test('an empty lineage exits with the empty-lineage code', async () => {
    const fake = new FakeAws({ lineage: 'ci' });
    fake.runService({});
    const res = await runCommand(restoreCmd, ['snap-x', '--name', 'ci', '--yes'], testContext({ aws: () => fake }));
    assert.equal(res.code, EXIT.emptyLineage);
    assert.equal(res.error?.message, "lineage 'ci' has no snapshots: there is nothing to restore");
  });

  test('interrupted after step 1 (promotion fails), a re-run finishes without a second scale-down or final snapshot', async () => {
    const { fake, ctx } = world();
    fake.failNext('ec2.promoteSnapshot', Object.assign(new Error('connection reset'), { name: 'NetworkingError' }));
    const first = await runCommand(restoreCmd, ['snap-mid', '--name', 'ci', '--yes', '--poll-seconds', '1'], ctx());
    assert.equal(first.code, EXIT.aws);
    assert.match(first.error?.message ?? '', /^restore interrupted \(last progress 'step 1\/3: waiting for 1 task\(s\) to stop'\): AWS error NetworkingError: connection reset; re-run the same command to finish$/);
    assert.equal(fake.service?.desiredCount, 0, 'step 1 happened');
    assert.equal(fake.snapshots.get('snap-mid')?.promotedAt, undefined, 'step 2 did not');

    const second = await runCommand(restoreCmd, ['snap-mid', '--name', 'ci', '--yes', '--poll-seconds', '1'], ctx());
    assert.equal(second.code, EXIT.ok, second.error?.message);
    assertRestoredTo(fake, 'snap-mid');
    assert.equal(fake.calls.filter((x) => x === 'ecs.setDesiredCount(0)').length, 1, 'no second scale-down');
    assert.equal([...fake.snapshots.values()].filter((s) => s.kind === 'final').length, 1);
  });

  test('interrupted after step 2 (UpdateService fails), a re-run keeps the promotion and finishes step 3', async () => {
    const { fake, ctx } = world();
    fake.failNext('ecs.rollSnapshot', Object.assign(new Error('not authorized to perform ecs:UpdateService'), { name: 'AccessDeniedException' }));
    const first = await runCommand(restoreCmd, ['snap-mid', '--name', 'ci', '--yes', '--poll-seconds', '1'], ctx());
    assert.equal(first.code, EXIT.aws, first.error?.message);
    assert.equal(
      first.error?.message,
      "restore interrupted (last progress 'step 3/3: pointer set to snap-mid'): AWS error AccessDeniedException: not authorized to perform ecs:UpdateService; re-run the same command to finish",
    );
    const promotedAt = fake.snapshots.get('snap-mid')?.promotedAt;
    assert.ok(promotedAt, 'step 2 happened');
    assert.equal(fake.pointerValue, 'snap-mid');

    const second = await runCommand(restoreCmd, ['snap-mid', '--name', 'ci', '--yes', '--poll-seconds', '1'], ctx());
    assert.equal(second.code, EXIT.ok, second.error?.message);
    assertRestoredTo(fake, 'snap-mid');
    assert.equal(fake.snapshots.get('snap-mid')?.promotedAt, promotedAt, 'the re-run did not promote again');
    assert.equal(fake.calls.filter((x) => x.startsWith('ec2.promoteSnapshot')).length, 1);

    const third = ctx();
    const again = await runCommand(restoreCmd, ['snap-mid', '--name', 'ci', '--yes'], third);
    assert.equal(again.code, EXIT.ok);
    assert.match(third.io.text(), /^nothing to do: snap-mid is already the head and the service runs it$/m);
  });

  test('--before interrupted after step 2 re-runs onto the same snapshot, though the final snapshot is newer', async () => {
    const { fake, ctx } = world();
    const at = new Date(fake.now.getTime() - 30 * 60_000).toISOString();
    fake.failNext('pointer.putPointer', Object.assign(new Error('connection reset'), { name: 'NetworkingError' }));
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
    const out = JSON.parse(c.io.stdout.join('\n')) as { snapshotId: string; promoted: boolean; alreadyRestored: boolean };
    assert.deepEqual([out.snapshotId, out.promoted, out.alreadyRestored], ['snap-mid', true, false]);
    assert.ok(c.io.stderr.some((l) => l.startsWith('step 1/3: ')));
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

  test('a snapshot of another lineage is refused, naming both lineages', async () => {
    const name = uniqueName('rs');
    const other = uniqueName('rs');
    const vol = await seedVolume(clients);
    const mine = await seedSnapshot(clients, { lineage: name, kind: 'periodic', volumeId: vol });
    const foreign = await seedSnapshot(clients, { lineage: other, kind: 'periodic', volumeId: vol });
    await seedService(clients, name, { snapshotId: mine, pointer: mine });
    const c = testContext({ env: motoEnv(), io: new BufferIo([true]) });
    const res = await runCommand(restoreCmd, [foreign, '--name', name], c);
    assert.equal(res.code, EXIT.refused);
    assert.equal(res.error?.message, `refused: snapshot ${foreign} belongs to lineage '${other}', not '${name}'; only snapshots of this deployment can be restored`);
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
  test('promote, pointer, then UpdateService keeping the volume configuration with the chosen snapshotId and desiredCount 1', async (t) => {
    const ec2 = mockClient(EC2Client);
    const ecs = mockClient(ECSClient);
    const ssm = mockClient(SSMClient);
    t.after(() => {
      ec2.restore();
      ecs.restore();
      ssm.restore();
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
    ec2.on(DescribeVolumesCommand).resolves({ Volumes: [] }); // no holder: Jenkins is already stopped
    ec2.on(CreateTagsCommand).resolves({});
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
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'snap-new' } });
    ssm.on(PutParameterCommand).resolves({});

    const ctx = testContext({ env: { AWS_REGION: 'us-east-1' } });
    const res = await runCommand(restoreCmd, ['snap-old', '--name', name, '--yes'], ctx);
    assert.equal(res.code, EXIT.ok, res.error?.message);

    const tagged = ec2.commandCalls(CreateTagsCommand)[0]?.args[0].input;
    assert.deepEqual(tagged?.Resources, ['snap-old']);
    assert.equal(tagged?.Tags?.[0]?.Key, TAGS.promotedAt);
    assert.ok(new Date(tagged?.Tags?.[0]?.Value ?? 0) > new Date('2026-03-01T10:00:00Z'), `promoted-at ${tagged?.Tags?.[0]?.Value} is after every StartTime`);
    assert.deepEqual(ssm.commandCalls(PutParameterCommand)[0]?.args[0].input, {
      Name: `/jenkins-ecs/${name}/pointer`,
      Value: 'snap-old',
      Type: 'String',
      Overwrite: true,
    });
    const update = ecs.commandCalls(UpdateServiceCommand)[0]?.args[0].input;
    assert.equal(update?.service, `jenkins-ecs-${name}-controller`);
    assert.equal(update?.desiredCount, 1);
    assert.equal(update?.forceNewDeployment, true);
    assert.deepEqual(update?.volumeConfigurations, [
      { ...volumeConfigurations[0], managedEBSVolume: { ...volumeConfigurations[0]!.managedEBSVolume, snapshotId: 'snap-old' } },
    ]);
    // Pointer first, then the service (protocol step 3).
    assert.equal(ecs.commandCalls(UpdateServiceCommand).length, 1);
    assert.ok(ssm.commandCalls(PutParameterCommand)[0]!.calledBefore(ecs.commandCalls(UpdateServiceCommand)[0]!));
  });
});
