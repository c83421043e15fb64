import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cidrProblem, closest, fargateEbsCeiling, fargateMemoryChoices, formatIssues, isCidr, parseConfig, partitionOf, isKnownRegion } from '../../src/config/index.js';

describe('CIDR validator', () => {
  const valid = ['0.0.0.0/0', '10.0.0.0/8', '192.168.1.1/32', '255.255.255.255/32', '::/0', '2001:db8::/32', '2001:0db8:0000:0000:0000:0000:0000:0001/128', 'fe80::/10', '::1/128'];
  const invalid = ['10.0.0.0/33', '300.1.1.1/8', '10.0.0/8', '10.0.0.0', '10.0.0.0/', '10.0.0.01/8', '1.2.3.4.5/8', 'a.b.c.d/8', '10.0.0.0/-1', '2001:db8::/129', '2001::db8::/32', '2001:db8:0:0:0:0:0:0:1/64', '12345::/16', ':::/0', '10.0.0.0/8 ', ''];
  for (const c of valid) test(`accepts ${c}`, () => assert.equal(cidrProblem(c), undefined));
  for (const c of invalid) test(`refuses ${JSON.stringify(c)}`, () => assert.equal(isCidr(c), false));
  test('explains a prefix above 32 and an octet above 255', () => {
    assert.match(cidrProblem('10.0.0.0/33')!, /above 32/);
    assert.match(cidrProblem('300.1.1.1/8')!, /"300"/);
  });
});

describe('regions and partitions', () => {
  test('real region names are known, near misses are not', () => {
    for (const r of ['us-east-1', 'eu-central-2', 'ap-southeast-7', 'us-gov-west-1', 'cn-northwest-1', 'il-central-1', 'mx-central-1']) assert.ok(isKnownRegion(r), r);
    for (const r of ['us-east', 'US-EAST-1', 'useast1', 'us-east-1a', 'mars-north-1', 'us-east-9']) assert.ok(!isKnownRegion(r), r);
  });
  test('partition follows the region', () => {
    assert.equal(partitionOf('cn-north-1'), 'aws-cn');
    assert.equal(partitionOf('us-gov-east-1'), 'aws-us-gov');
    assert.equal(partitionOf('eu-west-1'), 'aws');
    assert.equal(partitionOf('eusc-de-east-1'), 'aws-eusc');
  });
});

describe('Fargate sizing', () => {
  test('EBS ceiling follows the per-vCPU table; below 2 vCPU the 2-vCPU row applies', () => {
    assert.deepEqual(fargateEbsCeiling(256), { iops: 3000, throughputMiBps: 75 });
    assert.deepEqual(fargateEbsCeiling(1024), { iops: 3000, throughputMiBps: 75 });
    assert.deepEqual(fargateEbsCeiling(2048), { iops: 3000, throughputMiBps: 75 });
    assert.deepEqual(fargateEbsCeiling(4096), { iops: 5000, throughputMiBps: 120 });
    assert.deepEqual(fargateEbsCeiling(8192), { iops: 10000, throughputMiBps: 250 });
    assert.deepEqual(fargateEbsCeiling(16384), { iops: 15000, throughputMiBps: 500 });
  });
  test('memory choices match the published steps', () => {
    assert.deepEqual(fargateMemoryChoices(256), [512, 1024, 2048]);
    assert.deepEqual(fargateMemoryChoices(512), [1024, 2048, 3072, 4096]);
    assert.equal(fargateMemoryChoices(4096).length, (30720 - 8192) / 1024 + 1);
    assert.deepEqual(fargateMemoryChoices(8192).slice(0, 3), [16384, 20480, 24576]);
    assert.equal(fargateMemoryChoices(16384).at(-1), 122880);
    assert.deepEqual(fargateMemoryChoices(3000), []);
  });
});

describe('suggestions', () => {
  test('close typos get a suggestion, unrelated words do not', () => {
    assert.equal(closest('iosp', ['sizeGiB', 'iops']), 'iops');
    assert.equal(closest('Region', ['name', 'region']), 'region');
    assert.equal(closest('throughputMibps', ['iops', 'throughputMiBps']), 'throughputMiBps');
    assert.equal(closest('spotPrice', ['label', 'cpu', 'memoryMiB', 'image', 'capacity', 'maxAgents']), undefined);
  });
});

