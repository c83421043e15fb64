import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIPv4, isIPv6 } from 'node:net';
import fc from 'fast-check';
import { FARGATE_CPUS, fargateMemoryChoices, formatIssue, isCidr, parseConfig } from '../../src/config/index.js';

test('parseConfig never throws and every issue has a path and a message, whatever the input', () => {
  const value = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.integer(), fc.double(), fc.string(), fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(fc.string(), tie('node'), { maxKeys: 4 })),
  })).node;
  // Shapes near the real schema find more corner cases than unrelated noise.
  const nearConfig = fc.record(
    {
      name: value,
      region: value,
      access: fc.record({ internal: value, allowedCidrs: value, hostedZoneId: value, domainName: value }, { requiredKeys: [] }),
      controller: fc.record({ cpu: value, memoryMiB: value, home: fc.dictionary(fc.constantFrom('sizeGiB', 'volumeType', 'iops', 'throughputMiBps', 'kmsKeyArn'), value) }, { requiredKeys: [] }),
      agents: fc.array(fc.record({ label: value, cpu: value, memoryMiB: value }, { requiredKeys: [] }), { maxLength: 3 }),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(fc.oneof(value, nearConfig), (input) => {
      const r = parseConfig(input);
      for (const issue of r.ok ? r.warnings : [...r.errors, ...r.warnings]) {
        assert.ok(issue.path.length > 0);
        assert.ok(issue.message.length > 0);
        assert.ok(formatIssue(issue).includes(issue.path));
      }
    }),
    { numRuns: 400, seed: 1 },
  );
});

test('every Fargate cpu/memory pair is accepted for the controller and refused one MiB off', () => {
  fc.assert(
    fc.property(fc.constantFrom(...FARGATE_CPUS).chain((cpu) => fc.tuple(fc.constant(cpu), fc.constantFrom(...fargateMemoryChoices(cpu)))), ([cpu, memoryMiB]) => {
      assert.ok(parseConfig({ name: 'ci', controller: { cpu, memoryMiB } }).ok);
      assert.equal(parseConfig({ name: 'ci', controller: { cpu, memoryMiB: memoryMiB + 1 } }).ok, false);
    }),
    { seed: 2 },
  );
});

test('the CIDR validator agrees with node:net on the address and bounds the prefix', () => {
  const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
  fc.assert(
    fc.property(v4, fc.nat(40), (addr, prefix) => {
      assert.equal(isIPv4(addr), true);
      assert.equal(isCidr(`${addr}/${prefix}`), prefix <= 32);
    }),
    { seed: 3 },
  );
  fc.assert(
    fc.property(fc.ipV6(), fc.nat(140), (addr, prefix) => {
      // node:net also accepts embedded IPv4 (::ffff:1.2.3.4), which CIDR allowlists do not need.
      fc.pre(!addr.includes('.') && isIPv6(addr));
      assert.equal(isCidr(`${addr}/${prefix}`), prefix <= 128);
    }),
    { seed: 4 },
  );
});
