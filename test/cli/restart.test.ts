// `jenkins-ecs restart` against the handover world model (test/continuity/handover-world.ts): the
// CLI's ports are the world's, so the real step machine runs under virtual time. moto has no
// pending snapshots and no EBS attachment in DescribeTasks, which the handover depends on.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as restart from '../../src/cli/commands/restart.js';
import type { CliAws } from '../../src/cli/aws-context.js';
import { EXIT } from '../../src/cli/errors.js';
import { BufferIo } from '../../src/cli/io.js';
import { beginOperation } from '../../src/continuity/transitions.js';
import { HANDOFF_TIMING, HandoverWorld } from '../continuity/handover-world.js';
import { runCommand, testContext } from './support/context.js';

const NAME = 'ci';

/** The world (its ports ignore the cluster and service names the CLI derives from `ci`). */
async function world(opts: { handoff?: boolean } = {}): Promise<HandoverWorld> {
  const w = new HandoverWorld({ ...(opts.handoff ? { timing: HANDOFF_TIMING, placeWhileStopping: true } : {}) });
  await w.ready();
  return w;
}

function awsOf(w: HandoverWorld): () => CliAws {
  const unused = (): never => {
    throw new Error('not used by restart');
  };
  return () =>
    ({
      ec2: { ...w.ec2, listLineage: unused, deleteSnapshot: unused, describeVolume: unused, listHolders: unused },
      ecs: { ...w.ecs, describeVolumeAttachment: unused },
      tasks: { listServiceTasks: unused },
      record: w.record,
      clock: w.clock,
    }) as unknown as CliAws;
}

describe('restart', () => {
  test('--yes: every phase printed with its time, one task start from the final snapshot', async () => {
    const w = await world();
    const ctx = testContext({ aws: awsOf(w) });
    const res = await w.drive(runCommand(restart, ['--name', NAME, '--yes'], ctx));
    assert.equal(res.code, EXIT.ok, res.error?.message);
    const out = ctx.io.stdout.join('\n');
    for (const step of ['begun', 'pre-copy', 'stopping', 'stopped', 'launching']) assert.match(out, new RegExp(`${step} took [0-9.]+ s`));
    assert.match(out, /\[2\/5\] pre-copy/);
    const r = w.record.peek()!;
    assert.match(out, new RegExp(`restart done: .* from ${r.launch}`));
    const serving = await w.untilServing();
    assert.equal(serving?.snapshotId, r.launch);
    assert.equal(w.startedSinceReady, 1);
  });

  test('a holder that hands over: the launch before the stop, from the pre-copy (steps begun, pre-copy, launching); --stop-first stops it first', async () => {
    for (const stopFirst of [false, true]) {
      const w = await world({ handoff: true });
      const ctx = testContext({ aws: awsOf(w) });
      const res = await w.drive(runCommand(restart, ['--name', NAME, '--yes', '--json', ...(stopFirst ? ['--stop-first'] : [])], ctx));
      assert.equal(res.code, EXIT.ok, res.error?.message);
      const doc = JSON.parse(ctx.io.stdout.join('\n')) as { launch: string; preCopy: string | null; steps: { step: string }[] };
      assert.equal(doc.launch, doc.preCopy, 'from the pre-copy, with the handoff');
      assert.deepEqual(doc.steps.map((s) => s.step), stopFirst ? ['begun', 'pre-copy', 'stopping', 'stopped', 'launching'] : ['begun', 'pre-copy', 'launching']);
      const serving = await w.untilServing();
      assert.equal(serving?.appliedDelta, w.record.peek()!.handoff?.delta.key);
      assert.equal(w.startedSinceReady, 1);
      assert.deepEqual(w.violations, []);
    }
  });

  test('--json: one document on stdout with the operation, the launch and the step timings', async () => {
    const w = await world();
    const ctx = testContext({ aws: awsOf(w) });
    const res = await w.drive(runCommand(restart, ['--name', NAME, '--yes', '--json', '--no-pre-copy'], ctx));
    assert.equal(res.code, EXIT.ok, res.error?.message);
    const doc = JSON.parse(ctx.io.stdout.join('\n')) as { launch: string; preCopy: string | null; steps: { step: string; seconds: number }[] };
    assert.equal(doc.launch, w.record.peek()!.launch);
    assert.equal(doc.preCopy, null);
    assert.deepEqual(doc.steps.map((s) => s.step), ['begun', 'pre-copy', 'stopping', 'stopped', 'launching']);
    assert.ok(doc.steps.every((s) => typeof s.seconds === 'number'));
    assert.ok(ctx.io.stderr.some((l) => l.includes('[3/5] stopping')), 'progress on stderr with --json');
  });

  test('without --yes and a "no": nothing changes', async () => {
    const w = await world();
    const ctx = testContext({ aws: awsOf(w), io: new BufferIo([false]) });
    const res = await w.drive(runCommand(restart, ['--name', NAME], ctx));
    assert.equal(res.code, EXIT.failure);
    assert.match(res.error!.message, /cancelled/);
    assert.equal(w.record.peek()!.operation, undefined);
    assert.equal(w.desiredCount, 1);
  });

  test('a handover in progress is resumed without asking', async () => {
    const w = await world();
    const r = w.record.peek()!;
    const begun = beginOperation(r, { kind: 'handover', id: 'earlier' });
    assert.ok(begun.ok);
    w.record.put(begun.record, r.seq);
    const ctx = testContext({ aws: awsOf(w), io: new BufferIo([]) });
    const res = await w.drive(runCommand(restart, ['--name', NAME], ctx));
    assert.equal(res.code, EXIT.ok, res.error?.message);
    assert.deepEqual(ctx.io.questions, []);
    assert.match(ctx.io.stdout.join('\n'), /handover \(earlier\) is in progress/);
    assert.equal(w.record.peek()!.operation, undefined);
  });

  test('refused with exit 7 while a restore is in progress', async () => {
    const w = await world();
    const r = w.record.peek()!;
    const begun = beginOperation(r, { kind: 'restore', id: 'r1' });
    assert.ok(begun.ok);
    w.record.put(begun.record, r.seq);
    const ctx = testContext({ aws: awsOf(w) });
    const res = await w.drive(runCommand(restart, ['--name', NAME, '--yes'], ctx));
    assert.equal(res.code, EXIT.refused);
    assert.match(res.error!.message, /^restart refused: a restore \(r1\) is already in progress/);
  });
});
