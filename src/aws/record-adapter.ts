/**
 * `RecordPort` over DynamoDB (docs/design/lineage-record.md, "The store"): one item per lineage,
 * read with `GetItem ConsistentRead`, written whole with `PutItem` conditioned on the `seq` that
 * was read (or on the item not existing yet). DynamoDB documents that a conditional write is
 * applied only if its condition holds on the item as stored at that moment, and that a strongly
 * consistent read returns every write that succeeded before it.
 *
 * Item layout (attribute: type):
 * - `lineage`: S, the partition key;
 * - `seq`: N, the record's sequence (what every write is conditioned on);
 * - `format`: N;
 * - `head`: S, the head snapshot id, absent without a head (for the `LaunchSnapshot` resource and humans);
 * - `launch`: S, the launch snapshot id, absent until set (same);
 * - `record`: S, the whole {@link LineageRecord} as JSON: what readers decode.
 */
import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient, type PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import { RECORD_FORMAT, RECORD_TABLE, type LineageRecord, type RecordPort } from '../continuity/record.js';
import { AdapterError } from './errors.js';

export const RECORD_ATTRIBUTES = { seq: 'seq', format: 'format', head: 'head', launch: 'launch', body: 'record' } as const;

export function recordToItem(record: LineageRecord): Record<string, AttributeValue> {
  return {
    [RECORD_TABLE.partitionKey]: { S: record.lineage },
    [RECORD_ATTRIBUTES.seq]: { N: String(record.seq) },
    [RECORD_ATTRIBUTES.format]: { N: String(record.format) },
    ...(record.head ? { [RECORD_ATTRIBUTES.head]: { S: record.head.snapshotId } } : {}),
    ...(record.launch ? { [RECORD_ATTRIBUTES.launch]: { S: record.launch } } : {}),
    [RECORD_ATTRIBUTES.body]: { S: JSON.stringify(record) },
  };
}

function isRecord(v: unknown): v is LineageRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Partial<LineageRecord>;
  return typeof r.lineage === 'string' && typeof r.seq === 'number' && typeof r.format === 'number' && Array.isArray(r.snapshots);
}

export function recordFromItem(item: Record<string, AttributeValue>): LineageRecord {
  const lineage = item[RECORD_TABLE.partitionKey]?.S ?? '(unknown)';
  const body = item[RECORD_ATTRIBUTES.body]?.S;
  let parsed: unknown;
  try {
    parsed = body === undefined ? undefined : JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  if (!isRecord(parsed)) throw new AdapterError('MalformedRecord', `the lineage record of ${lineage} has no readable '${RECORD_ATTRIBUTES.body}' attribute`);
  const seq = Number(item[RECORD_ATTRIBUTES.seq]?.N);
  if (seq !== parsed.seq || parsed.lineage !== lineage) {
    throw new AdapterError('MalformedRecord', `the lineage record of ${lineage} disagrees with itself (seq ${String(seq)} vs ${parsed.seq})`);
  }
  return parsed;
}

export class DynamoRecordAdapter implements RecordPort {
  public constructor(
    private readonly client: DynamoDBClient,
    public readonly tableName: string,
  ) {}

  public async read(lineage: string): Promise<LineageRecord | undefined> {
    const res = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { [RECORD_TABLE.partitionKey]: { S: lineage } }, ConsistentRead: true }),
    );
    return res.Item ? recordFromItem(res.Item) : undefined;
  }

  public async write(next: LineageRecord, expectedSeq: number | undefined): Promise<boolean> {
    if (next.seq !== (expectedSeq ?? 0) + 1) throw new RangeError(`record seq must advance by one (expected ${expectedSeq ?? 'none'}, got ${next.seq})`);
    if (next.format > RECORD_FORMAT) throw new RangeError(`refusing to write record format ${next.format} (this version writes ${RECORD_FORMAT})`);
    const condition: Pick<PutItemCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> =
      expectedSeq === undefined
        ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': RECORD_TABLE.partitionKey } }
        : {
            ConditionExpression: '#seq = :expected',
            ExpressionAttributeNames: { '#seq': RECORD_ATTRIBUTES.seq },
            ExpressionAttributeValues: { ':expected': { N: String(expectedSeq) } },
          };
    try {
      await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: recordToItem(next), ...condition }));
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException || (e as { name?: unknown }).name === 'ConditionalCheckFailedException') return false;
      throw e;
    }
  }
}
