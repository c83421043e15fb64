import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Keeper, KeeperError, type KeeperConfig } from '../../src/continuity/keeper.js';
import { withRetries, RETRYABLE_AWS_ERRORS } from '../../src/continuity/retry.js';
import { awsError, FakeAws } from './fake.js';

const CFG: KeeperConfig = { lineage: 'ci', cluster: 'c', taskArn: 'arn:aws:ecs:us-east-1:1:task/c/abc', homePath: '/home', intervalMinutes: 15 };

function setup(opts: { source?: string; holder?: string } = {}): { aws: FakeAws; keeper: Keeper } {
  const aws = new FakeAws();
  aws.volumes.set('vol-1', { id: 'vol-1', state: 'in-use', createTime: new Date(aws.clock.ms - 60_000), ...(opts.source ? { snapshotId: opts.source } : {}) });
  const keeper = new Keeper({ ec2: aws.ec2, ecs: aws.ecs, clock: aws.clock, host: aws.host, log: aws.log }, CFG);
  return { aws, keeper };
}

function completed(aws: FakeAws, id: string, minutesAgo: number, extra: Record<string, unknown> = {}): void {
  aws.snapshots.set(id, { id, state: 'completed', startTime: new Date(aws.clock.ms - minutesAgo * 60_000), lineage: 'ci', kind: 'periodic', ...extra });
}

