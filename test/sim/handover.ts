/**
 * Planned handovers in the simulator (issue 12): `jenkins-ecs restart` and a `cdk deploy` that
 * replaces the controller task, driven by the real step machine (src/continuity/handover.ts) and
 * the real deploy entry points of the LaunchSnapshot resource (src/continuity/handover-deploy.ts),
 * each through the simulator's ports (throttling, lost answers, skewed clocks), and interrupted:
 * - a **killed CLI**: the process dies at a random moment (its calls never answer, its sleeps never
 *   end); the operator re-runs `restart`, which resumes the handover the record shows;
 * - a **custom-resource timeout**: the Provider framework gives up after a few attempts; the stack
 *   rolls back and the rollback's Update (old properties) resumes the handover;
 * - a **killed isComplete invocation** (Lambda timeout): the framework retries;
 * - a **CloudFormation rollback that deletes the resource**: Delete finishes the handover with the
 *   service as the starter;
 * - a **task crash during the pre-copy**: the holder dies while its pre-copy snapshot is taken.
 * The Provider framework is modelled as documented in aws-cdk-lib's runtime (framework.js: onEvent's
 * answer merged into the event every isComplete gets; waiter-state-machine.js: a fixed interval,
 * MaxAttempts, then onTimeout fails the resource) with the timing of src/launch/timing.ts.
 */
import { driveHandover, HandoverError } from '../../src/continuity/handover.js';
import { beginDeployHandover, pollDeployHandover, type DeployEvent, type HandoverData } from '../../src/continuity/handover-deploy.js';
import { TASK_PROPERTIES } from '../../src/launch/handler.js';
import { LAUNCH_LAMBDA_TIMEOUT_MS, LAUNCH_MAX_ATTEMPTS, LAUNCH_POLL_MS, LAUNCH_STEP_BUDGET_MS } from '../../src/launch/timing.js';
import { LINEAGE, type Sim } from './world.js';

const CLUSTER = 'sim-cluster';
const SERVICE = 'sim-controller';
const CFG = { lineage: LINEAGE, cluster: CLUSTER, service: SERVICE, pollMs: 5_000, preCopyTimeoutMs: 15 * 60_000 };
const VOLUME = { RoleArn: 'arn:aws:iam::123456789012:role/infra', SizeInGiB: '50', VolumeType: 'gp3' };

export type DeployFault = 'none' | 'timeout' | 'lambda-killed' | 'delete';

/**
 * `jenkins-ecs restart`. With `killAfterMs` the CLI dies that long after it starts; the operator
 * re-runs it 30 s to 5 min later (again killable with `killAgain`), until one run finishes.
 */
export function plannedRestart(sim: Sim, opts: { killAfterMs?: number; killAgain?: number } = {}): void {
  if (sim.handoverInProgress) return;
  sim.handoversBegun++;
  runRestart(sim, `restart-${sim.stepNo}-${++sim.driverSeq}`, opts.killAfterMs, opts.killAgain ?? 0);
}

function runRestart(sim: Sim, id: string, killAfterMs: number | undefined, killAgain: number): void {
  const caller = sim.newCaller(`handover-cli#${++sim.driverSeq}`, sim.opts.cliSkewMs);
  sim.handoverDrivers++;
  let finished = false;
  const end = (): void => {
    if (finished) return;
    finished = true;
    sim.handoverDrivers--;
  };
  const rerun = (why: string): void => {
    const delay = sim.rng.int(30_000, 300_000);
    sim.note(`operator re-runs 'jenkins-ecs restart' in ${delay} ms (${why})`);
    sim.handoverDrivers++;
    sim.clock.schedule(delay, () => {
      sim.handoverDrivers--;
      const again = killAgain > 0 ? sim.rng.int(1_000, 600_000) : undefined;
      runRestart(sim, `restart-${sim.stepNo}-${++sim.driverSeq}`, again, killAgain - 1);
    });
  };
  sim.note(`${caller.name}: jenkins-ecs restart (${id})${killAfterMs !== undefined ? `, killed after ${killAfterMs} ms` : ''}`);
  driveHandover(sim.handoverDeps(caller), { ...CFG, starter: 'service' }, { id, resume: true }).then(
    () => {
      if (finished) return;
      end();
      sim.handoversFinished++;
      sim.note(`${caller.name}: restart done`);
    },
    (err: unknown) => {
      if (finished) return;
      end();
      sim.note(`${caller.name}: restart failed: ${String(err)}`);
      // Interrupted (AWS kept failing): the record shows the handover, the operator re-runs.
      if (!(err instanceof HandoverError) && sim.record?.operation?.kind === 'handover') rerun('the last run failed');
    },
  );
  if (killAfterMs !== undefined) {
    sim.clock.schedule(killAfterMs, () => {
      if (finished) return;
      caller.alive = false;
      sim.note(`${caller.name} KILLED`);
      end();
      if (sim.record?.operation?.kind === 'handover') rerun('the CLI was killed');
    });
  }
}

