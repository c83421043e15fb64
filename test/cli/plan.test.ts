import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { EXIT } from '../../src/cli/errors.js';
import { BufferIo } from '../../src/cli/io.js';

function workspace(files: Record<string, string>) {
  const cwd = mkdtempSync(join(tmpdir(), 'jenkins-ecs-plan-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(cwd, name), text);
  return { io: new BufferIo(), env: {}, cwd, now: () => new Date('2026-01-01T00:00:00Z') };
}

describe('jenkins-ecs plan', () => {
  test('prints what would be deployed and an approximate cost table with a total', async () => {
    const c = workspace({ 'jenkins-ecs.yaml': 'name: ci\n' });
    assert.equal(await main(['plan'], c), EXIT.ok);
    const out = c.io.text();
    assert.match(out, /What would be deployed/);
    assert.match(out, /stacks\s+jenkins-ecs-ci-state \(lineage record\), jenkins-ecs-ci/);
    assert.match(out, /Approximate monthly cost/);
    assert.match(out, /usable EBS\s+up to 3000 IOPS \/ 75 MiB\/s \(Fargate per-task ceiling for 2 vCPU\)/);
    assert.match(out, /Fargate controller\s+2 vCPU, 4 GiB × 730 h\s+\$72\.08/);
    assert.match(out, /NAT gateway/);
    assert.match(out, /Total \(approximate\).*~\$\d+\.\d\d/);
    assert.match(out, /EFS bursting/);
    assert.match(out, /EFS elastic/);
    assert.match(out, /EFS provisioned/);
    assert.match(out, /credits run out after ~\d+ h/);
  });
  test('money column is right-aligned', async () => {
    const c = workspace({ 'jenkins-ecs.yaml': 'name: ci\n' });
    await main(['plan'], c);
    const rows = c.io.stdout.filter((l) => /^\s{2}(Fargate controller|Secrets Manager)/.test(l));
    assert.equal(rows.length, 2);
    const end = (l: string) => l.replace(/\s+\*$/, '').length;
    assert.equal(end(rows[0]!), end(rows[1]!));
  });
  test('an imported VPC has no NAT gateway line', async () => {
    const c = workspace({ 'c.yaml': 'name: ci\nregion: eu-west-1\nvpc: {id: vpc-0123456789abcdef0}\n' });
    assert.equal(await main(['plan', '--config', 'c.yaml'], c), EXIT.ok);
    assert.doesNotMatch(c.io.text(), /NAT gateway/);
    assert.match(c.io.text(), /imported vpc-0123456789abcdef0/);
    assert.match(c.io.text(), /us-east-1 list prices; eu-west-1 prices differ/);
  });
  test('--io-mibps and --read-fraction drive the EFS burst result', async () => {
    const c = workspace({ 'jenkins-ecs.yaml': 'name: ci\ncontroller: {home: {sizeGiB: 20}}\n' });
    // 20 GiB, 3 MiB/s writes only: drain 2 MiB/s → 2,202,009.6 / 2 / 3600 = 305.8 h
    assert.equal(await main(['plan', '--io-mibps', '3', '--read-fraction', '0'], c), EXIT.ok);
    assert.match(c.io.text(), /credits run out after ~306 h/);
  });
  // Ceilings from /work/shared/docs/aws-facts.md (AWS "Amazon EBS volume performance on Fargate"):
  // 2 vCPU 75 MiB/s, 4 vCPU 120, 8 vCPU 250, 16 vCPU 500; EFS bursting max(100 MiB/s, 100 MiB/s per TiB stored).
  test('--io-mibps above the Fargate EBS ceiling of the cpu is a warning naming the ceiling and the cpu that reaches it', async () => {
    const c = workspace({ 'jenkins-ecs.yaml': 'name: ci\n' });
    assert.equal(await main(['plan', '--io-mibps', '100'], c), EXIT.ok);
    const out = c.io.text();
    assert.match(out, /EBS gp3 \(this plan\).*delivers at most 75 MiB\/s here/);
    assert.doesNotMatch(out, /no credits to run out/);
    assert.match(out, /^warning: --io-mibps 100 is above what this home can use on EBS: the Fargate per-task EBS ceiling for 2 vCPU is 75 MiB\/s — set controller\.cpu to 4096 \(120 MiB\/s\)$/m);
  });
  test('at or below the ceiling there is no warning; a gp3 throughput below the rate names throughputMiBps', async () => {
    const fits = workspace({ 'jenkins-ecs.yaml': 'name: ci\n' });
    await main(['plan', '--io-mibps', '75'], fits);
    assert.doesNotMatch(fits.io.text(), /^warning:/m);
    assert.match(fits.io.text(), /no credits to run out/);
    const volume = workspace({ 'jenkins-ecs.yaml': 'name: ci\ncontroller: {cpu: 8192}\n' });
    await main(['plan', '--io-mibps', '200'], volume);
    assert.match(volume.io.text(), /^warning: .*controller\.home\.throughputMiBps is 125 MiB\/s — set controller\.home\.throughputMiBps to at least 200/m);
    const none = workspace({ 'jenkins-ecs.yaml': 'name: ci\ncontroller: {cpu: 16384, home: {iops: 4000, throughputMiBps: 1000}}\n' });
    await main(['plan', '--io-mibps', '600'], none);
    assert.match(none.io.text(), /^warning: .*16 vCPU is 500 MiB\/s — no Fargate task reaches it/m);
  });
  test('the EFS bursting cap is stated, and a rate above it is called out', async () => {
    const c = workspace({ 'jenkins-ecs.yaml': 'name: ci\n' });
    await main(['plan', '--io-mibps', '1000'], c);
    assert.match(c.io.text(), /EFS bursting is capped at 100 MiB\/s for 50 GiB stored .*: 1000 MiB\/s is above it from the first second\./);
    const big = workspace({ 'jenkins-ecs.yaml': 'name: ci\ncontroller: {home: {sizeGiB: 2048}}\n' });
    await main(['plan', '--io-mibps', '5'], big);
    assert.match(big.io.text(), /EFS bursting is capped at 200 MiB\/s for 2048 GiB stored/);
  });
  test('--json prints one parseable document with lines, total and EFS modes', async () => {
    const c = workspace({ 'jenkins-ecs.yaml': 'name: ci\nagents: []\n' });
    assert.equal(await main(['plan', '--json', '--agent-hours', '0'], c), EXIT.ok);
    const doc = JSON.parse(c.io.text()) as {
      approximate: boolean;
      cost: { lines: { item: string; usdPerMonth: number }[]; totalUsdPerMonth: number; home: { efs: { mode: string }[] } };
    };
    assert.equal(doc.approximate, true);
    assert.ok(!doc.cost.lines.some((l) => l.item.startsWith('Agents')));
    const sum = doc.cost.lines.reduce((s, l) => s + l.usdPerMonth, 0);
    assert.ok(Math.abs(sum - doc.cost.totalUsdPerMonth) < 0.005);
    assert.deepEqual(doc.cost.home.efs.map((o) => o.mode), ['bursting', 'elastic', 'provisioned']);
  });
  test('an invalid config exits 1 with its errors on stderr', async () => {
    const c = workspace({ 'jenkins-ecs.yaml': 'name: ci\ncontroller: {cpu: 3}\n' });
    assert.equal(await main(['plan'], c), EXIT.failure);
    assert.ok(c.io.stderr.some((l) => l.startsWith('controller.cpu: 3')));
  });
  test('a bad number option is a usage error naming the flag and value', async () => {
    const c = workspace({ 'jenkins-ecs.yaml': 'name: ci\n' });
    assert.equal(await main(['plan', '--read-fraction', '2'], c), EXIT.usage);
    assert.equal(c.io.stderr[0], 'jenkins-ecs: --read-fraction: 2 is above the maximum 1; allowed 0..1 — pass --read-fraction 1 or less');
    const word = workspace({ 'jenkins-ecs.yaml': 'name: ci\n' });
    assert.equal(await main(['plan', '--io-mibps', 'fast'], word), EXIT.usage);
    assert.match(word.io.stderr[0]!, /--io-mibps: "fast" is not a number in 0\.\.100000/);
  });
  test('a negative number is a value with a range, not an "ambiguous" option (--io-mibps -5 and --io-mibps=-5)', async () => {
    for (const args of [['--io-mibps', '-5'], ['--io-mibps=-5']]) {
      const c = workspace({ 'jenkins-ecs.yaml': 'name: ci\n' });
      assert.equal(await main(['plan', ...args], c), EXIT.usage);
      assert.deepEqual(c.io.stderr, ['jenkins-ecs: --io-mibps: -5 is below the minimum 0; allowed 0..100000 — pass --io-mibps 0 or more']);
    }
  });
  test('the plan command imports no AWS SDK and no CDK', () => {
    const src = readFileSync(join(__dirname, '..', '..', 'src', 'cli', 'commands', 'plan.ts'), 'utf8');
    assert.doesNotMatch(src, /@aws-sdk|aws-cdk-lib|aws-context/);
  });
});
