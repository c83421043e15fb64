import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, type JenkinsEcsConfig } from '../../src/config/index.js';
import { ebsMonthly, efsOptions, estimateCost, fargateHourly, snapshotGiB } from '../../src/config/cost.js';
import { creditTimeline, efsBaselineMiBps, efsBucketMiB, efsBurstMiBps, meteringFactor, simulateBurst } from '../../src/config/efs-burst.js';

function config(input: unknown): JenkinsEcsConfig {
  const r = parseConfig(input);
  assert.ok(r.ok);
  return r.config;
}

const close = (actual: number, expected: number, eps = 0.01) =>
  assert.ok(Math.abs(actual - expected) <= eps, `expected ~${expected}, got ${actual}`);

describe('EFS bursting arithmetic', () => {
  test('a 20 GiB home has a 1 MiB/s baseline, a 100 MiB/s burst and a 2.1 TiB bucket', () => {
    // 50 KiB/s × 20 GiB = 1000 KiB/s = 0.977 MiB/s, below the 1 MiB/s floor → 1
    assert.equal(efsBaselineMiBps(20), 1);
    // 100 MiB/s per TiB × 20/1024 TiB = 1.95 MiB/s, below the 100 MiB/s floor → 100
    assert.equal(efsBurstMiBps(20), 100);
    // 2.1 × 1,048,576 MiB = 2,202,009.6 MiB
    close(efsBucketMiB(20), 2202009.6, 1e-6);
  });
  test('above 1 TiB the baseline, burst and bucket scale with size', () => {
    // 2048 GiB: baseline 50 × 2048 / 1024 = 100 MiB/s; burst 100 × 2 = 200 MiB/s; bucket 2.1 × 2 TiB
    assert.equal(efsBaselineMiBps(2048), 100);
    assert.equal(efsBurstMiBps(2048), 200);
    close(efsBucketMiB(2048), 4.2 * 1048576, 1e-6);
  });
  test('reads are metered at one third', () => {
    // 30% reads: 0.3/3 + 0.7 = 0.8
    close(meteringFactor(0.3), 0.8, 1e-12);
    assert.equal(meteringFactor(0), 1);
    close(meteringFactor(1), 1 / 3, 1e-12);
  });
  test('20 GiB at a sustained 3 MiB/s of pure writes empties the bucket in ~306 h, then 1 MiB/s', () => {
    // metered = 3 × 1 = 3 MiB/s; drain = 3 − 1 = 2 MiB/s
    // hours = 2,202,009.6 MiB / 2 MiB/s / 3600 s/h = 305.83 h (12.7 days)
    const r = simulateBurst({ storedGiB: 20, ioMiBps: 3, readFraction: 0 });
    close(r.drainMiBps, 2, 1e-12);
    close(r.hoursUntilEmpty!, 305.83);
    // after: baseline 1 MiB/s metered ÷ factor 1 = 1 MiB/s of writes
    close(r.ioAfterEmptyMiBps, 1, 1e-12);
  });
  test('50 GiB at 5 MiB/s with half reads: ~686 h, then ~3.66 MiB/s of the same mix', () => {
    // baseline = 50 × 50 / 1024 = 2.4414 MiB/s; factor = 0.5/3 + 0.5 = 0.6667; metered = 3.3333
    // drain = 3.3333 − 2.4414 = 0.8919 MiB/s; hours = 2,202,009.6 / 0.8919 / 3600 = 685.8
    // after = 2.4414 / 0.6667 = 3.662 MiB/s
    const r = simulateBurst({ storedGiB: 50, ioMiBps: 5, readFraction: 0.5 });
    close(r.hoursUntilEmpty!, 685.8, 0.1);
    close(r.ioAfterEmptyMiBps, 3.662, 0.001);
  });
  test('a load under the baseline never empties the bucket', () => {
    // 20 GiB, 1.2 MiB/s of pure reads → metered 0.4 MiB/s < 1 MiB/s baseline
    const r = simulateBurst({ storedGiB: 20, ioMiBps: 1.2, readFraction: 1 });
    assert.equal(r.hoursUntilEmpty, undefined);
    assert.equal(r.drainMiBps, 0);
  });
  test('a load above the burst rate drains at burst minus baseline', () => {
    // 20 GiB, 150 MiB/s writes: capped at 100 MiB/s burst; drain 99 → 2,202,009.6 / 99 / 3600 = 6.18 h
    const r = simulateBurst({ storedGiB: 20, ioMiBps: 150, readFraction: 0 });
    assert.equal(r.aboveBurst, true);
    close(r.hoursUntilEmpty!, 6.18);
  });
  test('the step simulation agrees with the closed form', () => {
    const input = { storedGiB: 20, ioMiBps: 3, readFraction: 0 };
    const timeline = creditTimeline(input, 320);
    // Closed form: empty at 305.83 h. At hour 305 some credit remains; at hour 306 none.
    assert.ok(timeline[305]!.creditMiB > 0);
    assert.equal(timeline[306]!.creditMiB, 0);
    // After one hour: 2,202,009.6 − 2 × 3600 = 2,194,809.6
    close(timeline[1]!.creditMiB, 2194809.6, 1e-6);
  });
  test('an out-of-range read fraction is refused', () => {
    assert.throws(() => simulateBurst({ storedGiB: 20, ioMiBps: 1, readFraction: 1.5 }), /readFraction/);
  });
});

