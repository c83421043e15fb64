/**
 * The keeper process (docs/protocol.md): read the environment, find the task, run the
 * core Keeper's gate, the periodic snapshots and the SIGTERM procedure, with JSON logs and a
 * heartbeat for the container health check. `main.ts` is the entry point; this module is the logic.
 */
import { createClients, createS3Client } from '../aws/clients.js';
import { Ec2Adapter } from '../aws/ec2-adapter.js';
import { EcsAdapter } from '../aws/ecs-adapter.js';
import { DynamoRecordAdapter } from '../aws/record-adapter.js';
import { systemClock } from '../continuity/clock.js';
import { Keeper, KEEPER_EXIT, KeeperError } from '../continuity/keeper.js';
import type { LogEntry, MarkerKind } from '../continuity/ports.js';
import { awsErrorCode } from '../continuity/retry.js';
import { MARKERS } from '../continuity/settings.js';
import { S3DeltaPort } from './delta.js';
import { checkHealth, HEARTBEAT_INTERVAL_MS, writeHeartbeat } from './health.js';
import { ContainerHost } from './host.js';
import { createLogger } from './log.js';
import { TaskMetadataClient, type TaskMetadata } from './metadata.js';
import { KeeperSettingsError, readKeeperSettings, readRunDir, regionOfArn, type KeeperSettings } from './settings.js';

/** Exit codes of the keeper process beyond the core's KEEPER_EXIT (0 ok, 1 final snapshot failed, 4 fenced). */
export const PROCESS_EXIT = { ok: 0, finalSnapshotFailed: 1, startFailed: 3, badEnvironment: 2, fenced: KEEPER_EXIT.fenced } as const;

async function taskMetadataWithRetries(client: TaskMetadataClient, log: (e: LogEntry) => void): Promise<TaskMetadata> {
  // The endpoint can lag the container start by a moment; a short bounded retry covers it.
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.task();
    } catch (e) {
      if (attempt >= 10) throw e;
      log({ level: 'warn', msg: 'task metadata not available yet, retrying', attempt, error: String(e) });
      await systemClock.sleep(500 * attempt);
    }
  }
}

export interface KeeperProcess {
  /** Resolves with the exit code once the keeper is done (after SIGTERM, or on a start failure). */
  readonly done: Promise<number>;
  /** What the SIGTERM handler calls. */
  terminate(): void;
}

/** Starts the keeper; the caller wires signals and exits with `done`'s code. */
export function startKeeper(settings: KeeperSettings, env: NodeJS.ProcessEnv, log = createLogger()): KeeperProcess {
  let keeper: Keeper | undefined;
  let terminated = false;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  let finished = false;
  const finish = (code: number): void => {
    if (finished) return;
    finished = true;
    clearInterval(heartbeat);
    resolveDone(code);
  };

  const beat = (): void => {
    writeHeartbeat(settings.runDir, new Date()).catch((e: unknown) => log({ level: 'warn', msg: 'heartbeat not written', error: String(e) }));
  };
  const heartbeat = setInterval(beat, HEARTBEAT_INTERVAL_MS);
  beat();

  const terminate = (): void => {
    if (terminated) return;
    terminated = true;
    log({ level: 'info', msg: 'SIGTERM received', lineage: settings.lineage });
    if (!keeper) {
      // Nothing authorized yet: exit 0 at once (protocol, "Keeper on SIGTERM" step 1).
      finish(PROCESS_EXIT.ok);
      return;
    }
    keeper.stop().then(finish, (e: unknown) => {
      log({ level: 'error', msg: 'stop failed', lineage: settings.lineage, error: String(e) });
      finish(PROCESS_EXIT.finalSnapshotFailed);
    });
  };

  const run = async (): Promise<void> => {
    const metadata = new TaskMetadataClient(settings.metadataUri);
    const host = new ContainerHost({ runDir: settings.runDir, metadata, jenkinsContainer: settings.jenkinsContainer });
    // Markers from an earlier keeper in this task must not open the gate for this one.
    await Promise.all((Object.keys(MARKERS) as MarkerKind[]).map((kind) => host.clearMarker(kind)));
    const task = await taskMetadataWithRetries(metadata, log);
    if (terminated) return;
    const cluster = settings.cluster ?? task.cluster;
    if (!cluster) throw new KeeperSettingsError(['no cluster: set JENKINS_ECS_CLUSTER or run where task metadata has Cluster']);
    const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || regionOfArn(task.taskArn);
    const clientOptions = { ...(region ? { region } : {}), env };
    const clients = createClients(clientOptions);
    const { handoff } = settings;
    const delta = handoff ? new S3DeltaPort({ client: createS3Client(clientOptions), bucket: handoff.bucket, ...(handoff.kmsKeyId ? { encryption: { kmsKeyId: handoff.kmsKeyId } } : {}) }) : undefined;
    keeper = new Keeper(
      {
        ec2: new Ec2Adapter(clients.ec2),
        ecs: new EcsAdapter(clients.ecs),
        record: new DynamoRecordAdapter(clients.dynamodb, settings.recordTable),
        clock: systemClock,
        host,
        log,
        ...(delta ? { delta } : {}),
      },
      {
        lineage: settings.lineage,
        cluster,
        taskArn: task.taskArn,
        homePath: settings.homePath,
        intervalMinutes: settings.intervalMinutes,
        ...settings.tuning,
      },
    );
    // A lease taken over: exit non-zero at once; the keeper is essential, so ECS stops the task.
    void keeper.fenced.then(() => finish(PROCESS_EXIT.fenced));
    log({ level: 'info', msg: 'keeper started', lineage: settings.lineage, task: task.taskArn, cluster, home: settings.homePath, handoffBucket: handoff?.bucket ?? null });
    try {
      await keeper.start();
    } catch (e) {
      if (e instanceof KeeperError && e.code === 'aborted') return; // SIGTERM: stop() decides the exit code
      throw e;
    }
    await keeper.runPeriodic();
  };

  run().catch((e: unknown) => {
    if (terminated) return;
    log({
      level: 'error',
      msg: 'keeper could not start; the gate stays closed',
      lineage: settings.lineage,
      code: e instanceof KeeperError ? e.code : (awsErrorCode(e) ?? 'unknown'),
      error: String(e),
    });
    finish(PROCESS_EXIT.startFailed);
  });

  return { done, terminate };
}

/** `node keeper.js [--health]`: returns the process exit code. */
export async function keeperMain(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const log = createLogger();
  if (argv.includes('--health')) {
    const runDir = readRunDir(env);
    const result = await checkHealth(runDir, new Date());
    log({ level: result.healthy ? 'debug' : 'warn', msg: 'health check', healthy: result.healthy, reason: result.reason });
    return result.healthy ? 0 : 1;
  }
  let settings: KeeperSettings;
  try {
    settings = readKeeperSettings(env);
  } catch (e) {
    log({ level: 'error', msg: 'keeper environment is invalid', problems: e instanceof KeeperSettingsError ? e.problems : [String(e)] });
    return PROCESS_EXIT.badEnvironment;
  }
  const proc = startKeeper(settings, env, log);
  const onSignal = (): void => proc.terminate();
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return proc.done;
}
