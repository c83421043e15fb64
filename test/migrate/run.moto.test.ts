// The migration task's job end to end on local directories: real rsync and verification, EC2 on
// moto (CreateSnapshot, DescribeSnapshots), and the task's EBS attachment from a stub EcsPort
// (moto's DescribeTasks has no EBS attachment; see test/aws/recorded.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateVolumeCommand, DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { Ec2Adapter } from '../../src/aws/ec2-adapter.js';
import { TAGS } from '../../src/continuity/model.js';
import type { EcsPort } from '../../src/continuity/ports.js';
import { MIGRATE_ENV, parseEvent, type MigrationEvent } from '../../src/migrate/events.js';
import { MigrationError, readMigrationSettings, runMigration, type MigrationDeps } from '../../src/migrate/run.js';
import { motoClients, uniqueLineage } from '../aws/moto.js';

const { ec2 } = motoClients();
const TASK = 'arn:aws:ecs:us-east-1:123456789012:task/jenkins-ecs-m/0123456789abcdef';
let dir = '';
let source = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'migrate-run-'));
  source = join(dir, 'efs', 'jenkins');
  mkdirSync(join(source, 'jobs'), { recursive: true });
  writeFileSync(join(source, 'config.xml'), '<hudson/>\n');
  writeFileSync(join(source, 'jobs', 'big.bin'), Buffer.alloc(2 * 1024 * 1024, 7));
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function setup(opts: { rsync?: string } = {}) {
  const lineage = uniqueLineage('migrate');
  const vol = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 1 }));
  const volumeId = vol.VolumeId!;
  const target = mkdtempSync(join(dir, 'home-'));
  const lines: string[] = [];
  const synced: string[] = [];
  const ecs: Pick<EcsPort, 'describeVolumeAttachment'> = {
    describeVolumeAttachment: async () => ({ status: 'ATTACHED', volumeId }),
  };
  const deps: MigrationDeps = {
    ec2: new Ec2Adapter(ec2),
    ecs: ecs as EcsPort,
    clock: { now: () => new Date(), sleep: async () => {} },
    sync: async (p) => void synced.push(p),
    print: (l) => lines.push(l),
  };
  const settings = { lineage, cluster: 'jenkins-ecs-m', taskArn: TASK, source, target, pollMs: 1, progressIntervalMs: 0, ...opts };
  const events = () => lines.map(parseEvent).filter((e): e is MigrationEvent => e !== undefined);
  return { lineage, volumeId, target, deps, settings, events, synced };
}

describe('migration task', () => {
  test('copies, verifies, flushes, snapshots the volume as kind=seed and says which snapshot', async () => {
    const { lineage, volumeId, target, deps, settings, events, synced } = await setup();
    const seed = await runMigration(deps, settings);
    assert.deepEqual(
      events().filter((e) => e.msg === 'phase').map((e) => (e.msg === 'phase' ? e.phase : '')),
      ['copy', 'verify', 'sync', 'snapshot'],
    );
    assert.ok(events().some((e) => e.msg === 'progress'));
    const verified = events().find((e) => e.msg === 'verified');
    assert.ok(verified && verified.msg === 'verified' && verified.counts.files === 2 && verified.counts.bytes === 2 * 1024 * 1024 + 10);
    assert.deepEqual(synced, [target]);
    assert.equal(seed.volumeId, volumeId);
    assert.deepEqual(events().at(-1), { msg: 'seed', snapshotId: seed.snapshotId, volumeId });
    const res = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [seed.snapshotId] }));
    const tags = Object.fromEntries((res.Snapshots?.[0]?.Tags ?? []).map((t) => [t.Key, t.Value]));
    assert.equal(res.Snapshots?.[0]?.VolumeId, volumeId);
    assert.deepEqual([tags[TAGS.lineage], tags[TAGS.kind], tags[TAGS.task]], [lineage, 'seed', TASK]);
  });

  test('a copy that comes out truncated fails the verification and no snapshot is taken', async () => {
    // rsync as usual, then the big file loses half its bytes (mtime kept): a short write.
    const fake = join(dir, 'truncating-rsync');
    writeFileSync(
      fake,
      '#!/bin/sh\nset -e\nrsync "$@"\nfor last; do :; done\nf="${last}jobs/big.bin"\ntouch -r "$f" "$f.ref"\ntruncate -s 1048576 "$f"\ntouch -r "$f.ref" "$f"\nrm "$f.ref"\n',
    );
    chmodSync(fake, 0o755);
    const { lineage, deps, settings, events } = await setup({ rsync: fake });
    await assert.rejects(runMigration(deps, settings), (e: Error) => {
      assert.ok(e instanceof MigrationError);
      assert.match(e.message, /the copy does not match the source .*jobs\/big\.bin: size 2097152 != 1048576/);
      return true;
    });
    assert.equal(events().some((e) => e.msg === 'phase' && e.phase === 'snapshot'), false);
    assert.deepEqual(await new Ec2Adapter(ec2).listLineage(lineage), []);
  });

  test('a home volume that is not fresh is refused before anything is copied', async () => {
    const { deps, settings, target, events } = await setup();
    writeFileSync(join(target, 'leftover'), 'x');
    await assert.rejects(runMigration(deps, settings), /is not empty \(leftover\)/);
    assert.deepEqual(events(), []);
  });

  test('a --path that is not a directory on the file system is refused', async () => {
    const { deps, settings } = await setup();
    await assert.rejects(runMigration(deps, { ...settings, source: join(dir, 'efs', 'nope') }), /is not a directory on the source file system; check --path/);
  });
});

describe('migration task environment', () => {
  test('--path is taken inside the source mount; defaults for the mounts', () => {
    const s = readMigrationSettings({ [MIGRATE_ENV.lineage]: 'm', [MIGRATE_ENV.sourcePath]: '/jenkins/home/' }, { taskArn: TASK, cluster: 'c' });
    assert.deepEqual([s.source, s.target, s.cluster], ['/mnt/source/jenkins/home', '/mnt/home', 'c']);
    assert.equal(readMigrationSettings({ [MIGRATE_ENV.lineage]: 'm' }, { taskArn: TASK, cluster: 'c' }).source, '/mnt/source');
  });

  test('every problem is named at once, and a path leaving the file system is one of them', () => {
    assert.throws(
      () => readMigrationSettings({ [MIGRATE_ENV.sourcePath]: '/../etc', [MIGRATE_ENV.sampleFiles]: '0' }, { taskArn: TASK }),
      (e: Error) => {
        for (const part of [MIGRATE_ENV.lineage, 'no cluster', 'leaves the file system', MIGRATE_ENV.sampleFiles]) assert.ok(e.message.includes(part), `${part} in ${e.message}`);
        return true;
      },
    );
  });
});
