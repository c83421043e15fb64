/**
 * The SDK side of `jenkins-ecs migrate`: EFS, EC2, ECS, CloudWatch Logs and CloudWatch clients
 * (endpoints from `AWS_ENDPOINT_URL[_<SERVICE>]`, like every client here) and the DynamoDB lineage
 * record of the deployment.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EFSClient } from '@aws-sdk/client-efs';
import { baseConfig, createClients, type ClientOptions } from '../aws/clients.js';
import { Ec2Adapter } from '../aws/ec2-adapter.js';
import { MigrationAdapter } from '../aws/migration-adapter.js';
import { DynamoRecordAdapter } from '../aws/record-adapter.js';
import { systemClock } from '../continuity/clock.js';
import type { AwsTarget } from './aws-context.js';
import type { MigrateDeps } from './commands/migrate.js';

export function defaultMigrateDeps(target: AwsTarget): MigrateDeps {
  const options: ClientOptions = { ...(target.region ? { region: target.region } : {}), env: target.env, maxAttempts: 5 };
  const clients = createClients(options);
  return {
    migration: new MigrationAdapter({
      efs: new EFSClient(baseConfig('EFS', options)),
      ec2: clients.ec2,
      ecs: clients.ecs,
      logs: new CloudWatchLogsClient(baseConfig('CLOUDWATCH_LOGS', options)),
      cloudwatch: new CloudWatchClient(baseConfig('CLOUDWATCH', options)),
    }),
    ec2: new Ec2Adapter(clients.ec2),
    records: new DynamoRecordAdapter(clients.dynamodb, target.names.recordTable),
    clock: systemClock,
  };
}
