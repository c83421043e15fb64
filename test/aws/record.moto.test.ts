// DynamoRecordAdapter against moto_server's DynamoDB (moto evaluates ConditionExpression on PutItem).
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoRecordAdapter, recordToItem } from '../../src/aws/record-adapter.js';
import { systemClock } from '../../src/continuity/clock.js';
import { commit } from '../../src/continuity/commit.js';
import { type LineageRecord, type RecordPort } from '../../src/continuity/record.js';
import { acquire, createRecord, register } from '../../src/continuity/transitions.js';
import { createRecordTable, motoClients, uniqueLineage } from './moto.js';

const { dynamodb } = motoClients();
const table = uniqueLineage('jenkins-ecs-test-lineage');
const store = new DynamoRecordAdapter(dynamodb, table);

before(async () => {
  await createRecordTable(dynamodb, table);
});

describe('DynamoRecordAdapter against moto', () => {
  test('a lineage without an item reads as no record', async () => {
    assert.equal(await store.read(uniqueLineage('absent')), undefined);
  });

  test('create only if absent; a second create loses', async () => {
    const lineage = uniqueLineage('create');
    assert.equal(await store.write(createRecord(lineage), undefined), true);
    assert.equal(await store.write(createRecord(lineage), undefined), false);
    assert.deepEqual(await store.read(lineage), createRecord(lineage));
  });

  test('a write conditioned on a seq that moved is refused and changes nothing', async () => {
    const lineage = uniqueLineage('cas');
    const r1 = createRecord(lineage);
    await store.write(r1, undefined);
    const a = acquire(r1, { taskArn: 'arn:task/a', volumeId: 'vol-a' });
    assert.ok(a.ok);
    assert.equal(await store.write(a.record, 1), true);
    const b = acquire(r1, { taskArn: 'arn:task/b', volumeId: 'vol-b' });
    assert.ok(b.ok);
    assert.equal(await store.write(b.record, 1), false, 'b decided on seq 1, which is gone');
    assert.equal((await store.read(lineage))?.holder?.taskArn, 'arn:task/a');
  });

  test('the item carries seq, head and launch as attributes next to the JSON record', async () => {
    const lineage = uniqueLineage('layout');
    const rec: LineageRecord = { ...createRecord(lineage), head: { snapshotId: 'snap-0h', seq: 1, kind: 'periodic' }, launch: 'snap-0h', snapshots: [{ snapshotId: 'snap-0h', seq: 1, kind: 'periodic' }] };
    await store.write(rec, undefined);
    const raw = await dynamodb.send(new GetItemCommand({ TableName: table, Key: { lineage: { S: lineage } }, ConsistentRead: true }));
    assert.equal(raw.Item?.seq?.N, '1');
    assert.equal(raw.Item?.head?.S, 'snap-0h');
    assert.equal(raw.Item?.launch?.S, 'snap-0h');
    assert.deepEqual(await store.read(lineage), rec);
  });

  test('an item whose JSON disagrees with its seq attribute is refused, not trusted', async () => {
    const lineage = uniqueLineage('bad');
    const item = recordToItem(createRecord(lineage));
    await dynamodb.send(new PutItemCommand({ TableName: table, Item: { ...item, seq: { N: '7' } } }));
    await assert.rejects(store.read(lineage), /disagrees/);
  });

  // moto 5.2.1 checks a PutItem condition and stores the item without a lock, so two requests
  // that arrive at the same instant can both pass (seen here: two winners in one of 10 rounds).
  // DynamoDB documents conditional writes as atomic; the truly concurrent races therefore run in
  // the simulator's store (test/sim), and here a competing writer is interleaved deterministically.
  test('commit() against moto: a competing write between the read and the write makes it read again and decide again', async () => {
    const lineage = uniqueLineage('interleave');
    await store.write(createRecord(lineage), undefined);
    let competed = false;
    const racing: RecordPort = {
      read: (l) => store.read(l),
      write: async (next, expected) => {
        if (!competed) {
          competed = true;
          const other = acquire((await store.read(lineage))!, { taskArn: 'arn:task/other', volumeId: 'vol-o' });
          assert.ok(other.ok);
          assert.equal(await store.write(other.record, expected), true, 'the competitor lands first');
        }
        return store.write(next, expected);
      },
    };
    const res = await commit(racing, lineage, (r) => acquire(r!, { taskArn: 'arn:task/me', volumeId: 'vol-m' }), { clock: systemClock });
    assert.equal(res.wrote, false);
    assert.equal(!res.outcome.ok && res.outcome.code, 'held', 'decided again on the fresh record: held by the competitor');
    assert.equal((await store.read(lineage))?.holder?.taskArn, 'arn:task/other');
    const reg = await commit(racing, lineage, (r) => register(r!, { token: 2, snapshotId: 'snap-1', kind: 'periodic' }), { clock: systemClock });
    assert.equal(reg.wrote, true);
    assert.equal((await store.read(lineage))?.head?.snapshotId, 'snap-1');
  });
});
