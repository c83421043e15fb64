// EC2 adapter against moto_server: snapshots, volumes and tags round trip.
// moto completes snapshots at once; pending snapshots are covered in ec2.recorded.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateSnapshotCommand, CreateTagsCommand, CreateVolumeCommand, DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { Ec2Adapter } from '../../src/aws/ec2-adapter.js';
import { TAGS } from '../../src/continuity/model.js';
import { motoClients, uniqueLineage } from './moto.js';

const { ec2 } = motoClients();
const adapter = new Ec2Adapter(ec2);

async function newVolume(tags: Record<string, string> = {}, snapshotId?: string): Promise<string> {
  const res = await ec2.send(
    new CreateVolumeCommand({
      AvailabilityZone: 'us-east-1a',
      Size: 1,
      SnapshotId: snapshotId,
      TagSpecifications: Object.keys(tags).length
        ? [{ ResourceType: 'volume', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }]
        : undefined,
    }),
  );
  assert.ok(res.VolumeId);
  return res.VolumeId;
}

describe('Ec2Adapter against moto', () => {
  test('createSnapshot tags the snapshot on the call and listLineage finds it with every tag mapped', async () => {
    const lineage = uniqueLineage('ec2');
    const volumeId = await newVolume();
    const taken = await adapter.createSnapshot(volumeId, {
      lineage,
      kind: 'final',
      task: 'arn:aws:ecs:us-east-1:123456789012:task/c/abc',
      source: 'snap-0source',
    });
    assert.match(taken.id, /^snap-/);
    assert.equal(taken.lineage, lineage);
    assert.equal(taken.kind, 'final');
    assert.equal(taken.volumeId, volumeId);

    const listed = await adapter.listLineage(lineage);
    assert.equal(listed.length, 1);
    const s = listed[0]!;
    assert.equal(s.id, taken.id);
    assert.equal(s.kind, 'final');
    assert.equal(s.task, 'arn:aws:ecs:us-east-1:123456789012:task/c/abc');
    assert.equal(s.source, 'snap-0source');
    assert.ok(s.state === 'completed' || s.state === 'pending');
    assert.ok(s.startTime instanceof Date && s.startTime.getTime() > 0);
    assert.equal(s.promotedAt, undefined);

    const raw = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [taken.id] }));
    const keys = (raw.Snapshots?.[0]?.Tags ?? []).map((t) => t.Key).sort();
    assert.deepEqual(keys, [TAGS.kind, TAGS.lineage, TAGS.source, TAGS.task].sort());
  });

  test('listLineage returns only snapshots of the asked lineage', async () => {
    const mine = uniqueLineage('mine');
    const other = uniqueLineage('other');
    const volumeId = await newVolume();
    const a = await adapter.createSnapshot(volumeId, { lineage: mine, kind: 'periodic' });
    await adapter.createSnapshot(volumeId, { lineage: other, kind: 'periodic' });
    // an untagged snapshot of the same volume is not part of any lineage
    await ec2.send(new CreateSnapshotCommand({ VolumeId: volumeId }));
    const listed = await adapter.listLineage(mine);
    assert.deepEqual(listed.map((s) => s.id), [a.id]);
  });

  test("a v0.1 restore's promoted-at tag maps to the model date (the bootstrap orders by it)", async () => {
    const lineage = uniqueLineage('promote');
    const s = await adapter.createSnapshot(await newVolume(), { lineage, kind: 'manual' });
    const at = '2026-03-04T05:06:07.000Z';
    await ec2.send(new CreateTagsCommand({ Resources: [s.id], Tags: [{ Key: TAGS.promotedAt, Value: at }] }));
    const again = await adapter.describeSnapshot(s.id);
    assert.equal(again?.promotedAt?.toISOString(), at);
  });

  test('deleteSnapshot removes it, and deleting a snapshot that is already gone is not an error', async () => {
    const lineage = uniqueLineage('delete');
    const s = await adapter.createSnapshot(await newVolume(), { lineage, kind: 'periodic' });
    await adapter.deleteSnapshot(s.id);
    assert.deepEqual(await adapter.listLineage(lineage), []);
    assert.equal(await adapter.describeSnapshot(s.id), undefined);
    await adapter.deleteSnapshot(s.id);
  });

  test('describeVolume reports the source snapshot and holder; a missing volume is undefined', async () => {
    const lineage = uniqueLineage('vol');
    const seed = await adapter.createSnapshot(await newVolume(), { lineage, kind: 'seed' });
    const volumeId = await newVolume({ [TAGS.holder]: lineage }, seed.id);
    const v = await adapter.describeVolume(volumeId);
    assert.equal(v?.id, volumeId);
    assert.equal(v?.snapshotId, seed.id);
    assert.equal(v?.holder, lineage);
    assert.equal(v?.state, 'available');
    assert.ok(v?.createTime instanceof Date);
    assert.equal((await adapter.describeVolume(await newVolume()))?.snapshotId, undefined);
    assert.equal(await adapter.describeVolume('vol-0123456789abcdef0'), undefined);
  });

  test('listHolders sees only volumes whose v0.1 holder tag names the lineage (what a bootstrap waits for)', async () => {
    const lineage = uniqueLineage('holder');
    const a = await newVolume({ [TAGS.holder]: lineage });
    await newVolume({ [TAGS.holder]: uniqueLineage('elsewhere') });
    await newVolume();
    assert.deepEqual((await adapter.listHolders(lineage)).map((v) => v.id), [a]);
  });
});
