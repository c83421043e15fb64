// `jenkins-ecs restart` end to end through the CLI's real AWS context (defaultAwsFactory: the SDK
// adapters of src/aws): the lineage record in DynamoDB and the snapshots in EC2 are moto_server's;
// ECS answers from recorded responses (aws-sdk-client-mock) kept consistent by a small service
// model, because moto has no EBS attachment in DescribeTasks, drops volumeConfigurations from
// DescribeServices deployments and does not stop service tasks. The model's keeper does what the
// real keeper does when ECS stops its task: CreateSnapshot kind=final (in moto) and one write that
// registers it and releases the lineage.
// Killed before each ECS call in turn, a second `restart` resumes the handover the record shows and
// the service still starts exactly one task, from the final snapshot.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DescribeServicesCommand, DescribeTasksCommand, ECSClient, UpdateServiceCommand, type UpdateServiceCommandInput } from '@aws-sdk/client-ecs';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import * as restart from '../../src/cli/commands/restart.js';
import { EXIT } from '../../src/cli/errors.js';
import { commit } from '../../src/continuity/commit.js';
import { systemClock } from '../../src/continuity/clock.js';
import { TAGS } from '../../src/continuity/model.js';
import { register } from '../../src/continuity/transitions.js';
import { Ec2Adapter } from '../../src/aws/ec2-adapter.js';
import type { DeploymentNames } from '../../src/config/names.js';
import type { AwsClients } from '../../src/aws/index.js';
import { runCommand, testContext } from './support/context.js';
import { motoClients, motoEnv, seedRecordTable, seedSnapshot, seedVolume, uniqueName, updateRecord } from './support/moto.js';
import { deploymentNames } from '../../src/config/names.js';

const TASK = 'arn:aws:ecs:us-east-1:123456789012:task/c/0123456789abcdef0123456789abcdef';

/** The controller service as ECS would answer for it, plus what the task's keeper does on stop. */
class ServiceModel {
  desiredCount = 1;
  running = 1;
  taskStatus = 'RUNNING';
  snapshotId: string;
  /** UpdateService calls that start a task (volumeConfigurations with desiredCount 1). */
  starts: string[] = [];
  calls = 0;
  /** The CLI dies at ECS call number `killAt`: before it reaches ECS, or (`killAfter`) after ECS applied it, its answer lost. */
  killAt: number | undefined;
  killAfter = false;

  constructor(
    private readonly clients: AwsClients,
    private readonly names: DeploymentNames,
    private readonly volumeId: string,
    launch: string,
  ) {
    this.snapshotId = launch;
  }

  private tick(): () => void {
    this.calls++;
    const kill = this.killAt !== undefined && this.calls === this.killAt;
    const die = (): void => {
      throw Object.assign(new Error('killed'), { name: 'Killed' });
    };
    if (kill && !this.killAfter) die();
    return kill ? die : () => undefined;
  }

  install(ecs: AwsClientStub<ECSClient>): void {
    ecs.on(DescribeServicesCommand).callsFake(() => {
      this.tick()();
      return {
        services: [
          {
            serviceName: this.names.service,
            status: 'ACTIVE',
            desiredCount: this.desiredCount,
            runningCount: this.running,
            pendingCount: 0,
            deployments: [
              {
                id: 'ecs-svc/1',
                status: 'PRIMARY',
                taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/c:7',
                createdAt: new Date(0),
                volumeConfigurations: [{ name: this.names.homeVolume, managedEBSVolume: { roleArn: 'arn:aws:iam::123456789012:role/volumes', snapshotId: this.snapshotId, filesystemType: 'xfs' } }],
              },
            ],
          },
        ],
      };
    });
    ecs.on(DescribeTasksCommand).callsFake(() => {
      this.tick()();
      return { tasks: [{ taskArn: TASK, lastStatus: this.taskStatus }] };
    });
    ecs.on(UpdateServiceCommand).callsFake(async (input: UpdateServiceCommandInput) => {
      const answer = this.tick();
      if (input.volumeConfigurations) {
        this.snapshotId = input.volumeConfigurations[0]!.managedEBSVolume!.snapshotId!;
        if (input.desiredCount === 1 || this.desiredCount === 1) this.starts.push(this.snapshotId);
      }
      if (input.desiredCount === 0 && this.running > 0) await this.stopTask();
      if (input.desiredCount !== undefined) this.desiredCount = input.desiredCount;
      answer();
      return { service: { serviceName: this.names.service } };
    });
  }

