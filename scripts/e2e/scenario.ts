/**
 * The e2e scenario as a sequence of steps over injected operations, so the order of events and
 * the assertions can be exercised against a fake world (test/e2e) as well as real AWS.
 */
import type { StatusReport } from '../../src/cli/commands/status.js';
import type { Clock } from '../../src/continuity/ports.js';
import { checkMarkers, newMarker, parseMarkers, wasWritten, type Marker } from './marker.js';
import type { Steps } from './steps.js';
import type { MarkerTransport } from './transport.js';
import { convergence, waitFor } from './wait.js';

export const PLAN = [
  'deploy',
  'first start converges',
  'write first marker',
  'assert first marker after deploy',
  'restart (force new deployment)',
  'assert first marker after restart',
  'crash (StopTask)',
  'assert first marker after crash',
  'snapshot before second marker',
  'write second marker',
  'restore to that snapshot',
  'assert restore (first present, second absent)',
] as const;

export interface DeployOutputs {
  readonly url?: string;
  readonly secretArn?: string;
}

/** What the scenario does to the world; e2e-aws.ts implements it with cdk, the SDK and the CLI. */
export interface ScenarioOps {
  /** `cdk deploy --all`; the main stack's outputs. */
  deploy(): Promise<DeployOutputs>;
  /** `jenkins-ecs status`' report of the deployment. */
  status(): Promise<StatusReport>;
  /** How to reach JENKINS_HOME, once the first task has converged. */
  connect(outputs: DeployOutputs): Promise<MarkerTransport>;
  /** Extra readiness after each start (the script console needs Jenkins answering). */
  afterStart(outputs: DeployOutputs): Promise<void>;
  forceNewDeployment(): Promise<void>;
  stopTask(taskArn: string): Promise<void>;
  /** `jenkins-ecs snapshot --wait`: a completed snapshot of the holder; its id. */
  snapshot(): Promise<string>;
  /** `jenkins-ecs restore <id> --yes`. */
  restore(snapshotId: string): Promise<void>;
}

export interface ScenarioOptions {
  /** The deployment name (markers carry it). */
  readonly name: string;
  readonly steps: Steps;
  readonly clock: Clock;
  /** Each wait for the controller to converge. */
  readonly timeoutMs: number;
  /** @default 15000 */
  readonly pollMs?: number;
  /** Marker randomness (tests fix it). @default crypto randomBytes */
  readonly random?: (n: number) => Buffer;
}

export async function scenario(ops: ScenarioOps, options: ScenarioOptions): Promise<void> {
  const { steps, clock } = options;
  const pollMs = options.pollMs ?? 15_000;
  const progress = (d: string) => steps.log(`   ${d}`);

  const converged = (previousTaskArn: string | undefined, what: string) =>
    waitFor(what, async () => convergence(await ops.status(), previousTaskArn), { timeoutMs: options.timeoutMs, intervalMs: pollMs, clock, onChange: progress });

  // ECS Exec's agent comes up after the task is RUNNING, so the first tries may fail: retry.
  const via = (transport: MarkerTransport, taskArn: string, write?: Marker) =>
    waitFor(
      write ? `writing marker ${write.label}` : 'reading markers',
      async () => {
        const out = await transport.run(taskArn, write);
        const finished = write ? wasWritten(out) : parseMarkers(out).complete;
        return { done: finished, detail: finished ? 'ok' : `incomplete output: ${JSON.stringify(out.slice(-200))}`, value: out };
      },
      { timeoutMs: 5 * 60_000, intervalMs: pollMs, clock, maxConsecutiveErrors: 8, onChange: progress },
    );

  const outputs = await steps.run('deploy', () => ops.deploy(), (o) => `Jenkins at ${o.url ?? '(no Url output)'}`);

  let transport: MarkerTransport | undefined;
  let task = await steps.run(
    'first start converges',
    async () => {
      const arn = await converged(undefined, 'the first start');
      transport = await ops.connect(outputs);
      await ops.afterStart(outputs);
      return arn;
    },
    (arn) => `task ${arn.split('/').pop()}`,
  );
  const home = transport!;

  const first = newMarker('first', options.name, options.random);
  const second = newMarker('second', options.name, options.random);
  const assertMarkers = (label: string, present: Marker[], absent: Marker[] = []) =>
    steps.check(label, async () => checkMarkers(await via(home, task), { present, absent }));
  const shortTask = () => `now task ${task.split('/').pop()}`;

  await steps.run('write first marker', () => via(home, task, first), () => `${first.file} = ${first.token} (via ${home.kind})`);
  await assertMarkers('assert first marker after deploy', [first]);

  await steps.run(
    'restart (force new deployment)',
    async () => {
      await ops.forceNewDeployment();
      task = await converged(task, 'the restart to converge');
      await ops.afterStart(outputs);
    },
    shortTask,
  );
  await assertMarkers('assert first marker after restart', [first]);

  await steps.run(
    'crash (StopTask)',
    async () => {
      await ops.stopTask(task);
      task = await converged(task, 'the replacement task to converge');
      await ops.afterStart(outputs);
    },
    shortTask,
  );
  await assertMarkers('assert first marker after crash', [first]);

  // The first marker was flushed before the restart, so this snapshot holds it; the second is
  // written after CreateSnapshot returned, so it is not in it.
  const snapshotId = await steps.run('snapshot before second marker', () => ops.snapshot(), (id) => id);

  await steps.run(
    'write second marker',
    async () => {
      await via(home, task, second);
      // Only the new marker: the first one's fate is asserted by the steps above.
      const v = checkMarkers(await via(home, task), { present: [second] });
      if (!v.ok) throw new Error(`after writing: ${v.detail}`);
    },
    () => `${second.file} = ${second.token}`,
  );

  await steps.run(
    'restore to that snapshot',
    async () => {
      await ops.restore(snapshotId);
      task = await converged(task, 'the restored task to converge');
      await ops.afterStart(outputs);
    },
    () => `${shortTask()} from ${snapshotId}`,
  );
  await assertMarkers('assert restore (first present, second absent)', [first], [second]);
}