describe('Keeper.start', () => {
  test('empty lineage: authorizes (bootstrap), tags the volume holder and writes the authorized marker', async () => {
    const { aws, keeper } = setup();
    const out = await aws.settle(keeper.start());
    assert.equal(out.value, 'authorized');
    assert.equal(aws.volumes.get('vol-1')?.holder, 'ci');
    assert.match(aws.markers.get('authorized') ?? '', /"volume":"vol-1"/);
    const decision = aws.logs.find((l) => l.msg === 'gate decision');
    assert.equal(decision?.decision, 'authoritative');
    assert.equal(decision?.reason, 'bootstrap');
    assert.ok(keeper.authoritative);
  });

  test('volume built from an older snapshot: stays stale, then authorizes when the pending head fails', async () => {
    const { aws, keeper } = setup({ source: 'snap-old' });
    completed(aws, 'snap-old', 30);
    aws.snapshots.set('snap-new', { id: 'snap-new', state: 'pending', startTime: new Date(aws.clock.ms - 60_000), lineage: 'ci', kind: 'final' });
    const p = keeper.start();
    const early = await aws.settle(p, 60_000);
    assert.equal(early.done, false, 'the gate stays closed while stale');
    assert.match(aws.markers.get('stale') ?? '', /snap-old.*snap-new/);
    assert.equal(aws.markers.has('authorized'), false);
    aws.snapshots.set('snap-new', { ...aws.snapshots.get('snap-new')!, state: 'error' });
    const out = await aws.settle(p, 60_000);
    assert.equal(out.value, 'authorized');
    assert.equal(aws.markers.has('stale'), false, 'the stale marker is cleared');
    const metrics = aws.logs.filter((l) => l.metric?.name === 'StaleGateDecisions');
    assert.equal(metrics.length, 1, 'one stale metric per task, however long it waits');
  });

  test('the authorized marker cannot be written: the holder tag is withdrawn, the round is retried, and stop takes no final snapshot', async () => {
    const { aws, keeper } = setup();
    aws.host.writeMarker = async (kind) => {
      if (kind === 'authorized') throw new Error('EROFS: read-only file system');
    };
    const started = keeper.start();
    const out = await aws.settle(started, 60_000);
    assert.equal(out.done, false, 'the gate stays closed and the round is retried');
    assert.ok(aws.logs.some((l) => l.msg === 'gate round failed; the gate stays closed' && /EROFS/.test(String(l.error))));
    assert.ok(aws.calls.includes('untagHolder'), 'each failed round withdraws its holder tag');
    assert.equal(keeper.authoritative, false);
    started.catch(() => undefined);
    assert.equal((await aws.settle(keeper.stop())).value, 0);
    await aws.settle(started);
    assert.equal(aws.volumes.get('vol-1')?.holder, undefined, 'no holder tag left behind');
    assert.equal(aws.calls.includes('createSnapshot'), false, 'no final snapshot of a home Jenkins never ran on');
  });

  test('a stale marker that fails to be written is written on a later re-check', async () => {
    const { aws, keeper } = setup({ source: 'snap-old' });
    completed(aws, 'snap-old', 30);
    completed(aws, 'snap-new', 5);
    const write = aws.host.writeMarker;
    let failures = 1;
    aws.host.writeMarker = async (kind, body) => {
      if (kind === 'stale' && failures-- > 0) throw new Error('EIO');
      await write(kind, body);
    };
    const out = await aws.settle(keeper.start(), 120_000);
    assert.equal(out.done, false, 'still stale');
    assert.match(aws.markers.get('stale') ?? '', /snap-old/);
  });

  test('another in-use holder: waits until it goes away, then decides again', async () => {
    const { aws, keeper } = setup({ source: 'snap-h' });
    completed(aws, 'snap-h', 5);
    aws.volumes.set('vol-0', { id: 'vol-0', state: 'in-use', createTime: new Date(aws.clock.ms - 600_000), holder: 'ci', snapshotId: 'snap-h' });
    const p = keeper.start();
    assert.equal((await aws.settle(p, 120_000)).done, false);
    assert.ok(aws.logs.some((l) => l.msg.startsWith('another volume holds the lineage')));
    aws.volumes.delete('vol-0');
    assert.equal((await aws.settle(p, 60_000)).value, 'authorized');
  });

  test('loses a holder race to an older volume that tagged itself meanwhile: removes its tag and waits', async () => {
    const { aws, keeper } = setup({ source: 'snap-h' });
    completed(aws, 'snap-h', 5);
    const p = keeper.start();
    // Let the keeper tag itself, then let an older volume tag itself during the settle pause.
    await aws.clock.runUntil(aws.clock.ms + 1_000);
    assert.equal(aws.volumes.get('vol-1')?.holder, 'ci');
    aws.volumes.set('vol-0', { id: 'vol-0', state: 'in-use', createTime: new Date(aws.clock.ms - 600_000), holder: 'ci', snapshotId: 'snap-h' });
    assert.equal((await aws.settle(p, 30_000)).done, false);
    assert.ok(aws.logs.some((l) => l.msg === 'lost the holder race; giving way'));
    assert.equal(aws.volumes.get('vol-1')?.holder, undefined);
    assert.equal(aws.markers.has('authorized'), false);
  });

  test('wins a holder race against a newer volume that has not removed its tag yet: authorizes', async () => {
    const { aws, keeper } = setup({ source: 'snap-h' });
    completed(aws, 'snap-h', 5);
    const p = keeper.start();
    await aws.clock.runUntil(aws.clock.ms + 1_000);
    // A newer volume tagged itself at the same time; it will give way, but its tag is still there.
    aws.volumes.set('vol-2', { id: 'vol-2', state: 'in-use', createTime: aws.clock.now(), holder: 'ci', snapshotId: 'snap-h' });
    const out = await aws.settle(p, 30_000);
    assert.equal(out.value, 'authorized');
    assert.equal(aws.volumes.get('vol-1')?.holder, 'ci');
  });

  test('the head moves while it takes the holder tag (a predecessor\'s final snapshot): removes its tag and goes stale', async () => {
    const { aws, keeper } = setup({ source: 'snap-h' });
    completed(aws, 'snap-h', 5);
    const p = keeper.start();
    // Tagged, now in the settle pause: the previous holder's final snapshot lands and its tag is gone.
    await aws.clock.runUntil(aws.clock.ms + 1_000);
    assert.equal(aws.volumes.get('vol-1')?.holder, 'ci');
    aws.snapshots.set('snap-final', { id: 'snap-final', state: 'pending', startTime: aws.clock.now(), lineage: 'ci', kind: 'final' });
    assert.equal((await aws.settle(p, 60_000)).done, false, 'the gate stays closed');
    assert.ok(aws.logs.some((l) => l.msg.startsWith('the lineage moved while taking the holder tag')));
    assert.equal(aws.volumes.get('vol-1')?.holder, undefined, 'the holder tag is withdrawn');
    assert.equal(aws.markers.has('authorized'), false);
    assert.match(aws.markers.get('stale') ?? '', /snap-h.*snap-final/);
  });

  test('a holder tag that lands after the tag window (throttled CreateTags) is withdrawn and the round starts again', async () => {
    const { aws, keeper } = setup({ source: 'snap-h' });
    completed(aws, 'snap-h', 5);
    // 250 + 500 + 1000 + 2000 ms of backoff: longer than the default window of 2500 ms.
    aws.failures.set('tagHolder', ['RequestLimitExceeded', 'RequestLimitExceeded', 'RequestLimitExceeded', 'RequestLimitExceeded'].map(awsError));
    const out = await aws.settle(keeper.start());
    assert.equal(out.value, 'authorized');
    assert.ok(aws.logs.some((l) => l.msg.startsWith('holder tag landed too late after the listing')));
    const tagCalls = aws.calls.filter((c) => c === 'tagHolder' || c === 'untagHolder');
    assert.ok(tagCalls.indexOf('untagHolder') > 0 && tagCalls.lastIndexOf('tagHolder') > tagCalls.indexOf('untagHolder'), 'tagged again after the withdrawal');
  });

  test('the EBS attachment never becomes ATTACHED: fails with attachment-timeout after the bound', async () => {
    const { aws } = setup();
    aws.attachment = { status: 'ATTACHING' };
    const keeper = new Keeper({ ec2: aws.ec2, ecs: aws.ecs, clock: aws.clock, host: aws.host, log: aws.log }, { ...CFG, attachmentTimeoutMs: 60_000 });
    const started = aws.clock.ms;
    const out = await aws.settle(keeper.start());
    assert.ok(out.error instanceof KeeperError);
    assert.equal(out.error.code, 'attachment-timeout');
    assert.ok(aws.clock.ms - started <= 60_000);
  });

  test('stop during the gate wait cancels start and exits 0 at once without a snapshot', async () => {
    const { aws, keeper } = setup({ source: 'snap-old' });
    completed(aws, 'snap-old', 30);
    completed(aws, 'snap-new', 1);
    const p = keeper.start();
    await aws.settle(p, 30_000);
    const code = await aws.settle(keeper.stop(), 1_000);
    assert.equal(code.value, 0);
    const out = await aws.settle(p, 1_000);
    assert.ok(out.error instanceof KeeperError && out.error.code === 'aborted');
    assert.ok(!aws.calls.includes('createSnapshot'));
  });
});

