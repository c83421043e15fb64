// The planned handover (src/continuity/handover.ts), driven through its ports against the world
// model in handover-world.ts: the happy path, each step's idempotence, a driver killed before any
// port call and resumed, a custom-resource time budget, a crash of the task during the pre-copy,
// failed snapshots, and refusals. The world checks: one Jenkins at a time, one holder at a time,
// the started task from the head with every acknowledged write, one task start per handover.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { both, decideBegin, driveHandover, HANDOVER_STEPS, HandoverError, type HandoverConfig, type HandoverDeps, type HandoverResult } from '../../src/continuity/handover.js';
import { adoptLaunch, advanceOperation, beginOperation, createRecord, endOperation } from '../../src/continuity/transitions.js';
import { CLUSTER, FIXED_TIMING, HANDOFF_TIMING, HandoverWorld, LINEAGE, SERVICE } from './handover-world.js';
import type { HandoverEcs } from '../../src/continuity/handover.js';

const CFG: HandoverConfig = { lineage: LINEAGE, cluster: CLUSTER, service: SERVICE, starter: 'service', pollMs: 5_000, retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100 } };

async function world(opts: { handoff?: boolean; placeWhileStopping?: boolean; shipFails?: boolean } = {}): Promise<HandoverWorld> {
  const w = new HandoverWorld({
    ...(opts.handoff ? { timing: HANDOFF_TIMING } : {}),
    ...(opts.placeWhileStopping ? { placeWhileStopping: true } : {}),
    ...(opts.shipFails ? { shipFails: true } : {}),
  });
  await w.ready();
  return w;
}

/** The world's ECS port, counting its UpdateService calls that move the volume (rollSnapshot). */
function countingRolls(w: HandoverWorld): { ecs: HandoverEcs; rolls: () => number } {
  let n = 0;
  const ecs: HandoverEcs = {
    ...w.ecs,
    rollSnapshot: async (...a) => {
      n++;
      return w.ecs.rollSnapshot(...a);
    },
  };
  return { ecs, rolls: () => n };
}

/** After a finished handover: the new task serves, from the head, with nothing lost, alone. */
async function assertHandedOver(w: HandoverWorld, result: HandoverResult, opts: { starts?: number } = {}): Promise<void> {
  assert.equal(result.state, 'done');
  const serving = await w.untilServing();
  assert.ok(serving, 'a task serves after the handover');
  const r = w.record.peek()!;
  assert.equal(r.operation, undefined, 'operation ended');
  assert.equal(result.state === 'done' && result.launch, r.launch);
  assert.equal(serving.snapshotId, r.launch, 'the new task launched from the record launch');
  assert.equal(serving.staleAtGate, false, 'no stale start');
  assert.equal(r.holder?.taskArn, serving.arn, 'the new task holds the lineage');
  assert.deepEqual(w.violations, []);
  assert.equal(w.startedSinceReady, opts.starts ?? 1, 'task starts during the handover');
}

/**
 * Deps whose port call numbered `killAt` never answers: the driver process died there. With
 * `after`, the call takes effect first and only its answer is lost (killed between the AWS call
 * landing and the driver hearing of it).
 */
function killable(w: HandoverWorld, killAt: number, after = false): { deps: HandoverDeps; calls: () => number; killed: () => boolean } {
  let n = 0;
  let dead = false;
  const wrap = <T extends object>(port: T): T =>
    new Proxy(port, {
      get(target, key, recv) {
        const v = Reflect.get(target, key, recv) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          if (dead) return new Promise(() => undefined);
          if (n++ !== killAt) return (v as (...a: unknown[]) => unknown).apply(target, args);
          dead = true;
          if (after) void (v as (...a: unknown[]) => Promise<unknown>).apply(target, args).catch(() => undefined);
          return new Promise(() => undefined);
        };
      },
    });
  return { deps: w.deps({ record: wrap(w.record), ec2: wrap(w.ec2), ecs: wrap(w.ecs) }), calls: () => n, killed: () => dead };
}