/** Old and new properties of the LaunchSnapshot resource for a deploy that registers a new task definition. */
function deployEvents(sim: Sim): { forward: DeployEvent; rollback: DeployEvent; taskDefinition: string } {
  const before = sim.taskDefinition;
  const after = sim.nextTaskDefinition();
  const props = (td: string) => ({ ServiceToken: 'arn:provider', Lineage: LINEAGE, TaskDefinition: td, ManagedEBSVolume: VOLUME });
  return {
    forward: { RequestType: 'Update', ResourceProperties: props(after), OldResourceProperties: props(before) },
    rollback: { RequestType: 'Update', ResourceProperties: props(before), OldResourceProperties: props(after) },
    taskDefinition: after,
  };
}

/**
 * `cdk deploy` with a new task definition: the LaunchSnapshot resource (onEvent + isComplete under
 * the Provider framework), then CloudFormation's service update from its answer. `fault` picks the
 * interruption.
 */
export function plannedDeploy(sim: Sim, fault: DeployFault = 'none'): void {
  if (sim.handoverInProgress) return;
  sim.handoversBegun++;
  sim.handoverDrivers++;
  const { forward, rollback, taskDefinition } = deployEvents(sim);
  sim.note(`cdk deploy ${taskDefinition} (fault: ${fault})`);
  void deployFlow(sim, forward, rollback, taskDefinition, fault).then(
    () => {
      sim.handoverDrivers--;
    },
    (err: unknown) => {
      sim.handoverDrivers--;
      sim.note(`cdk deploy failed: ${String(err)}`);
    },
  );
}

async function deployFlow(sim: Sim, forward: DeployEvent, rollback: DeployEvent, taskDefinition: string, fault: DeployFault): Promise<void> {
  let data: HandoverData | undefined;
  try {
    data = await onEvent(sim, forward);
  } catch (err) {
    // onEvent failed (an AWS error outlived the retries): the resource fails, the stack rolls back,
    // and the rollback's Update (old properties) resumes whatever handover the record shows. A
    // rollback whose onEvent fails too is continued by the operator (continue-update-rollback).
    sim.note(`cloudformation: onEvent failed (${String(err)}); the stack rolls back`);
    await rollBack(sim, rollback);
    return;
  }
  // The framework gives up after `attempts` (a timeout fault: a few; otherwise all of them).
  const attempts = fault === 'timeout' || fault === 'delete' ? sim.rng.int(1, 6) : LAUNCH_MAX_ATTEMPTS;
  const complete = await waiter(sim, { ...forward, ...(data ? { Data: data } : {}) }, attempts, fault === 'lambda-killed');
  if (complete) {
    // The resource's launch decision (`launch`, else the completed head, else the seed);
    // CloudFormation updates the service with it.
    // Without a handover (none could begin: no head yet, a restore in progress) that is the
    // unplanned path of two starts, and not counted as a planned one.
    await sim.clock.sleep(sim.rng.int(1_000, 20_000));
    sim.cloudFormationServiceUpdate(sim.deployValue(), taskDefinition, data !== undefined);
    if (data !== undefined) sim.handoversFinished++;
    return;
  }
  if (fault === 'delete') {
    sim.note('cloudformation: the update failed; the rollback deletes the LaunchSnapshot resource');
    if (!(await waiter(sim, { RequestType: 'Delete', ResourceProperties: forward.ResourceProperties }, LAUNCH_MAX_ATTEMPTS, false))) throw new Error('the Delete timed out');
    sim.handoversFinished++;
    return;
  }
  sim.note('cloudformation: the LaunchSnapshot resource timed out; the stack rolls back');
  await rollBack(sim, rollback);
}

