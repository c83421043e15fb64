// Preflight decisions of `jenkins-ecs migrate`: reachability of a mount target, the NFS rule, and
// the copy estimate. The estimate's numbers are worked by hand from the EFS formulas quoted in
// src/config/efs-burst.ts (baseline 50 KiB/s per GiB, burst 100 MiB/s, reads metered at 1/3,
// bucket 2.1 TiB) and the Fargate 4-vCPU EBS ceiling of 120 MiB/s (docs/aws-notes.md).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { admitsNfs, cidrContains, describeEstimate, estimateCopy, formatDuration, usableSubnets, type SecurityGroupFact } from '../../src/migrate/preflight.js';

const FS = 'fs-0123456789abcdef0';
const subnets = [
  { subnetId: 'subnet-a', availabilityZone: 'eu-west-1a', cidr: '10.0.128.0/20' },
  { subnetId: 'subnet-b', availabilityZone: 'eu-west-1b', cidr: '10.0.144.0/20' },
];
const mt = (az: string, sg = 'sg-efs', state = 'available') => ({ mountTargetId: `fsmt-${az}`, availabilityZone: az, state, securityGroups: [sg] });
const nfsFrom = (source: { group?: string; cidr?: string }, protocol = 'tcp', fromPort = 2049, toPort = 2049): SecurityGroupFact => ({
  groupId: 'sg-efs',
  ingress: [{ protocol, fromPort, toPort, sourceGroups: source.group ? [source.group] : [], cidrs: source.cidr ? [source.cidr] : [] }],
});

describe('network preflight', () => {
  test('cidr containment', () => {
    assert.equal(cidrContains('10.0.0.0/16', '10.0.128.0/20'), true);
    assert.equal(cidrContains('10.0.128.0/20', '10.0.0.0/16'), false);
    assert.equal(cidrContains('10.1.0.0/16', '10.0.128.0/20'), false);
    assert.equal(cidrContains('0.0.0.0/0', '192.168.1.0/24'), true);
    assert.equal(cidrContains('10.0.0.0/16', 'nonsense'), false);
  });

  test('NFS is admitted by the task group, by a CIDR holding the subnet, or by an all-traffic rule; not by another port or group', () => {
    assert.equal(admitsNfs([nfsFrom({ group: 'sg-task' })], 'sg-task', undefined), true);
    assert.equal(admitsNfs([nfsFrom({ cidr: '10.0.0.0/16' })], 'sg-task', '10.0.128.0/20'), true);
    assert.equal(admitsNfs([nfsFrom({ group: 'sg-task' }, '-1', undefined as unknown as number, undefined as unknown as number)], 'sg-task', undefined), true);
    assert.equal(admitsNfs([nfsFrom({ group: 'sg-task' }, 'tcp', 0, 65535)], 'sg-task', undefined), true);
    assert.equal(admitsNfs([nfsFrom({ group: 'sg-task' }, 'tcp', 22, 22)], 'sg-task', undefined), false);
    assert.equal(admitsNfs([nfsFrom({ group: 'sg-task' }, 'udp')], 'sg-task', undefined), false);
    assert.equal(admitsNfs([nfsFrom({ group: 'sg-controller' })], 'sg-task', '10.0.128.0/20'), false);
    assert.equal(admitsNfs([nfsFrom({ cidr: '10.0.144.0/20' })], 'sg-task', '10.0.128.0/20'), false);
  });

  test('only subnets whose AZ has an available, admitting mount target are used', () => {
    const v = usableSubnets({ fileSystemId: FS, subnets, mountTargets: [mt('eu-west-1b'), mt('eu-west-1a', 'sg-efs', 'creating')], groups: [nfsFrom({ group: 'sg-task' })], taskGroup: 'sg-task' });
    assert.deepEqual(v, { ok: true, subnets: ['subnet-b'] });
  });

  test('no mount target in the AZs of the subnets: one line naming the AZs and the command that adds one', () => {
    const v = usableSubnets({ fileSystemId: FS, subnets, mountTargets: [mt('eu-west-1c')], groups: [], taskGroup: 'sg-task' });
    assert.equal(v.ok, false);
    assert.equal(
      !v.ok && v.message,
      `${FS} has no available mount target in the AZs of the deployment's subnets (eu-west-1a, eu-west-1b); add one, e.g. aws efs create-mount-target --file-system-id ${FS} --subnet-id subnet-a`,
    );
  });

  test('NFS not allowed: the exact rule to add, on the mount target group, from the migration group', () => {
    const v = usableSubnets({ fileSystemId: FS, subnets, mountTargets: [mt('eu-west-1a')], groups: [nfsFrom({ group: 'sg-other' })], taskGroup: 'sg-task' });
    assert.equal(v.ok, false);
    assert.match(!v.ok ? v.message : '', /add: aws ec2 authorize-security-group-ingress --group-id sg-efs --protocol tcp --port 2049 --source-group sg-task$/);
  });
});