/** Runs a driver until it finishes or is killed; a killed driver's promise is abandoned, as its process would be. */
async function runUntilKilled(w: HandoverWorld, k: ReturnType<typeof killable>, run: () => Promise<HandoverResult>): Promise<boolean> {
  let finished = false;
  void run().then(
    () => (finished = true),
    () => (finished = true),
  );
  for (let i = 0; i < 20_000 && !finished && !k.killed(); i++) await w.clock.runUntil(w.clock.ms + 1_000);
  return k.killed();
}

describe('handover', () => {
  test('one task start, from the final snapshot, after a completed pre-copy', async () => {
    const w = await world();
    const steps: string[] = [];
    const result = await w.drive(driveHandover(w.deps({ onStep: (s) => steps.push(s) }), CFG, { id: 'h1' }));
    await assertHandedOver(w, result);
    assert.deepEqual(steps, [...HANDOVER_STEPS]);
    assert.equal(result.state === 'done' && w.snapshot(result.preCopy!)?.state, 'completed');
    // The launch is the keeper's final snapshot, registered after the pre-copy.
    const r = w.record.peek()!;
    const kinds = r.snapshots.map((e) => e.kind);
    assert.deepEqual(kinds.slice(-2), ['manual', 'final']);
    assert.equal(r.launch, r.snapshots.at(-1)!.snapshotId);
    assert.ok(w.downTo! > w.downFrom!);
  });

  test('without pre-copy the final snapshot carries the whole delta, and the same single start', async () => {
    const w = await world();
    const result = await w.drive(driveHandover(w.deps(), { ...CFG, preCopy: false }, { id: 'h1' }));
    await assertHandedOver(w, result);
    assert.equal(result.state === 'done' && result.preCopy, undefined);
    assert.deepEqual(w.record.peek()!.snapshots.map((e) => e.kind), ['periodic', 'final']);
  });

  test('the pre-copy shortens the downtime (the final snapshot carries seconds of writes, not 1 GiB)', async () => {
    const a = await world();
    await a.drive(driveHandover(a.deps(), CFG, { id: 'h1' }));
    await a.untilServing();
    const b = await world();
    await b.drive(driveHandover(b.deps(), { ...CFG, preCopy: false }, { id: 'h1' }));
    await b.untilServing();
    assert.ok(a.downTo! - a.downFrom! < b.downTo! - b.downFrom!, `${a.downTo! - a.downFrom!} ms with pre-copy vs ${b.downTo! - b.downFrom!} ms without`);
  });

  test('the handoff: one start, from the completed pre-copy with the keeper\'s delta applied, nothing lost, sooner than waiting for the final snapshot', async () => {
    const w = await world({ handoff: true });
    const result = await w.drive(driveHandover(w.deps(), CFG, { id: 'h1' }));
    await assertHandedOver(w, result);
    const r = w.record.peek()!;
    const serving = w.serving()!;
    assert.equal(r.launch, result.state === 'done' ? result.preCopy : undefined, 'launched from the pre-copy');
    assert.equal(serving.appliedDelta, r.handoff?.delta.key, 'its keeper applied the delta and acquired through the handoff');
    assert.equal(r.head?.kind, 'final');
    // Against the same world waiting for the final snapshot.
    const b = await world();
    await b.drive(driveHandover(b.deps(), CFG, { id: 'h1' }));
    await b.untilServing();
    assert.ok(w.downTo! - w.downFrom! < b.downTo! - b.downFrom!, `${w.downTo! - w.downFrom!} ms with the handoff vs ${b.downTo! - b.downFrom!} ms`);
  });

  test('the handoff\'s final snapshot fails: the lineage continues from the pre-copy with the delta (orphaned handoff), nothing lost', async () => {
    const w = await world({ handoff: true });
    const result = await w.drive(driveHandover(w.deps(), CFG, { id: 'h1' }));
    await assertHandedOver(w, result);
    const final = w.record.peek()!.head!.snapshotId;
    w.failSnapshot(final);
    // The new task crashes before its first periodic snapshot; its replacement must not start on the older head.
    w.crash(w.serving()!);
    const rec = w.record.peek()!;
    const out = await w.drive(driveHandover(w.deps(), CFG, { id: 'h2' })).catch((e: unknown) => e);
    assert.ok(rec.handoff, 'the handoff is still in the record');
    void out;
    await w.untilServing();
    assert.deepEqual(w.violations, []);
  });

  test('killed before each port call in turn, a re-run with the same id completes with one start', async () => {
    // Count the port calls of an uninterrupted run, then kill a run at every one of them.
    const cases = [
      [false, false, false],
      [true, false, false],
      [false, true, false],
      [true, true, false],
      // The launch before the stop, with ECS placing the new task while the old one stops.
      [false, true, true],
      [true, true, true],
    ] as const;
    for (const [after, handoff, placeWhileStopping] of cases) {
      const probe = await world({ handoff, placeWhileStopping });
      const k = killable(probe, Number.MAX_SAFE_INTEGER);
      await probe.drive(driveHandover(k.deps, CFG, { id: 'h1' }));
      const total = k.calls();
      assert.ok(total > 10, `an uninterrupted run makes ${total} port calls`);
      for (let killAt = 0; killAt < total; killAt++) {
        const w = await world({ handoff, placeWhileStopping });
        const first = killable(w, killAt, after);
        assert.ok(await runUntilKilled(w, first, () => driveHandover(first.deps, CFG, { id: 'h1' })), `killed at call ${killAt}`);
        // The world runs on a while: the service keeps doing whatever it was last told.
        await w.clock.runUntil(w.clock.ms + 120_000);
        // What a custom resource knows from its onEvent: the seq that began the handover, if it landed.
        const begunAt = w.record.history.find((r) => r.operation?.id === 'h1')?.operation?.seq;
        const result = await w.drive(driveHandover(w.deps(), CFG, { id: 'h1', ...(begunAt ? { begunAt } : {}) }));
        await assertHandedOver(w, result).catch((e: unknown) => {
          throw new Error(`killed at call ${killAt}${after ? ' after it landed' : ''}${handoff ? ' (handoff)' : ''}: ${(e as Error).message}\n${w.logs.map((l) => JSON.stringify(l)).join('\n')}`);
        });
      }
    }
  });

  test('launch before the stop: one service update stops the old task and places the new one from the pre-copy at once; the old keeper hands over, the acquire ends the operation', async () => {
    const w = await world({ handoff: true, placeWhileStopping: true });
    const counted = countingRolls(w);
    const ecs: HandoverEcs = { ...counted.ecs, setDesiredCount: async () => assert.fail('no desiredCount 0 before this launch') };
    const result = await w.drive(driveHandover(w.deps({ ecs }), CFG, { id: 'h1' }));
    await assertHandedOver(w, result);
    assert.equal(counted.rolls(), 1, 'one UpdateService');
    const serving = w.serving()!;
    assert.equal(result.state === 'done' && result.launch, result.state === 'done' ? result.preCopy : 'x', 'launched from the pre-copy');
    assert.equal(serving.appliedDelta, w.record.peek()!.handoff?.delta.key, 'through the old keeper\'s delta');
    // The new task was placed before the old one had even stopped Jenkins (downFrom is when it left the target group).
    assert.ok(serving.startedAt <= w.downFrom! + 1_000, `placed at ${serving.startedAt}, the old task stopped serving at ${w.downFrom}`);
    // The operation stood until the new task's acquire, which ended it in the same write.
    const h = w.record.history;
    const taken = h.findIndex((r) => r.holder?.taskArn === serving.arn);
    assert.equal(h[taken]!.operation, undefined);
    assert.equal(h[taken - 1]!.operation?.step, 'launching');
    // Sooner than the handoff launched after the stop, in the same world.
    const b = await world({ handoff: true, placeWhileStopping: true });
    await b.drive(driveHandover(b.deps(), { ...CFG, launchBeforeStop: false }, { id: 'h1' }));
    await b.untilServing();
    assert.ok(w.downTo! - w.downFrom! < b.downTo! - b.downFrom!, `${w.downTo! - w.downFrom!} ms launched before the stop vs ${b.downTo! - b.downFrom!} ms after`);
  });

  test('launch before the stop needs a holder whose keeper ships deltas: otherwise the handover stops it first', async () => {
    const w = await world({ placeWhileStopping: true });
    const result = await w.drive(driveHandover(w.deps(), CFG, { id: 'h1' }));
    await assertHandedOver(w, result);
    assert.ok(w.record.history.every((r) => !(r.operation?.step === 'launching' && r.holder !== undefined)), 'never at launching while a holder serves');
  });

  test('launch before the stop, and the old keeper\'s upload fails: its release ends the operation; the launched task is stale, never a writer', async () => {
    const w = await world({ handoff: true, placeWhileStopping: true, shipFails: true });
    const result = await w.drive(driveHandover(w.deps(), CFG, { id: 'h1' }));
    assert.equal(result.state, 'done');
    await w.clock.runUntil(w.clock.ms + 300_000);
    const r = w.record.peek()!;
    assert.equal(r.operation, undefined, 'the lost launch ended the operation (the reconciler may roll)');
    assert.equal(r.holder, undefined);
    assert.equal(r.head?.kind, 'final');
    assert.equal(r.handoff, undefined);
    const released = r.seq;
    assert.equal(w.record.history.find((x) => x.seq === released)!.operation, undefined);
    const launched = w.tasks.at(-1)!;
    assert.equal(launched.staleAtGate, true);
    assert.equal(w.serving(), undefined);
    assert.deepEqual(w.violations, []);
  });

  test('a re-run that lost the id resumes the handover in progress', async () => {
    const w = await world();
    const k = killable(w, 12);
    assert.ok(await runUntilKilled(w, k, () => driveHandover(k.deps, CFG, { id: 'h1' })));
    assert.equal(w.record.peek()!.operation?.id, 'h1');
    const result = await w.drive(driveHandover(w.deps(), CFG, { id: 'h2' }));
    assert.equal(result.id, 'h1');
    await assertHandedOver(w, result);
  });

  test('with a time budget it reports waiting, and polls (isComplete) finish it', async () => {
    const w = await world();
    const polls: string[] = [];
    let result: HandoverResult;
    for (let i = 0; ; i++) {
      assert.ok(i < 200, 'finishes within 200 polls');
      result = await w.drive(driveHandover(w.deps(), { ...CFG, starter: 'cloudformation' }, { id: 'cr-1', until: new Date(w.clock.ms + 20_000) }));
      if (result.state === 'done') break;
      polls.push(result.step);
      await w.clock.runUntil(w.clock.ms + 30_000);
    }
    assert.ok(polls.includes('pre-copy') && polls.includes('stopping'), `waited in ${[...new Set(polls)].join(', ')}`);
    // The operation waits at launching for CloudFormation's service update; the new task's acquire ends it.
    const r = w.record.peek()!;
    assert.equal(r.operation?.step, 'launching');
    assert.equal(r.launch, result.launch);
    assert.equal(w.desiredCount, 0, 'the handover itself starts nothing with CloudFormation as the starter');
    await w.ecs.rollSnapshot(CLUSTER, SERVICE, result.launch!, { desiredCount: 1 });
    await assertHandedOver(w, result);
  });

  test('each step is idempotent: a second run after a finished one changes nothing and starts nothing', async () => {
    const w = await world();
    const result = await w.drive(driveHandover(w.deps(), CFG, { id: 'h1' }));
    await assertHandedOver(w, result);
    const before = w.record.peek()!;
    // The same id again finds no operation: it would begin a new handover. A finished handover is not resumed by id.
    const again = decideBegin(before, { id: 'h1' }, LINEAGE);
    assert.ok(again.ok && again.unchanged !== true, 'a new handover begins (the old one is over)');
    // Re-applying the launch and the end of the finished operation writes nothing.
    assert.ok(both(before, (x) => adoptLaunch(x, before.launch!), (x) => endOperation(x, 'h1')).ok);
    assert.equal((both(before, (x) => adoptLaunch(x, before.launch!), (x) => endOperation(x, 'h1')) as { unchanged?: boolean }).unchanged, true);
  });

  test('the task crashes during the pre-copy: its volume is gone, the handover fences it and launches from the head', async () => {
    const w = await world();
    const holder = w.serving()!;
    let crashed = false;
    const deps = w.deps({
      onStep: (s) => {
        if (s === 'pre-copy' && !crashed) {
          crashed = true;
          w.crash(holder);
        }
      },
    });
    const result = await w.drive(driveHandover(deps, CFG, { id: 'h1' }));
    assert.equal(result.state, 'done');
    const serving = await w.untilServing();
    const r = w.record.peek()!;
    assert.ok(serving);
    assert.equal(serving.snapshotId, r.launch);
    assert.equal(serving.staleAtGate, false, 'the task the handover started is not stale');
    assert.equal(r.holder?.taskArn, serving.arn);
    assert.deepEqual(w.violations.filter((v) => !v.startsWith('lost writes')), []);
    // ECS replaced the crashed task from the old launch before the stop step: that one waited at
    // the gate and was stopped; the handover's own start is the one that serves.
    assert.ok(serving.fromLaunch);
    assert.ok(w.tasks.filter((t) => t.fromLaunch && t.arn !== serving.arn).every((t) => t.servingAt === undefined), 'no other task served');
  });

  test('a crash before the pre-copy snapshot is created: no pre-copy, the holder is fenced', async () => {
    const w = await world();
    w.crash(w.serving()!);
    const result = await w.drive(driveHandover(w.deps(), CFG, { id: 'h1' }));
    assert.equal(result.state === 'done' && result.preCopy, undefined);
    const serving = await w.untilServing();
    assert.equal(serving?.snapshotId, w.record.peek()!.launch);
    assert.equal(serving?.staleAtGate, false);
  });

  test('a failed pre-copy is dropped from the head and the handover goes on', async () => {
    const w = await world();
    const deps = w.deps({
      onStep: (s) => {
        const target = w.record.peek()!.operation?.target;
        if (s === 'pre-copy' && target) w.failSnapshot(target);
      },
    });
    const result = await w.drive(driveHandover(deps, CFG, { id: 'h1' }));
    await assertHandedOver(w, result);
    const r = w.record.peek()!;
    assert.ok(!r.snapshots.some((e) => e.kind === 'manual'), 'the failed pre-copy left the record');
    assert.equal(r.snapshots.at(-1)!.kind, 'final');
  });

  test('a failed final snapshot is dropped: the launch falls back to the newest completed member', async () => {
    const w = await world();
    const deps = w.deps({
      onStep: (s) => {
        if (s !== 'stopping') return;
        // Fail whatever the keeper registers next (its final), once it exists.
        const tick = (): void => {
          const h = w.record.peek()!.head;
          if (h?.kind === 'final') w.failSnapshot(h.snapshotId);
          else w.clock.schedule(500, tick);
        };
        tick();
      },
    });
    const result = await w.drive(driveHandover(deps, CFG, { id: 'h1' }));
    await w.untilServing();
    // The failed final's writes are lost (the crash rule, I4): only those after the pre-copy.
    const lost = w.violations.splice(0);
    assert.equal(lost.length, 1);
    assert.match(lost[0]!, /^lost writes/);
    await assertHandedOver(w, result);
    const r = w.record.peek()!;
    assert.equal(r.head?.kind, 'manual', 'the completed pre-copy is the head now');
    assert.equal(r.launch, r.head?.snapshotId);
  });

  test('every snapshot fails during the handover: the operation ends and the service starts again, never left at desiredCount 0', async () => {
    const w = await world();
    const deps = w.deps({
      onStep: (s) => {
        if (s !== 'stopping') return;
        const tick = (): void => {
          const r = w.record.peek()!;
          for (const m of r.snapshots) w.failSnapshot(m.snapshotId);
          if (r.head !== undefined || r.holder !== undefined) w.clock.schedule(500, tick);
        };
        tick();
      },
    });
    const result = await w.drive(driveHandover(deps, CFG, { id: 'h1' }));
    w.violations.splice(0);
    assert.equal(result.state, 'done');
    const r = w.record.peek()!;
    assert.equal(r.operation, undefined, 'the operation ended');
    assert.equal(r.head, undefined, 'no head is left');
    assert.equal(w.desiredCount, 1, 'the service starts again');
  });

  test('refused while another kind of operation is in progress, and on a lineage without a head', async () => {
    const w = await world();
    const r = w.record.peek()!;
    const restoring = beginOperation(r, { kind: 'restore', id: 'r1' });
    assert.ok(restoring.ok);
    w.record.put(restoring.record, r.seq);
    await assert.rejects(w.drive(driveHandover(w.deps(), CFG, { id: 'h1' })), (e: unknown) => e instanceof HandoverError && e.code === 'refused');
    assert.equal(w.desiredCount, 1, 'nothing stopped');
    const empty = decideBegin(createRecord(LINEAGE), { id: 'h1' }, LINEAGE);
    assert.equal(!empty.ok && empty.code, 'no-head');
  });

  test('a resumed driver at the launching step does not start a second task', async () => {
    const w = await world();
    // Run until the launch was written and UpdateService issued, then kill before the end write.
    let calls = 0;
    const deps = w.deps({
      record: {
        read: (l) => w.record.read(l),
        write: async (next, seq) => {
          if (next.operation === undefined && w.record.peek()!.operation?.step === 'launching' && calls++ === 0) throw Object.assign(new Error('killed'), { name: 'Killed' });
          return w.record.write(next, seq);
        },
      },
    });
    await assert.rejects(w.drive(driveHandover(deps, CFG, { id: 'h1' })), { name: 'Killed' });
    assert.equal(w.record.peek()!.operation?.step, 'launching');
    const result = await w.drive(driveHandover(w.deps(), CFG, { id: 'h1' }));
    await assertHandedOver(w, result, { starts: 1 });
  });

  test('a resumed driver issues the UpdateService only while the deployment the launch replaces is still PRIMARY', async () => {
    // CloudFormation's handover answered at `launching`; then a change set created before the
    // handover lands first (a new PRIMARY deployment from an older snapshot).
    const w = await world();
    const res = await w.drive(driveHandover(w.deps(), { ...CFG, starter: 'cloudformation' }, { id: 'h1' }));
    assert.equal(res.state, 'done');
    const replacing = w.record.peek()!.operation?.deployment;
    assert.ok(replacing, 'the launch records the deployment it replaces');
    await w.ecs.rollSnapshot(CLUSTER, SERVICE, w.record.peek()!.snapshots[0]!.snapshotId, { desiredCount: 1 });
    const counted = countingRolls(w);
    // A rollback's Delete (service starter) resumes it: the launch was superseded, no roll again.
    await w.drive(driveHandover(w.deps({ ecs: counted.ecs }), CFG, { id: 'h1' }));
    assert.equal(counted.rolls(), 0);
  });
});

