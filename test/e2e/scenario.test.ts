// The e2e scenario (scripts/e2e/scenario.ts) run against an in-memory fake world, no AWS and no
// cdk: a healthy world passes every step; worlds that lose the home on restart, fail to roll back
// on restore, or never converge make the run fail at the right step.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { StatusReport } from '../../src/cli/commands/status.js';
import type { Clock } from '../../src/continuity/ports.js';
import { END_LINE, MARKER_LINE, WRITTEN_LINE } from '../../scripts/e2e/marker.js';
import { PLAN, scenario, type ScenarioOps } from '../../scripts/e2e/scenario.js';
import { StepAborted, Steps } from '../../scripts/e2e/steps.js';
import type { MarkerTransport } from '../../scripts/e2e/transport.js';

type Faults = { restartLosesHome?: boolean; restoreKeepsHome?: boolean; neverConvergesAfterRestart?: boolean };

/** One task at a time; its home is a map marker file -> token; starts converge after two polls. */
class FakeWorld implements ScenarioOps {
  private seq = 0;
  private task = 'arn:aws:ecs:eu-west-1:1:task/c/t0';
  private home = new Map<string, string>();
  private readonly deployedHome = new Map<string, string>();
  private readonly snapshots = new Map<string, Map<string, string>>();
  private pollsUntilConverged = 2;
  private stuck = false;
  readonly calls: string[] = [];

  constructor(private readonly faults: Faults = {}) {}

  private start(home: Map<string, string>): void {
    this.seq += 1;
    this.task = `arn:aws:ecs:eu-west-1:1:task/c/t${this.seq}`;
    this.home = new Map(home);
    this.pollsUntilConverged = 2;
  }

  async deploy() {
    this.calls.push('deploy');
    return { url: 'http://alb.example', secretArn: 'arn:secret' };
  }

  async status(): Promise<StatusReport> {
    const settled = !this.stuck && this.pollsUntilConverged-- <= 0;
    return {
      deployment: { name: 'e2e-x', cluster: 'c', service: 's', lineage: 'e2e-x', recordTable: 'jenkins-ecs-e2e-x-lineage' },
      service: { desiredCount: 1, runningCount: 1, deployments: [{ id: 'd', status: 'PRIMARY', createdAt: '2026-01-01T00:00:00.000Z' }] },
      tasks: [{ arn: this.task, lastStatus: 'RUNNING', volumeId: 'vol-1' }],
      holders: settled ? [{ volumeId: 'vol-1', state: 'in-use', createTime: '2026-01-01T00:00:00.000Z', live: true }] : [],
      intervalMinutes: 5,
      warnings: settled ? [] : [{ code: 'stale-start', message: 'stale start' }],
    };
  }

  async connect(): Promise<MarkerTransport> {
    return {
      kind: 'ecs-exec',
      run: async (taskArn, write) => {
        if (taskArn !== this.task) throw new Error(`task ${taskArn} is not running`);
        if (write) {
          this.home.set(write.file, write.token);
          return `Starting session\r\n${WRITTEN_LINE}\r\n`;
        }
        return [...this.home.values()].map((t) => `${MARKER_LINE} ${t}`).concat(END_LINE).join('\r\n');
      },
    };
  }

  async afterStart(): Promise<void> {}

  async forceNewDeployment(): Promise<void> {
    this.calls.push('force-new-deployment');
    this.start(this.faults.restartLosesHome ? this.deployedHome : this.home);
    if (this.faults.neverConvergesAfterRestart) this.stuck = true;
  }

  async stopTask(taskArn: string): Promise<void> {
    this.calls.push(`stop ${taskArn}`);
    this.start(this.home);
  }

  async snapshot(): Promise<string> {
    const id = `snap-${this.snapshots.size}`;
    this.snapshots.set(id, new Map(this.home));
    this.calls.push(`snapshot ${id}`);
    return id;
  }

  async restore(snapshotId: string): Promise<void> {
    this.calls.push(`restore ${snapshotId}`);
    this.start(this.faults.restoreKeepsHome ? this.home : this.snapshots.get(snapshotId)!);
  }
}

function fakeClock(): Clock {
  let t = 0;
  return { now: () => new Date(t), sleep: async (ms) => void (t += ms) };
}

async function runScenario(world: FakeWorld) {
  const clock = fakeClock();
  const lines: string[] = [];
  const steps = new Steps(() => clock.now().getTime(), (l) => lines.push(l));
  let error: unknown;
  try {
    await scenario(world, { name: 'e2e-x', steps, clock, timeoutMs: 10 * 60_000, random: (n) => Buffer.alloc(n, 1) });
  } catch (e) {
    error = e;
  }
  const status = Object.fromEntries(steps.results.map((r) => [r.name, r.status]));
  return { steps, lines, status, error };
}

describe('e2e scenario against a fake world', () => {
  test('healthy continuity: every planned step passes, in order, and the restore uses the snapshot taken before the second marker', async () => {
    const world = new FakeWorld();
    const { steps, error } = await runScenario(world);
    assert.equal(error, undefined);
    assert.deepEqual(
      steps.results.map((r) => r.name),
      [...PLAN],
    );
    assert.ok(steps.results.every((r) => r.status === 'PASS'), JSON.stringify(steps.results, null, 1));
    assert.equal(steps.failed, false);
    assert.deepEqual(world.calls, ['deploy', 'force-new-deployment', 'stop arn:aws:ecs:eu-west-1:1:task/c/t1', 'snapshot snap-0', 'restore snap-0']);
  });

  test('a restart that comes back with the deployed (stale) home fails the restart assertion and the run', async () => {
    const { status, steps, error } = await runScenario(new FakeWorld({ restartLosesHome: true }));
    assert.equal(error, undefined);
    assert.equal(status['assert first marker after deploy'], 'PASS');
    assert.equal(status['assert first marker after restart'], 'FAIL');
    assert.match(steps.results.find((r) => r.name === 'assert first marker after restart')!.detail, /first missing/);
    assert.equal(steps.failed, true);
  });

  test('a restore that does not go back in time fails the last assertion: the second marker is still there', async () => {
    const { status, steps } = await runScenario(new FakeWorld({ restoreKeepsHome: true }));
    assert.equal(status['assert first marker after crash'], 'PASS');
    assert.equal(status['assert restore (first present, second absent)'], 'FAIL');
    assert.match(steps.results.at(-1)!.detail, /second present but should be gone/);
  });

  test('a restart that never converges ends the restart step with a timeout and stops the scenario', async () => {
    const { status, steps, error } = await runScenario(new FakeWorld({ neverConvergesAfterRestart: true }));
    assert.ok(error instanceof StepAborted);
    assert.equal(status['restart (force new deployment)'], 'ERROR');
    assert.match(steps.results.at(-1)!.detail, /timed out after 600 s waiting for the restart to converge; last seen: .*stale-start/);
    assert.equal(status['crash (StopTask)'], undefined);
  });
});