describe('EFS throughput modes', () => {
  test('elastic and provisioned costs for 20 GiB at 2 MiB/s with 25% reads', () => {
    // storage 20 × $0.30 = $6.00
    // month of I/O = 2 MiB/s × 730 h × 3600 s = 5,256,000 MiB = 5132.8 GiB
    // reads 25% = 1283.2 GiB × $0.03 = $38.50; writes 3849.6 GiB × $0.06 = $230.98 → $269.47
    // provisioned 2 MiB/s × $6 = $12.00
    const { options } = efsOptions(20, { ioMiBps: 2, readFraction: 0.25 });
    const [bursting, elastic, provisioned] = options;
    close(bursting!.usdPerMonth, 6);
    close(elastic!.throughputUsd, 269.47);
    close(elastic!.usdPerMonth, 275.47);
    close(provisioned!.usdPerMonth, 18);
  });
});

describe('deployment cost lines', () => {
  test('Fargate hourly price for 2 vCPU / 4 GiB', () => {
    // 2 × 0.04048 + 4 × 0.004445 = 0.08096 + 0.01778 = 0.09874 $/h
    close(fargateHourly(2048, 4096), 0.09874, 1e-9);
  });
  test('gp3 above the included IOPS and throughput pays for the extra only', () => {
    // 100 GiB × 0.08 = 8.00; (6000 − 3000) × 0.005 = 15.00; (250 − 125) × 0.04 = 5.00 → 28.00
    const r = ebsMonthly({ sizeGiB: 100, volumeType: 'gp3', iops: 6000, throughputMiBps: 250, fileSystem: 'xfs' });
    close(r.usd, 28);
    assert.equal(r.basis, 'list');
  });
  test('io2 uses an assumed price and says so', () => {
    const r = ebsMonthly({ sizeGiB: 100, volumeType: 'io2', iops: 4000, fileSystem: 'xfs' });
    assert.equal(r.basis, 'assumed');
    assert.match(r.detail, /assumed/);
  });
  test('snapshot storage for the defaults: 50 GiB × (1 + 5% × 14 days) = 85 GB', () => {
    const s = snapshotGiB(config({ name: 'ci' }), 0.05);
    close(s.gib, 85, 1e-9);
    assert.equal(s.retentionDays, 14);
  });
  test('the default deployment costs ~$143.56 a month, line by line', () => {
    const est = estimateCost(config({ name: 'ci' }));
    const by = Object.fromEntries(est.lines.map((l) => [l.item, l.usdPerMonth]));
    // controller: 0.09874 × 730 = 72.08
    close(by['Fargate controller']!, 72.08);
    // agents: (0.04048 + 2 × 0.004445) × 0.3 × 200 = 0.04937 × 0.3 × 200 = 2.96
    close(by["Agents 'linux'"]!, 2.96);
    // home: 50 × 0.08 = 4.00; snapshots: 85 × 0.05 = 4.25
    close(by['EBS home']!, 4);
    close(by['EBS snapshots']!, 4.25);
    // ALB: (0.0225 + 0.008) × 730 = 22.265 → 22.27 (rounded half up: 22.265 is stored as 22.2649… or 22.2650…)
    close(by['Load balancer']!, 22.27, 0.011);
    // NAT: 0.045 × 730 + 50 × 0.045 = 32.85 + 2.25 = 35.10
    close(by['NAT gateway']!, 35.1);
    close(by['Secrets Manager']!, 0.4);
    close(by['CloudWatch Logs']!, 2.5);
    close(est.totalUsdPerMonth, 72.08 + 2.96 + 4 + 4.25 + 22.27 + 35.1 + 0.4 + 2.5, 0.011);
  });
  test('an imported VPC has no NAT line and on-demand agents pay full price', () => {
    const est = estimateCost(config({ name: 'ci', vpc: { id: 'vpc-0123456789abcdef0' }, agents: [{ label: 'od', capacity: 'on-demand' }] }), { agentHoursPerTemplate: 100 });
    assert.ok(!est.lines.some((l) => l.item === 'NAT gateway'));
    // 0.04937 × 100 = 4.94
    close(est.lines.find((l) => l.item === "Agents 'od'")!.usdPerMonth, 4.94);
  });
  test('agents: [] has no agent lines', () => {
    const est = estimateCost(config({ name: 'ci', agents: [] }));
    assert.ok(!est.lines.some((l) => l.item.startsWith('Agents')));
  });
});
