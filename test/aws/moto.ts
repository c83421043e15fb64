// Shared helpers for tests that talk to moto_server. They refuse to run without MOTO_URL, so a
// misconfigured run fails loudly instead of reaching real AWS.
import { randomBytes } from 'node:crypto';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createClients, type AwsClients } from '../../src/aws/clients.js';
import { RECORD_TABLE } from '../../src/continuity/record.js';

export function motoUrl(): string {
  const url = process.env.MOTO_URL;
  if (!url) throw new Error('MOTO_URL is not set: run through `node scripts/run-tests.mjs` (never against real AWS)');
  if (!/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/?$/.test(url)) throw new Error(`MOTO_URL must be local, got ${url}`);
  return url;
}

export function motoClients(): AwsClients {
  return createClients({ endpoint: motoUrl(), region: 'us-east-1', maxAttempts: 1 });
}

/** A lineage id no other test (or parallel test file) shares on the same moto server. */
export function uniqueLineage(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Creates a lineage-record table laid out like the stack's (partition key only, on demand). */
export async function createRecordTable(dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: RECORD_TABLE.partitionKey, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: RECORD_TABLE.partitionKey, KeyType: 'HASH' }],
    }),
  );
}
