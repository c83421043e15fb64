/**
 * `jenkins-ecs snapshots` against moto_server: a lineage seeded as the keeper and a restore leave
 * it (tags on the snapshots, members in the lineage record). moto gap, covered with recorded
 * responses (aws-sdk-client-mock): moto completes snapshots at once, so a `pending` snapshot with
 * its EBS `Progress` never appears there.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateTagsCommand, DescribeSnapshotsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { recordToItem } from '../../src/aws/record-adapter.js';
import * as snapshots from '../../src/cli/commands/snapshots.js';
import { EXIT } from '../../src/cli/errors.js';
import { formatAge, formatTable, parseProgress, progressBar } from '../../src/cli/format.js';
import { scrubTimes } from '../../src/cli/io.js';
import { TAGS } from '../../src/continuity/model.js';
import { createRecord } from '../../src/continuity/transitions.js';
import { runCommand, testContext } from './support/context.js';
import { motoClients, motoEnv, seedSnapshot, seedVolume, uniqueName, updateRecord } from './support/moto.js';

interface Row {
  id: string;
  kind?: string;
  state: string;
  head: boolean;
  member: boolean;
  seq?: number;
  task?: string;
  source?: string;
  sizeGiB?: number;
  progress?: string;
}

describe('snapshots against moto', () => {
  const clients = motoClients();
  const name = uniqueName('ls');
  const task = 'arn:aws:ecs:us-east-1:123456789012:task/jenkins-ecs-x/0f1e2d';
  let periodic = '';
  let final = '';
  let restored = '';
  let foreign = '';

  before(async () => {
    const vol = await seedVolume(clients);
    restored = await seedSnapshot(clients, { lineage: name, kind: 'manual', volumeId: vol });
    await sleep(1100); // moto StartTime has whole seconds
    periodic = await seedSnapshot(clients, { lineage: name, kind: 'periodic', volumeId: vol, task });
    await sleep(1100);
    final = await seedSnapshot(clients, { lineage: name, kind: 'final', volumeId: vol, task, source: periodic });
    // A restore promoted the oldest one after the final snapshot: it moves to the end of the
    // record as a `restore` member with a new seq and becomes the head (the promote transition).
    await updateRecord(clients, name, (r) => {
      const entry = { snapshotId: restored, seq: r.seq + 1, kind: 'restore' as const };
      return { snapshots: [...r.snapshots.filter((e) => e.snapshotId !== restored), entry], head: entry, launch: restored };
    });
    // Tags decide nothing: a v0.1 promoted-at far in the future on the periodic one changes no order.
    await clients.ec2.send(new CreateTagsCommand({ Resources: [periodic], Tags: [{ Key: TAGS.promotedAt, Value: '2099-01-01T00:00:00.000Z' }] }));
    await sleep(1100);
    // A snapshot with the lineage tag that jenkins-ecs never registered (copied tags).
    foreign = await seedSnapshot(clients, { lineage: name, kind: 'periodic', volumeId: vol, foreign: true });
    // Another lineage's snapshot must not show up.
    await seedSnapshot(clients, { lineage: uniqueName('other'), kind: 'periodic', volumeId: vol });
  });

  test('members are listed in the record order, newest first, with record.head marked; a tagged snapshot outside the record comes last and is never the head', async () => {
    const ctx = testContext({ env: motoEnv() });
    const res = await runCommand(snapshots, ['--name', name, '--json'], ctx);
    assert.equal(res.code, EXIT.ok, res.error?.message);
    const out = JSON.parse(ctx.io.stdout.join('\n')) as { lineage: string; head: string; seq: number; snapshots: Row[] };
    assert.equal(out.lineage, name);
    assert.equal(out.head, restored);
    assert.deepEqual(
      out.snapshots.map((r) => [r.id, r.kind, r.head, r.member]),
      [
        [restored, 'restore', true, true],
        [final, 'final', false, true],
        [periodic, 'periodic', false, true],
        [foreign, 'periodic', false, false],
      ],
    );
    assert.equal(out.snapshots[0]?.seq, out.seq, 'the promotion is the newest write');
    const f = out.snapshots[1];
    assert.equal(f?.task, task);
    assert.equal(f?.source, periodic);
    assert.equal(f?.state, 'completed');
    assert.equal(f?.sizeGiB, 50);
    assert.ok(out.snapshots.every((r) => !('promotedAt' in r) && !('effectiveTime' in r)));
  });

  test('the human table marks the head with * and a snapshot outside the record with ?, and shows kind, start time, state, size, task and source', async () => {
    const ctx = testContext({ env: motoEnv() });
    const res = await runCommand(snapshots, ['--name', name], ctx);
    assert.equal(res.code, EXIT.ok, res.error?.message);
    const lines = ctx.io.text().split('\n');
    assert.match(lines[0] ?? '', /^ +SNAPSHOT +KIND +START TIME +STATE +SIZE +TASK +SOURCE$/);
    assert.match(lines[1] ?? '', new RegExp(`^\\* +${restored} +restore +<time> +completed +50 GiB +- +-$`));
    assert.match(lines[2] ?? '', new RegExp(`^ +${final} +final +<time> +completed +50 GiB +0f1e2d +${periodic}$`));
    assert.match(lines[4] ?? '', new RegExp(`^\\? +${foreign} +periodic +<time> +completed`));
    assert.ok(!ctx.io.text().includes('promoted'));
    assert.equal(lines.at(-1), `* head; 3 snapshot(s) in lineage '${name}'; ? 1 tagged with the lineage but not in its record (not registered yet, or not taken by jenkins-ecs)`);
  });

  test('an empty lineage says so and exits 0', async () => {
    const empty = uniqueName('ls');
    const ctx = testContext({ env: motoEnv() });
    const res = await runCommand(snapshots, ['--name', empty], ctx);
    assert.equal(res.code, EXIT.ok);
    assert.deepEqual(ctx.io.stdout, [`lineage '${empty}' has no snapshots yet`]);
  });
});

describe('snapshots with recorded responses (pending snapshots, which moto lacks)', () => {
  test('the pending head shows its progress; a member the listing misses is read by id; an error snapshot outside the record is never the head', async (t) => {
    const ec2 = mockClient(EC2Client);
    const ddb = mockClient(DynamoDBClient);
    t.after(() => {
      ec2.restore();
      ddb.restore();
    });
    const name = uniqueName('rec');
    const tags = (kind: string) => [
      { Key: TAGS.lineage, Value: name },
      { Key: TAGS.kind, Value: kind },
    ];
    const members = [
      { snapshotId: 'snap-a', seq: 2, kind: 'periodic' as const },
      { snapshotId: 'snap-b', seq: 3, kind: 'periodic' as const },
      { snapshotId: 'snap-d', seq: 4, kind: 'periodic' as const },
    ];
    ddb.on(GetItemCommand).resolves({ Item: recordToItem({ ...createRecord(name), seq: 4, snapshots: members, head: members[2] }) });
    ec2.on(DescribeSnapshotsCommand).resolves({
      Snapshots: [
        { SnapshotId: 'snap-a', State: 'completed', Progress: '100%', StartTime: new Date('2026-03-01T10:00:00Z'), VolumeSize: 50, Tags: tags('periodic') },
        { SnapshotId: 'snap-b', State: 'completed', Progress: '100%', StartTime: new Date('2026-03-01T10:15:00Z'), VolumeSize: 50, Tags: tags('periodic') },
        { SnapshotId: 'snap-c', State: 'error', Progress: '0%', StartTime: new Date('2026-03-01T10:30:00Z'), VolumeSize: 50, Tags: tags('final') },
      ],
    });
    // The tag listing lags: the newest member appears only when read by id.
    ec2.on(DescribeSnapshotsCommand, { SnapshotIds: ['snap-d'] }).resolves({
      Snapshots: [{ SnapshotId: 'snap-d', State: 'pending', Progress: '42%', StartTime: new Date('2026-03-01T10:45:00Z'), VolumeSize: 50, Tags: tags('periodic') }],
    });
    const ctx = testContext({ env: { AWS_REGION: 'us-east-1' } });
    const res = await runCommand(snapshots, ['--name', name], ctx);
    assert.equal(res.code, EXIT.ok, res.error?.message);
    const lines = ctx.io.text().split('\n');
    assert.match(lines[1] ?? '', /^\* +snap-d +periodic +<time> +pending 42% +50 GiB/);
    assert.match(lines[2] ?? '', /^ +snap-b +periodic +<time> +completed +50 GiB/);
    assert.match(lines[3] ?? '', /^ +snap-a +periodic +<time> +completed +50 GiB/);
    assert.match(lines[4] ?? '', /^\? +snap-c +final +<time> +error +50 GiB/);
    const get = ddb.commandCalls(GetItemCommand)[0]?.args[0].input;
    assert.equal(get?.ConsistentRead, true, 'the record is read strongly consistent');
  });
});

describe('format helpers used by the tables', () => {
  test('ages use one unit each and read "<n><unit> ago", which scrubTimes masks', () => {
    const now = new Date('2026-03-01T12:00:00Z');
    const ago = (ms: number) => formatAge(new Date(now.getTime() - ms), now);
    assert.deepEqual(
      [ago(42_000), ago(5 * 60_000), ago(3 * 3_600_000), ago(3 * 86_400_000), ago(-1000)],
      ['42s ago', '5 min ago', '3h ago', '3d ago', 'in the future'],
    );
    assert.equal(scrubTimes(`${ago(42_000)} ${ago(5 * 60_000)} ${ago(3 * 3_600_000)}`), '<age> ago <age> ago <age> ago');
  });

  test('EBS Progress strings become a bounded bar; empty or odd values count as 0%', () => {
    assert.deepEqual([parseProgress('42%'), parseProgress(''), parseProgress(undefined), parseProgress('250%')], [42, 0, 0, 100]);
    assert.equal(progressBar(50, 10), '[#####-----]  50%');
    assert.equal(progressBar(0, 4), '[----]   0%');
  });

  test('tables align columns and leave no trailing spaces', () => {
    assert.deepEqual(formatTable(['A', 'LONG'], [['xyz', ''], ['x', 'y']]), ['A    LONG', 'xyz', 'x    y']);
  });

  test('right-aligned columns are padded on the left, the last column too', () => {
    assert.deepEqual(formatTable(['ITEM', 'USD', ''], [['a', '$1.00', '*'], ['bb', '$12.50', '']], [1]), ['ITEM     USD', 'a      $1.00  *', 'bb    $12.50']);
    assert.deepEqual(formatTable(['X', 'USD'], [['a', '$1'], ['b', '$100']], [1]), ['X   USD', 'a    $1', 'b  $100']);
  });
});