  /** SIGTERM: Jenkins stops, the keeper takes its final snapshot and registers + releases in one write. */
  private async stopTask(): Promise<void> {
    const ec2 = new Ec2Adapter(this.clients.ec2);
    const final = await ec2.createSnapshot(this.volumeId, { lineage: this.names.lineage, kind: 'final', task: TASK });
    const store = await seedRecordTable(this.clients, this.names);
    const r = await store.read(this.names.lineage);
    const res = await commit(store, this.names.lineage, (x) => register(x!, { token: r!.holder!.token, snapshotId: final.id, kind: 'final', task: TASK, release: true }), { clock: systemClock });
    assert.ok(res.outcome.ok, 'the keeper registers its final snapshot');
    this.running = 0;
    this.taskStatus = 'STOPPED';
  }
}

async function deployment(): Promise<{ names: DeploymentNames; model: ServiceModel; clients: AwsClients; launch: string }> {
  const clients = motoClients();
  const name = uniqueName('restart');
  const names = deploymentNames(name);
  await seedRecordTable(clients, names);
  const volumeId = await seedVolume(clients, { tags: { [TAGS.lineage]: names.lineage } });
  const launch = await seedSnapshot(clients, { lineage: names.lineage, kind: 'periodic', volumeId, task: TASK });
  await updateRecord(clients, names.lineage, (r) => ({ launch, holder: { taskArn: TASK, volumeId, token: r.seq + 1 } }));
  return { names, clients, launch, model: new ServiceModel(clients, names, volumeId, launch) };
}

describe('restart end to end (SDK adapters; moto DynamoDB and EC2, recorded ECS)', () => {
  let ecs: AwsClientStub<ECSClient>;
  beforeEach(() => {
    ecs = mockClient(ECSClient);
  });
  afterEach(() => ecs.restore());

  const ctx = () => testContext({ env: motoEnv() });
  const args = (name: string) => ['--name', name, '--yes', '--poll-seconds', '1'];

  test('pre-copy, stop, final snapshot, one start from it; every phase timed', async () => {
    const { names, model, clients, launch } = await deployment();
    model.install(ecs);
    const c = ctx();
    const res = await runCommand(restart, args(names.lineage), c);
    assert.equal(res.code, EXIT.ok, res.error?.message);
    const r = (await (await seedRecordTable(clients, names)).read(names.lineage))!;
    assert.equal(r.operation, undefined);
    assert.equal(r.head?.kind, 'final');
    assert.ok(r.snapshots.some((s) => s.kind === 'manual'), 'the pre-copy is in the record');
    assert.equal(r.launch, r.head?.snapshotId);
    assert.notEqual(r.launch, launch);
    assert.deepEqual(model.starts, [r.launch], 'exactly one task start, from the final snapshot');
    for (const step of ['begun', 'pre-copy', 'stopping', 'stopped', 'launching']) assert.match(c.io.stdout.join('\n'), new RegExp(`${step} took [0-9.]+ s`));
  });

  for (const killAfter of [false, true]) {
    test(`killed ${killAfter ? 'after each ECS call landed (answer lost)' : 'before each ECS call'} in turn: a second run resumes the handover and starts exactly one task`, async () => {
      // How many ECS calls an uninterrupted run makes.
      const probe = await deployment();
      probe.model.install(ecs);
      assert.equal((await runCommand(restart, args(probe.names.lineage), ctx())).code, EXIT.ok);
      const total = probe.model.calls;
      assert.ok(total >= 4);
      for (let killAt = 1; killAt <= total; killAt++) {
        ecs.reset();
        const { names, model, clients } = await deployment();
        model.install(ecs);
        model.killAt = killAt;
        model.killAfter = killAfter;
        const first = await runCommand(restart, args(names.lineage), ctx());
        assert.notEqual(first.code, EXIT.ok, `killed at ECS call ${killAt}`);
        assert.match(first.error!.message, /re-run 'jenkins-ecs restart'/);
        const inProgress = (await (await seedRecordTable(clients, names)).read(names.lineage))!.operation;
        assert.equal(inProgress?.kind, 'handover', 'the record shows the handover in progress');
        model.killAt = undefined;
        const c = ctx();
        const second = await runCommand(restart, ['--name', names.lineage, '--poll-seconds', '1'], c);
        assert.equal(second.code, EXIT.ok, `resumed after a kill at ECS call ${killAt}: ${second.error?.message ?? ''}`);
        assert.match(c.io.stdout.join('\n'), new RegExp(`a handover \\(${inProgress!.id}\\) is in progress`));
        const r = (await (await seedRecordTable(clients, names)).read(names.lineage))!;
        assert.equal(r.operation, undefined);
        assert.equal(r.head?.kind, 'final');
        assert.deepEqual(model.starts, [r.launch], `one start from the final snapshot after a kill at ECS call ${killAt}`);
      }
    });
  }
});