describe('both (two transitions, one write)', () => {
  test('advances seq once and refuses if either refuses', () => {
    const r0 = createRecord(LINEAGE);
    const begun = beginOperation(r0, { kind: 'handover', id: 'h' });
    assert.ok(begun.ok);
    const two = both(begun.record, (x) => advanceOperation(x, { id: 'h', step: 'stopping' }), (x) => endOperation(x, 'h'));
    assert.ok(two.ok);
    assert.equal(two.record.seq, begun.record.seq + 1);
    assert.equal(two.record.operation, undefined);
    const refused = both(begun.record, (x) => advanceOperation(x, { id: 'other', step: 'x' }), (x) => endOperation(x, 'h'));
    assert.equal(refused.ok, false);
  });
});

describe('handover: no task running or pending before the launch', () => {
  // Guards the wait in the stop step (tasks = runningCount + pendingCount must be 0): the holder
  // releases as soon as its final snapshot is registered, and that snapshot can complete while the
  // old task is still stopping (ENI and volume detach); launching then would place the new task
  // beside it. Remove the `tasks === 0` conditions in driveHandover and this test fails.
  test('released holder, completed final snapshot, old task still stopping for 3 minutes: UpdateService only once no task is left', async () => {
    const w = new HandoverWorld({ timing: { ...FIXED_TIMING, taskStop: () => 180_000 } });
    await w.ready();
    const seen: number[] = [];
    const ecs: HandoverEcs = {
      ...w.ecs,
      rollSnapshot: async (c, s, id, o) => {
        const st = (await w.ecs.describeService(c, s))!;
        seen.push(st.runningCount + (st.pendingCount ?? 0));
        return w.ecs.rollSnapshot(c, s, id, o);
      },
    };
    const res = await w.drive(driveHandover(w.deps({ ecs }), CFG, { id: 'h1' }));
    assert.equal(res.state, 'done');
    assert.deepEqual(seen, [0], 'the one UpdateService came after the last task had stopped');
    assert.equal(w.startedSinceReady, 1);
  });
});