describe('Keeper.periodicSnapshot', () => {
  test('syncs, then requests a periodic snapshot tagged with lineage, kind, task and source', async () => {
    const { aws, keeper } = setup({ source: 'snap-h' });
    completed(aws, 'snap-h', 5);
    await aws.settle(keeper.start());
    const before = aws.synced;
    const out = await aws.settle(keeper.periodicSnapshot());
    assert.equal(out.value?.status, 'taken');
    assert.equal(aws.synced, before + 1);
    const snap = out.value?.status === 'taken' ? out.value.snapshot : undefined;
    assert.deepEqual({ lineage: snap?.lineage, kind: snap?.kind, task: snap?.task, source: snap?.source }, { lineage: 'ci', kind: 'periodic', task: CFG.taskArn, source: 'snap-h' });
  });

  test('skips the round while the previous periodic snapshot is still pending', async () => {
    const { aws, keeper } = setup();
    await aws.settle(keeper.start());
    await aws.settle(keeper.periodicSnapshot());
    const out = await aws.settle(keeper.periodicSnapshot());
    assert.deepEqual(out.value, { status: 'skipped', reason: 'previous-pending' });
  });

  test('a stale keeper never snapshots', async () => {
    const { keeper, aws } = setup();
    assert.deepEqual((await aws.settle(keeper.periodicSnapshot())).value, { status: 'skipped', reason: 'not-authoritative' });
    assert.ok(!aws.calls.includes('createSnapshot'));
  });
});