/**
 * The rollback's Update of the resource (old properties): it resumes the handover the record shows
 * and, the service never having been updated, nothing more comes from CloudFormation. A rollback
 * that fails too (an AWS error outliving the retries) leaves UPDATE_ROLLBACK_FAILED, which the
 * operator continues (continue-update-rollback sends the Update again). A stack in that state
 * accepts no other update, so the operator keeps continuing it until it succeeds (here: every
 * minute, up to 20 times; a run that still fails then is reported).
 */
async function rollBack(sim: Sim, rollback: DeployEvent): Promise<void> {
  for (let tries = 1; ; tries++) {
    try {
      const back = await onEvent(sim, rollback);
      if (!(await waiter(sim, { ...rollback, ...(back ? { Data: back } : {}) }, LAUNCH_MAX_ATTEMPTS, false))) throw new Error('the rollback timed out too');
      sim.handoversFinished++;
      return;
    } catch (err) {
      if (tries >= 20) throw err;
      sim.note(`cloudformation: the rollback failed (${String(err)}); the operator runs continue-update-rollback`);
      await sim.clock.sleep(60_000);
    }
  }
}

async function onEvent(sim: Sim, event: DeployEvent): Promise<HandoverData | undefined> {
  const caller = sim.newCaller(`handover-onEvent#${++sim.driverSeq}`);
  return beginDeployHandover(sim.handoverDeps(caller), CFG, event, `cfn-${++sim.driverSeq}`, TASK_PROPERTIES);
}

/**
 * The waiter state machine: isComplete every LAUNCH_POLL_MS, each a new invocation working up to
 * its step budget; an invocation that dies (killLambdas) counts as an error after the Lambda
 * timeout, which the state machine retries like "not complete". True when one answered complete.
 */
async function waiter(sim: Sim, event: DeployEvent, attempts: number, killLambdas: boolean): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    await sim.clock.sleep(LAUNCH_POLL_MS);
    const caller = sim.newCaller(`handover-isComplete#${++sim.driverSeq}`);
    const poll = pollDeployHandover(sim.handoverDeps(caller), CFG, event, LAUNCH_STEP_BUDGET_MS);
    const killAt = killLambdas && sim.rng.chance(0.3) ? sim.rng.int(0, LAUNCH_STEP_BUDGET_MS) : undefined;
    const outcome = await race(sim, poll, killAt, caller);
    if (outcome === 'complete') return true;
  }
  return false;
}

/** One invocation: its answer, or (killed at `killAt`) nothing until the Lambda timeout. */
async function race(sim: Sim, poll: Promise<{ complete: boolean }>, killAt: number | undefined, caller: { alive: boolean; name: string }): Promise<'complete' | 'not-yet'> {
  let settled: 'complete' | 'not-yet' | undefined;
  poll.then(
    (r) => {
      settled = r.complete ? 'complete' : 'not-yet';
    },
    (err: unknown) => {
      sim.note(`${caller.name} failed: ${String(err)}`);
      settled = 'not-yet';
    },
  );
  if (killAt !== undefined) {
    sim.clock.schedule(killAt, () => {
      if (settled !== undefined) return;
      caller.alive = false;
      sim.note(`${caller.name} KILLED (Lambda timeout)`);
    });
  }
  const deadline = sim.clock.ms + LAUNCH_LAMBDA_TIMEOUT_MS;
  while (settled === undefined && caller.alive && sim.clock.ms < deadline) await sim.clock.sleep(1_000);
  if (settled === undefined) {
    caller.alive = false;
    await sim.clock.sleep(Math.max(0, deadline - sim.clock.ms));
    return 'not-yet';
  }
  return settled;
}

/** A crash of the holder task while the handover's pre-copy snapshot is being taken. */
export function plannedRestartWithCrash(sim: Sim): void {
  if (sim.handoverInProgress) return;
  const holder = sim.holderTask();
  plannedRestart(sim);
  if (holder === undefined) return;
  // The pre-copy starts within a few calls; crash inside its first minutes.
  sim.clock.schedule(sim.rng.int(0, 120_000), () => {
    const rec = sim.record;
    if (rec?.operation?.kind === 'handover' && (rec.operation.step ?? 'begun') === 'pre-copy') sim.note('crash during the pre-copy');
    sim.crash(holder);
  });
}