describe('copy estimate', () => {
  const GiB = 1024 ** 3;

  test('Elastic: bound by the task write ceiling, 120 MiB/s: 100 GiB in 853 s', () => {
    const e = estimateCopy({ sizeBytes: 100 * GiB, throughputMode: 'elastic', volumeThroughputMiBps: 125 });
    assert.equal(e.writeMiBps, 120);
    assert.equal(Math.round(e.seconds), 853);
    assert.equal(e.burst, undefined);
  });

  test('a gp3 home at 125 MiB/s and provisioned 20 MiB/s: reads metered at 1/3 give 60 MiB/s', () => {
    const e = estimateCopy({ sizeBytes: 60 * GiB, throughputMode: 'provisioned', provisionedMiBps: 20, volumeThroughputMiBps: 125 });
    assert.equal(e.readMiBps, 60);
    assert.equal(Math.round(e.seconds), 1024);
  });

  test('bursting with a full bucket: the credits last, 853 s, and Elastic is suggested anyway', () => {
    const e = estimateCopy({ sizeBytes: 100 * GiB, throughputMode: 'bursting', volumeThroughputMiBps: 125 });
    assert.equal(Math.round(e.seconds), 853);
    assert.equal(e.burst?.creditAssumed, true);
    assert.equal(e.burst?.emptyAfterSeconds, undefined);
    const lines = describeEstimate(FS, 100 * GiB, e);
    assert.match(lines[1] ?? '', /assumed full: no BurstCreditBalance datapoint/);
    assert.match(lines[2] ?? '', /aws efs update-file-system --file-system-id fs-0123456789abcdef0 --throughput-mode elastic/);
  });

  test('bursting with 10 GiB of credits left: they run out after 292 s, the rest at 3 × baseline; about 4893 s', () => {
    // baseline 100 GiB × 50 KiB/s = 4.8828 MiB/s; drain = 120/3 - 4.8828 = 35.117 MiB/s;
    // 10240 MiB / 35.117 = 291.6 s, copying 34,990 MiB; 67,410 MiB left at 14.648 MiB/s = 4602 s.
    const e = estimateCopy({ sizeBytes: 100 * GiB, throughputMode: 'bursting', burstCreditBytes: 10 * GiB, volumeThroughputMiBps: 125 });
    assert.equal(Math.round(e.burst?.emptyAfterSeconds ?? 0), 292);
    assert.equal(e.burst?.afterEmptyMiBps.toFixed(3), '14.648');
    assert.equal(Math.round(e.seconds), 4893);
    assert.equal(e.burst?.creditAssumed, false);
    assert.match(describeEstimate(FS, 100 * GiB, e)[1] ?? '', /run out after 5 min, then reads fall to 14\.6 MiB\/s/);
  });

  test('durations read naturally', () => {
    assert.deepEqual([formatDuration(45), formatDuration(853), formatDuration(4893 * 2), formatDuration(3 * 86_400), formatDuration(Infinity)], ['45s', '14 min', '2.7 h', '3.0 days', 'forever']);
  });
});