describe('Keeper.stop', () => {
  test('waits for Jenkins to stop, syncs, requests the final snapshot, removes the holder tag, exits 0', async () => {
    const { aws, keeper } = setup();
    await aws.settle(keeper.start());
    aws.jenkinsStopped = false;
    const stopping = keeper.stop();
    await aws.clock.runUntil(aws.clock.ms + 5_000);
    assert.ok(!aws.calls.includes('createSnapshot'), 'no snapshot while Jenkins still runs');
    aws.jenkinsStopped = true;
    const out = await aws.settle(stopping);
    assert.equal(out.value, 0);
    const final = [...aws.snapshots.values()].find((s) => s.kind === 'final');
    assert.ok(final);
    assert.equal(aws.volumes.get('vol-1')?.holder, undefined);
    assert.ok(aws.synced >= 1);
  });

  test('order on SIGTERM: sync, then the final CreateSnapshot, and only then the holder tag removal', async () => {
    const { aws } = setup();
    const sync = async (path: string): Promise<void> => {
      aws.calls.push('sync');
      await aws.host.sync(path);
    };
    const host = { ...aws.host, sync };
    const keeper = new Keeper({ ec2: aws.ec2, ecs: aws.ecs, clock: aws.clock, host, log: aws.log }, CFG);
    await aws.settle(keeper.start());
    aws.calls.length = 0;
    assert.equal((await aws.settle(keeper.stop())).value, 0);
    assert.deepEqual(aws.calls.filter((c) => ['sync', 'createSnapshot', 'tagHolder', 'untagHolder'].includes(c)), ['sync', 'createSnapshot', 'untagHolder']);
  });

  test('throttled CreateSnapshot calls are retried within the budget', async () => {
    const { aws, keeper } = setup();
    await aws.settle(keeper.start());
    aws.failures.set('createSnapshot', [awsError('RequestLimitExceeded'), awsError('SnapshotCreationPerVolumeRateExceeded')]);
    assert.equal((await aws.settle(keeper.stop())).value, 0);
    assert.equal(aws.calls.filter((c) => c === 'createSnapshot').length, 3);
  });

  test('an error code not on the list is not retried: exits non-zero and logs the lost window', async () => {
    const { aws, keeper } = setup();
    await aws.settle(keeper.start());
    aws.failures.set('createSnapshot', [awsError('UnauthorizedOperation')]);
    assert.equal((await aws.settle(keeper.stop())).value, 1);
    assert.equal(aws.calls.filter((c) => c === 'createSnapshot').length, 1);
    const line = aws.logs.find((l) => l.level === 'error');
    assert.match(line?.msg ?? '', /final snapshot could not be requested/);
    assert.equal(typeof line?.lostSince, 'string');
    assert.equal(line?.code, 'UnauthorizedOperation');
  });

  test('throttling that outlasts the stop budget: gives up before the budget ends and exits non-zero', async () => {
    const { aws, keeper } = setup();
    await aws.settle(keeper.start());
    aws.failures.set('createSnapshot', Array.from({ length: 100 }, () => awsError('RequestLimitExceeded')));
    const k2 = new Keeper({ ec2: aws.ec2, ecs: aws.ecs, clock: aws.clock, host: aws.host, log: aws.log }, { ...CFG, stopBudgetMs: 20_000, retry: { maxAttempts: 50, baseDelayMs: 500, maxDelayMs: 4_000 } });
    await aws.settle(k2.start());
    const t0 = aws.clock.ms;
    const n = aws.calls.length;
    const out = await aws.settle(k2.stop());
    assert.equal(out.value, 1);
    assert.ok(aws.calls.slice(n).filter((c) => c === 'createSnapshot').length > 1, 'it did retry');
    assert.ok(aws.clock.ms - t0 <= 21_000, 'gave up within the budget (1 s test resolution)');
  });

  test('stop is idempotent: a second SIGTERM gets the same exit code without a second snapshot', async () => {
    const { aws, keeper } = setup();
    await aws.settle(keeper.start());
    const a = await aws.settle(keeper.stop());
    const b = await aws.settle(keeper.stop());
    assert.equal(a.value, b.value);
    assert.equal(aws.calls.filter((c) => c === 'createSnapshot').length, 1);
  });
});

describe('withRetries', () => {
  test('retries only the named AWS error codes', async () => {
    const aws = new FakeAws();
    let n = 0;
    const out = await aws.settle(
      withRetries(async () => {
        n++;
        if (n < 3) throw awsError('ThrottlingException');
        return 'ok';
      }, { clock: aws.clock }),
    );
    assert.equal(out.value, 'ok');
    n = 0;
    const bad = await aws.settle(
      withRetries(async () => {
        n++;
        throw awsError('AccessDeniedException');
      }, { clock: aws.clock }),
    );
    assert.equal((bad.error as Error).name, 'AccessDeniedException');
    assert.equal(n, 1);
    assert.ok(RETRYABLE_AWS_ERRORS.includes('RequestLimitExceeded'));
  });

  test('gives up after maxAttempts and rethrows the last error unchanged', async () => {
    const aws = new FakeAws();
    let n = 0;
    const out = await aws.settle(
      withRetries(async () => {
        n++;
        throw awsError('InternalError');
      }, { clock: aws.clock, policy: { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 100 } }),
    );
    assert.equal(n, 4);
    assert.equal((out.error as Error).name, 'InternalError');
  });
});
