/**
 * Entry point of the migration task (bundled into the image staged by migration-image.ts).
 * Exit 0 once the seed snapshot is completed; 1 with a `failed` line otherwise.
 */
import { createClients } from '../aws/clients.js';
import { Ec2Adapter } from '../aws/ec2-adapter.js';
import { EcsAdapter } from '../aws/ecs-adapter.js';
import { systemClock } from '../continuity/clock.js';
import { syncFileSystem } from '../keeper/host.js';
import { TaskMetadataClient } from '../keeper/metadata.js';
import { METADATA_ENV, regionOfArn } from '../keeper/settings.js';
import type { FailedEvent } from './events.js';
import { readMigrationSettings, runMigration } from './run.js';

const print = (line: string) => process.stdout.write(`${line}\n`);

async function main(env: NodeJS.ProcessEnv): Promise<number> {
  const uri = env[METADATA_ENV];
  if (!uri) throw new Error(`${METADATA_ENV} is not set: the migration must run in an ECS task`);
  const task = await new TaskMetadataClient(uri).task();
  const settings = readMigrationSettings(env, task);
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || regionOfArn(task.taskArn);
  const clients = createClients({ ...(region ? { region } : {}), env, maxAttempts: 8 });
  await runMigration(
    { ec2: new Ec2Adapter(clients.ec2), ecs: new EcsAdapter(clients.ecs), clock: systemClock, sync: (p) => syncFileSystem(p, 600_000), print },
    settings,
  );
  return 0;
}

main(process.env).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const failed: FailedEvent = { msg: 'failed', reason: e instanceof Error ? e.message : String(e) };
    print(JSON.stringify(failed));
    process.exit(1);
  },
);