describe('warnings (advice, not errors)', () => {
  const warningsOf = (input: unknown) => {
    const r = parseConfig(input);
    assert.ok(r.ok, r.ok ? '' : formatIssues(r.errors).join('\n'));
    return r.warnings;
  };

  test('IOPS above the Fargate ceiling for the controller cpu is money that buys nothing', () => {
    const w = warningsOf({ name: 'ci', controller: { cpu: 2048, home: { sizeGiB: 100, iops: 6000 } } });
    const hit = w.find((i) => i.path === 'controller.home.iops');
    assert.ok(hit);
    assert.match(hit.message, /ceiling of 3000 IOPS for cpu 2048/);
    assert.match(hit.message, /money that buys nothing/);
    // 3000 extra IOPS × $0.005 = $15.00
    assert.match(hit.message, /\$15\.00\/month/);
  });
  test('throughput above the ceiling warns; the free 125 MiB/s never does', () => {
    const w = warningsOf({ name: 'ci', controller: { cpu: 4096, home: { sizeGiB: 100, iops: 4000, throughputMiBps: 500 } } });
    assert.ok(w.some((i) => i.path === 'controller.home.throughputMiBps' && /ceiling of 120 MiB\/s/.test(i.message)));
    const none = warningsOf({ name: 'ci', controller: { cpu: 1024, home: { throughputMiBps: 125 } } });
    assert.ok(!none.some((i) => i.path.startsWith('controller.home.throughput')));
  });
  test('IOPS within the ceiling of a larger task does not warn', () => {
    const w = warningsOf({ name: 'ci', controller: { cpu: 8192, home: { sizeGiB: 100, iops: 10000 } } });
    assert.ok(!w.some((i) => i.path === 'controller.home.iops'));
  });
  test('keepLast × interval under an hour warns with the minimum keepLast', () => {
    const w = warningsOf({ name: 'ci', controller: { snapshots: { intervalMinutes: 10, keepLast: 3 } } });
    const hit = w.find((i) => i.path === 'controller.snapshots.keepLast');
    assert.ok(hit);
    assert.match(hit.message, /30 minutes/);
    assert.match(hit.message, /at least 6/);
  });
  test('certificate in another region than region is a warning, not an error', () => {
    const r = parseConfig({ name: 'ci', region: 'eu-west-1', access: { domainName: 'ci.example.com', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/1234abcd-12ab-34cd-56ef-1234567890ab' } });
    assert.ok(r.ok);
    assert.ok(r.warnings.some((i) => i.path === 'access.certificateArn' && /us-east-1/.test(i.message) && /eu-west-1/.test(i.message)));
  });
  test('an open HTTP endpoint is flagged; an internal one is not', () => {
    assert.ok(warningsOf({ name: 'ci' }).some((i) => i.path === 'access.allowedCidrs'));
    assert.ok(!warningsOf({ name: 'ci', access: { internal: true } }).some((i) => i.path === 'access.allowedCidrs'));
  });
  test('domainName alone: HTTPS with a certificate waiting for manual DNS validation, so no plain-HTTP warning', () => {
    const w = warningsOf({ name: 'ci', access: { domainName: 'ci.example.com' } });
    const hit = w.find((i) => i.path === 'access.domainName');
    assert.ok(hit);
    assert.match(hit.message, /no DNS record/);
    assert.match(hit.message, /DNS validation record by hand/);
    assert.doesNotMatch(hit.message, /no HTTPS/);
    assert.ok(!w.some((i) => i.path === 'access.allowedCidrs'), 'the listener is HTTPS, not plain HTTP');
  });
  test('a seed snapshot reminds that the file system must match it', () => {
    const w = warningsOf({ name: 'ci', controller: { home: { seedSnapshotId: 'snap-0123456789abcdef0', fileSystem: 'ext4' } } });
    assert.ok(w.some((i) => i.path === 'controller.home.fileSystem' && /ext4/.test(i.message)));
  });
  test('a moving agent image tag is flagged', () => {
    const w = warningsOf({ name: 'ci', agents: [{ label: 'a', image: 'jenkins/inbound-agent:latest-jdk21' }, { label: 'b', image: 'example.com:5000/agent:3.1' }] });
    assert.deepEqual(w.filter((i) => i.path.startsWith('agents')).map((i) => i.path), ['agents[0].image']);
  });
});
