import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderAgentsCasc } from '../../src/config/agents-casc.js';
import { DEFAULTS, formatIssue, formatIssues, parseConfig, parseConfigText, type ConfigIssue, type ConfigResult } from '../../src/config/index.js';

const KMS = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

function errorsOf(r: ConfigResult): readonly ConfigIssue[] {
  assert.equal(r.ok, false, 'expected the config to be refused');
  return r.ok ? [] : r.errors;
}

function home(h: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { name: 'ci', controller: { home: h, ...extra } };
}

interface InvalidCase {
  readonly scenario: string;
  readonly input: unknown;
  readonly path: string;
  /** Text of the received value as it must appear in the message. */
  readonly value: string;
  /** Extra words the message must contain (range, choices or fix). */
  readonly mentions?: readonly string[];
}

const INVALID: readonly InvalidCase[] = [
  { scenario: 'name missing', input: { region: 'us-east-1' }, path: 'name', value: 'nothing', mentions: ['^[a-z][a-z0-9-]{1,30}$'] },
  { scenario: 'name with uppercase and underscore', input: { name: 'My_CI' }, path: 'name', value: '"My_CI"', mentions: ['my-ci'] },
  { scenario: 'name of one character', input: { name: 'c' }, path: 'name', value: '"c"' },
  { scenario: 'name of 32 characters', input: { name: `a${'b'.repeat(31)}` }, path: 'name', value: `"a${'b'.repeat(31)}"` },
  { scenario: 'region that is not a region', input: { name: 'ci', region: 'us-east' }, path: 'region', value: '"us-east"', mentions: ['us-east-1'] },
  { scenario: 'vpc id without the vpc- prefix', input: { name: 'ci', vpc: { id: '0123456789abcdef0' } }, path: 'vpc.id', value: '"0123456789abcdef0"' },
  { scenario: 'controller cpu that Fargate does not offer', input: { name: 'ci', controller: { cpu: 3072 } }, path: 'controller.cpu', value: '3072', mentions: ['256, 512, 1024, 2048, 4096, 8192, 16384'] },
  { scenario: 'controller memory outside the range for cpu 2048', input: { name: 'ci', controller: { cpu: 2048, memoryMiB: 2048 } }, path: 'controller.memoryMiB', value: '2048', mentions: ['4096..16384', 'cpu 2048'] },
  { scenario: 'controller memory off the 4096 step for cpu 8192', input: { name: 'ci', controller: { cpu: 8192, memoryMiB: 18432 } }, path: 'controller.memoryMiB', value: '18432', mentions: ['steps of 4096'] },
  { scenario: 'gp3 iops below 3000', input: home({ iops: 2000 }), path: 'controller.home.iops', value: '2000', mentions: ['3000..16000', 'at least 3000'] },
  { scenario: 'gp3 iops above 16000', input: home({ iops: 20000, sizeGiB: 100 }), path: 'controller.home.iops', value: '20000', mentions: ['at most 16000'] },
  { scenario: 'gp3 iops above 500 per GiB', input: home({ iops: 5001, sizeGiB: 10 }), path: 'controller.home.iops', value: '5001', mentions: ['500 IOPS per GiB', 'sizeGiB to at least 11'] },
  { scenario: 'gp3 throughput above 1000', input: home({ throughputMiBps: 1200, iops: 16000, sizeGiB: 100 }), path: 'controller.home.throughputMiBps', value: '1200', mentions: ['125..1000'] },
  { scenario: 'gp3 throughput above 0.25 MiB/s per IOPS', input: home({ throughputMiBps: 800, iops: 3000 }), path: 'controller.home.throughputMiBps', value: '800', mentions: ['at most 750', 'iops to at least 3200'] },
  { scenario: 'throughput on io2', input: home({ volumeType: 'io2', iops: 3000, throughputMiBps: 200 }), path: 'controller.home.throughputMiBps', value: '200', mentions: ['only on gp3'] },
  { scenario: 'io2 without iops', input: home({ volumeType: 'io2' }), path: 'controller.home.iops', value: 'nothing', mentions: ['100..256000'] },
  { scenario: 'io1 iops above 50 per GiB', input: home({ volumeType: 'io1', iops: 5000, sizeGiB: 50 }), path: 'controller.home.iops', value: '5000', mentions: ['50 IOPS per GiB', 'at most 2500'] },
  { scenario: 'io1 iops above 64000', input: home({ volumeType: 'io1', iops: 70000, sizeGiB: 2000 }), path: 'controller.home.iops', value: '70000', mentions: ['100..64000'] },
  { scenario: 'io2 smaller than 4 GiB', input: home({ volumeType: 'io2', iops: 1000, sizeGiB: 2 }), path: 'controller.home.sizeGiB', value: '2', mentions: ['4..16384'] },
  { scenario: 'gp2 with iops', input: home({ volumeType: 'gp2', iops: 3000 }), path: 'controller.home.iops', value: '3000', mentions: ['gp2 takes no iops'] },
  { scenario: 'volume size above 16384', input: home({ sizeGiB: 20000 }), path: 'controller.home.sizeGiB', value: '20000', mentions: ['1..16384'] },
  { scenario: 'unknown volume type close to gp3', input: home({ volumeType: 'gp4' }), path: 'controller.home.volumeType', value: '"gp4"', mentions: ['gp3 | io2 | io1 | gp2', 'did you mean gp3'] },
  { scenario: 'file system not offered', input: home({ fileSystem: 'ext3' }), path: 'controller.home.fileSystem', value: '"ext3"', mentions: ['xfs | ext4'] },
  { scenario: 'seed snapshot id malformed', input: home({ seedSnapshotId: 'snap-12' }), path: 'controller.home.seedSnapshotId', value: '"snap-12"' },
  { scenario: 'initialization rate above 300', input: home({ initializationRateMiBps: 500 }), path: 'controller.home.initializationRateMiBps', value: '500', mentions: ['100..300'] },
  { scenario: 'initialization rate not a whole number', input: home({ initializationRateMiBps: 150.5 }), path: 'controller.home.initializationRateMiBps', value: '150.5', mentions: ['whole number'] },
  { scenario: 'kms alias ARN instead of key ARN', input: home({ kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:alias/jenkins' }), path: 'controller.home.kmsKeyArn', value: '"arn:aws:kms:us-east-1:123456789012:alias/jenkins"', mentions: ['key ARN'] },
  { scenario: 'kms key in another region than region', input: { name: 'ci', region: 'eu-west-1', controller: { home: { kmsKeyArn: KMS } } }, path: 'controller.home.kmsKeyArn', value: KMS, mentions: ['eu-west-1'] },
  { scenario: 'kms key from another partition', input: { name: 'ci', region: 'cn-north-1', controller: { home: { kmsKeyArn: KMS } } }, path: 'controller.home.kmsKeyArn', value: KMS, mentions: ['partition aws', 'aws-cn'] },
  { scenario: 'snapshot interval below 5 minutes', input: { name: 'ci', controller: { snapshots: { intervalMinutes: 4 } } }, path: 'controller.snapshots.intervalMinutes', value: '4', mentions: ['5..1440'] },
  { scenario: 'snapshot interval above 1440 minutes', input: { name: 'ci', controller: { snapshots: { intervalMinutes: 1441 } } }, path: 'controller.snapshots.intervalMinutes', value: '1441', mentions: ['at most 1440'] },
  { scenario: 'keepLast zero', input: { name: 'ci', controller: { snapshots: { keepLast: 0 } } }, path: 'controller.snapshots.keepLast', value: '0', mentions: ['at least 1'] },
  { scenario: 'keepDailyDays negative', input: { name: 'ci', controller: { snapshots: { keepDailyDays: -1 } } }, path: 'controller.snapshots.keepDailyDays', value: '-1' },
  { scenario: 'keepLast given as a quoted string', input: { name: 'ci', controller: { snapshots: { keepLast: '12' } } }, path: 'controller.snapshots.keepLast', value: '"12"', mentions: ['without quotes'] },
  { scenario: 'IPv4 CIDR with prefix 33', input: { name: 'ci', access: { allowedCidrs: ['10.0.0.0/33'] } }, path: 'access.allowedCidrs[0]', value: '"10.0.0.0/33"', mentions: ['above 32'] },
  { scenario: 'IPv4 CIDR with octet 300', input: { name: 'ci', access: { allowedCidrs: ['10.0.0.0/8', '300.1.1.1/8'] } }, path: 'access.allowedCidrs[1]', value: '"300.1.1.1/8"', mentions: ['300'] },
  { scenario: 'IPv6 CIDR with two double colons', input: { name: 'ci', access: { allowedCidrs: ['2001::db8::/32'] } }, path: 'access.allowedCidrs[0]', value: '"2001::db8::/32"' },
  { scenario: 'empty allowedCidrs', input: { name: 'ci', access: { allowedCidrs: [] } }, path: 'access.allowedCidrs', value: 'empty list' },
  { scenario: 'internal given as a string', input: { name: 'ci', access: { internal: 'yes' } }, path: 'access.internal', value: '"yes"', mentions: ['true or false'] },
  { scenario: 'certificate ARN from another service', input: { name: 'ci', access: { domainName: 'ci.example.com', certificateArn: 'arn:aws:iam::123456789012:server-certificate/x' } }, path: 'access.certificateArn', value: '"arn:aws:iam::123456789012:server-certificate/x"', mentions: ['ACM certificate ARN'] },
  { scenario: 'hostedZoneId without domainName', input: { name: 'ci', access: { hostedZoneId: 'Z0123456789ABC' } }, path: 'access.hostedZoneId', value: '"Z0123456789ABC"', mentions: ['access.domainName', 'access.hostedZoneId'] },
  { scenario: 'domain name that is not a DNS name', input: { name: 'ci', access: { domainName: 'jenkins_example' } }, path: 'access.domainName', value: '"jenkins_example"' },
  { scenario: 'jenkinsVersion latest', input: { name: 'ci', controller: { jenkinsVersion: 'latest' } }, path: 'controller.jenkinsVersion', value: '"latest"', mentions: [`"${DEFAULTS.jenkinsVersion}"`] },
  { scenario: 'jenkinsVersion unquoted 2.516 read as a number', input: { name: 'ci', controller: { jenkinsVersion: 2.516 } }, path: 'controller.jenkinsVersion', value: '2.516', mentions: ['quotes'] },
  { scenario: 'jenkinsVersion with two parts', input: { name: 'ci', controller: { jenkinsVersion: '2.516' } }, path: 'controller.jenkinsVersion', value: '"2.516"', mentions: ['X.Y.Z'] },
  { scenario: 'agent label with a space', input: { name: 'ci', agents: [{ label: 'big box' }] }, path: 'agents[0].label', value: '"big box"' },
  { scenario: 'agent without label', input: { name: 'ci', agents: [{ cpu: 1024 }] }, path: 'agents[0].label', value: 'nothing' },
  { scenario: 'agent cpu/memory pair invalid', input: { name: 'ci', agents: [{ label: 'a', cpu: 512, memoryMiB: 512 }] }, path: 'agents[0].memoryMiB', value: '512', mentions: ['1024..4096'] },
  { scenario: 'agent cpu not a Fargate value', input: { name: 'ci', agents: [{ label: 'a', cpu: 100 }] }, path: 'agents[0].cpu', value: '100' },
  { scenario: 'agent capacity misspelt', input: { name: 'ci', agents: [{ label: 'a', capacity: 'ondemand' }] }, path: 'agents[0].capacity', value: '"ondemand"', mentions: ['spot | on-demand', 'did you mean on-demand'] },
  { scenario: 'agent maxAgents above 100', input: { name: 'ci', agents: [{ label: 'a', maxAgents: 101 }] }, path: 'agents[0].maxAgents', value: '101', mentions: ['1..100'] },
  { scenario: 'agent maxAgents zero', input: { name: 'ci', agents: [{ label: 'a', maxAgents: 0 }] }, path: 'agents[0].maxAgents', value: '0' },
  { scenario: 'agent image empty', input: { name: 'ci', agents: [{ label: 'a', image: '' }] }, path: 'agents[0].image', value: '""' },
  { scenario: 'duplicate agent labels name both indices', input: { name: 'ci', agents: [{ label: 'linux' }, { label: 'big' }, { label: 'linux' }] }, path: 'agents[2].label', value: '"linux"', mentions: ['agents[0]', 'agents[2]'] },
  { scenario: 'agent labels equal up to case share a task role variable', input: { name: 'ci', agents: [{ label: 'linux' }, { label: 'Linux' }] }, path: 'agents[1].label', value: '"Linux"', mentions: ['agents[0].label "linux"', 'AGENT_TASK_ROLE_ARN_LINUX'] },
  { scenario: 'agent labels differing only in . and _ share a cloud', input: { name: 'ci', agents: [{ label: 'build.large' }, { label: 'build_large' }] }, path: 'agents[1].label', value: '"build_large"', mentions: ['agents[0].label "build.large"'] },
  { scenario: 'agent label too long for an amazon-ecs cloud name', input: { name: 'ci', agents: [{ label: 'x'.repeat(120) }] }, path: 'agents[0].label', value: `"${'x'.repeat(120)}"`, mentions: ['at most 127', 'at most 112 characters'] },
  { scenario: 'agents given as a mapping', input: { name: 'ci', agents: { label: 'linux' } }, path: 'agents', value: 'a mapping', mentions: ['list'] },
  { scenario: 'controller given as a string', input: { name: 'ci', controller: 'big' }, path: 'controller', value: '"big"', mentions: ['mapping'] },
  { scenario: 'unknown top-level key close to region', input: { name: 'ci', regoin: 'us-east-1' }, path: 'regoin', value: '"regoin"', mentions: ['did you mean region'] },
  { scenario: 'unknown nested key close to iops', input: home({ iosp: 4000 }), path: 'controller.home.iosp', value: '"iosp"', mentions: ['did you mean iops'] },
  { scenario: 'unknown agent key far from any', input: { name: 'ci', agents: [{ label: 'a', spotPrice: 1 }] }, path: 'agents[0].spotPrice', value: '"spotPrice"', mentions: ['remove it'] },
];

describe('invalid configs are refused with path, value, range and fix', () => {
  test(`the table has at least 25 distinct invalid configs (has ${INVALID.length})`, () => {
    assert.ok(INVALID.length >= 25);
    assert.equal(new Set(INVALID.map((c) => c.scenario)).size, INVALID.length);
  });
  for (const c of INVALID) {
    test(`${c.scenario} → error at ${c.path}`, () => {
      const errors = errorsOf(parseConfig(c.input));
      const hit = errors.find((e) => e.path === c.path);
      assert.ok(hit, `no error at ${c.path}; got:\n${formatIssues(errors).join('\n')}`);
      const line = formatIssue(hit);
      assert.ok(line.startsWith(`${c.path}: `), line);
      assert.ok(hit.message.includes(c.value), `value ${c.value} missing from: ${line}`);
      assert.ok(hit.message.includes(' — '), `no fix in: ${line}`);
      for (const m of c.mentions ?? []) assert.ok(line.includes(m), `"${m}" missing from: ${line}`);
    });
  }
});

describe('valid boundaries', () => {
  const ok = (input: unknown) => {
    const r = parseConfig(input);
    assert.ok(r.ok, r.ok ? '' : formatIssues(r.errors).join('\n'));
    return r;
  };

  test('gp3 iops exactly 500 per GiB is accepted, one more is refused', () => {
    ok(home({ sizeGiB: 10, iops: 5000 }));
    assert.equal(parseConfig(home({ sizeGiB: 10, iops: 5001 })).ok, false);
  });
  test('gp3 at its 3000 IOPS baseline is accepted on a 1 GiB volume (the ratio binds only above it)', () => {
    ok(home({ sizeGiB: 1, iops: 3000 }));
  });
  test('gp3 throughput exactly 0.25 MiB/s per IOPS is accepted', () => {
    ok(home({ sizeGiB: 100, iops: 4000, throughputMiBps: 1000 }));
  });
  test('io2 at 1000 IOPS per GiB and io1 at 50 IOPS per GiB are accepted', () => {
    ok(home({ volumeType: 'io2', sizeGiB: 4, iops: 4000 }));
    ok(home({ volumeType: 'io1', sizeGiB: 100, iops: 5000 }));
  });
  test('snapshot interval 5 and 1440 minutes are both accepted', () => {
    ok({ name: 'ci', controller: { snapshots: { intervalMinutes: 5, keepLast: 12 } } });
    ok({ name: 'ci', controller: { snapshots: { intervalMinutes: 1440 } } });
  });
  test('keepDailyDays 0 and keepLast 1 are accepted', () => {
    ok({ name: 'ci', controller: { snapshots: { keepLast: 1, keepDailyDays: 0, intervalMinutes: 60 } } });
  });
  test('initialization rate 100 and 300 are accepted, also without a seed snapshot', () => {
    ok(home({ initializationRateMiBps: 100 }));
    ok(home({ initializationRateMiBps: 300, seedSnapshotId: 'snap-0123456789abcdef0' }));
  });
  test('name of 2 and 31 characters are accepted', () => {
    ok({ name: 'ci' });
    ok({ name: `a${'b'.repeat(30)}` });
  });
  test('every Fargate cpu with its smallest and largest memory is accepted', () => {
    const pairs = [[256, 512], [256, 2048], [512, 1024], [512, 4096], [1024, 2048], [1024, 8192], [2048, 4096], [2048, 16384], [4096, 8192], [4096, 30720], [8192, 16384], [8192, 61440], [16384, 32768], [16384, 122880]];
    for (const [cpu, memoryMiB] of pairs) ok({ name: 'ci', controller: { cpu, memoryMiB }, agents: [{ label: 'a', cpu, memoryMiB }] });
  });
  test('IPv4 /0 and /32 and IPv6 CIDRs are accepted', () => {
    ok({ name: 'ci', access: { allowedCidrs: ['0.0.0.0/0', '192.0.2.1/32', '2001:db8::/32', '::/0', 'fe80::1/128'] } });
  });
  test('agent labels that differ in more than case and punctuation are accepted, and render', () => {
    const r = ok({ name: 'ci', agents: [{ label: 'a-b' }, { label: 'a.c' }, { label: 'A_d' }, { label: 'x'.repeat(112) }] });
    assert.ok(r.ok);
    assert.doesNotThrow(() => renderAgentsCasc(r.config.name, r.config.agents));
  });
  test('maxAgents 1 and 100 are accepted', () => {
    ok({ name: 'ci', agents: [{ label: 'a', maxAgents: 1 }, { label: 'b', maxAgents: 100 }] });
  });
  test('a multi-Region KMS key ARN in the configured region is accepted', () => {
    ok({ name: 'ci', region: 'us-east-1', controller: { home: { kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab' } } });
  });
  test('GovCloud region with a GovCloud certificate is accepted', () => {
    ok({ name: 'ci', region: 'us-gov-west-1', access: { domainName: 'ci.example.com', certificateArn: 'arn:aws-us-gov:acm:us-gov-west-1:123456789012:certificate/1234abcd-12ab-34cd-56ef-1234567890ab' } });
  });
});

describe('defaults', () => {
  test('a config with only a name gets the documented defaults', () => {
    const r = parseConfig({ name: 'ci' });
    assert.ok(r.ok);
    const c = r.config;
    assert.equal(c.controller.jenkinsVersion, '2.568.2');
    assert.deepEqual([c.controller.cpu, c.controller.memoryMiB], [2048, 4096]);
    assert.deepEqual(c.controller.home, { sizeGiB: 50, volumeType: 'gp3', iops: 3000, throughputMiBps: 125, fileSystem: 'xfs' });
    assert.deepEqual(c.controller.snapshots, { intervalMinutes: 15, keepLast: 12, keepDailyDays: 14 });
    assert.deepEqual(c.access, { internal: false, allowedCidrs: ['0.0.0.0/0'] });
    assert.equal(c.region, undefined);
    assert.equal(c.vpc, undefined);
    assert.equal(c.agents.length, 1);
    assert.deepEqual({ ...c.agents[0] }, { label: 'linux', cpu: 1024, memoryMiB: 2048, image: 'jenkins/inbound-agent:3345.v03dee9b_f88fc-1-jdk21', capacity: 'spot', maxAgents: 10 });
  });
  test('agents: [] means no agents at all', () => {
    const r = parseConfig({ name: 'ci', agents: [] });
    assert.ok(r.ok);
    assert.equal(r.config.agents.length, 0);
  });
  test('memory defaults to twice the cpu, a valid pair for every Fargate cpu', () => {
    const r = parseConfig({ name: 'ci', controller: { cpu: 8192 }, agents: [{ label: 'small', cpu: 256 }] });
    assert.ok(r.ok);
    assert.equal(r.config.controller.memoryMiB, 16384);
    assert.equal(r.config.agents[0]!.memoryMiB, 512);
  });
  test('io2 gets no default throughput and gp2 gets neither iops nor throughput', () => {
    const io2 = parseConfig(home({ volumeType: 'io2', iops: 4000 }));
    assert.ok(io2.ok);
    assert.equal(io2.config.controller.home.throughputMiBps, undefined);
    const gp2 = parseConfig(home({ volumeType: 'gp2' }));
    assert.ok(gp2.ok);
    assert.equal(gp2.config.controller.home.iops, undefined);
    assert.equal(gp2.config.controller.home.throughputMiBps, undefined);
  });
});

describe('reporting', () => {
  test('all problems are reported together, and cross-field rules still run next to broken fields', () => {
    const errors = errorsOf(
      parseConfig({
        name: 'Bad Name',
        regoin: 'x',
        controller: { cpu: 2048, memoryMiB: 1024, home: { iops: 2000 }, snapshots: { intervalMinutes: 1 } },
        access: { hostedZoneId: 'Z0123456789ABC', allowedCidrs: ['10.0.0.0/33'] },
        agents: [{ label: 'x' }, { label: 'x', maxAgents: 0 }],
      }),
    );
    const paths = errors.map((e) => e.path).sort();
    assert.deepEqual(paths, [
      'access.allowedCidrs[0]',
      'access.hostedZoneId',
      'agents[1].label',
      'agents[1].maxAgents',
      'controller.home.iops',
      'controller.memoryMiB',
      'controller.snapshots.intervalMinutes',
      'name',
      'regoin',
    ]);
  });
  test('a broken field does not cause follow-on errors in rules that read it', () => {
    // cpu is invalid, so the cpu/memory pair rule must stay silent instead of guessing.
    const errors = errorsOf(parseConfig({ name: 'ci', controller: { cpu: 3000, memoryMiB: 4096 } }));
    assert.deepEqual(errors.map((e) => e.path), ['controller.cpu']);
  });
  test('the formatted line matches the documented shape', () => {
    const errors = errorsOf(parseConfig(home({ iops: 2000 })));
    assert.equal(
      formatIssue(errors[0]!),
      'controller.home.iops: 2000 is below the gp3 minimum; allowed 3000..16000 (and at most 500 per GiB of sizeGiB) — set iops to at least 3000',
    );
  });
  test('an empty document is an error that says what to add', () => {
    const errors = errorsOf(parseConfigText(''));
    assert.match(errors[0]!.message, /name: ci/);
  });
  test('a YAML syntax error names its line', () => {
    const text = 'name: ci\ncontroller:\n  cpu: 2048\n  home: [sizeGiB: 50\n  memoryMiB: 4096\n';
    const errors = errorsOf(parseConfigText(text, 'jenkins-ecs.yaml'));
    assert.ok(errors.length >= 1);
    assert.match(errors[0]!.path, /^jenkins-ecs\.yaml:[45]:\d+$/);
    // File and line once, in the path; the message does not repeat them.
    const line = formatIssue(errors[0]!);
    assert.match(line, /^jenkins-ecs\.yaml:[45]:\d+: YAML syntax error: .+ — fix the YAML there$/);
    assert.equal(line.split('jenkins-ecs.yaml').length - 1, 1);
    assert.doesNotMatch(line, /line \d/);
  });
  test('a duplicated key in YAML is an error naming its line', () => {
    const errors = errorsOf(parseConfigText('name: ci\nname: other\n', 'c.yaml'));
    assert.match(formatIssue(errors[0]!), /^c\.yaml:2:\d+: YAML syntax error: /);
  });
  test('JSON text is accepted as YAML', () => {
    assert.ok(parseConfigText('{"name": "ci", "controller": {"cpu": 4096}}').ok);
  });
  test('a non-mapping document passed in code is refused as not a mapping', () => {
    assert.match(errorsOf(parseConfig(['name', 'ci']))[0]!.message, /a list, not a mapping/);
    assert.match(errorsOf(parseConfig('ci'))[0]!.message, /"ci", not a mapping/);
  });
  test('a top-level list is refused as not a mapping', () => {
    assert.match(errorsOf(parseConfigText('- name: ci\n'))[0]!.message, /not a mapping/);
  });
});

describe('validate misses from issue 11: key path, value and fix for each', () => {
  const only = (input: unknown) => {
    const errors = errorsOf(typeof input === 'string' ? parseConfigText(input, 'f.yaml') : parseConfig(input));
    assert.equal(errors.length, 1, JSON.stringify(errors));
    return formatIssue(errors[0]!);
  };

  test('a mis-indented home: at the top level names controller.home instead of "remove it"', () => {
    const line = only('name: ci\nhome:\n  sizeGiB: 100\n');
    assert.match(line, /^home: unknown key .* — home belongs at controller\.home \(indent it under controller\): move it there$/);
    assert.doesNotMatch(line, /remove it/);
  });

  test('a key of another mapping names every right place; one valid nowhere is still "remove it"', () => {
    assert.match(only({ name: 'ci', controller: { sizeGiB: 100 } }), /^controller\.sizeGiB: .* belongs at controller\.home\.sizeGiB/);
    assert.match(only({ name: 'ci', cpu: 2048 }), /belongs at controller\.cpu \(indent it under controller\) or agents\[\]\.cpu/);
    assert.match(only({ name: 'ci', controller: { region: 'us-east-1' } }), /region belongs at region \(at the top level, not indented\)/);
    assert.match(only({ name: 'ci', colour: 'blue' }), /— remove it$/);
  });

  test('cpu: "2 vCPU" suggests 2048', () => {
    assert.match(only({ name: 'ci', controller: { cpu: '2 vCPU' } }), /^controller\.cpu: "2 vCPU" is a string, not a number; allowed Fargate cpu values .* — write cpu: 2048 for 2 vCPU$/);
    assert.match(only({ name: 'ci', agents: [{ label: 'a', cpu: '0.5 vcpu' }] }), /^agents\[0\]\.cpu: .* write cpu: 512 for 0\.5 vCPU$/);
  });

  test('string numbers get one wording, whatever the key', () => {
    const cpu = only({ name: 'ci', controller: { cpu: '2048' } });
    const keep = only({ name: 'ci', controller: { snapshots: { keepLast: '12' } } });
    const shape = (line: string) => line.replace(/^[^:]+: /, '').replace(/allowed .* —/, 'allowed … —').replace(/\b(cpu|keepLast): \d+/, 'KEY: N').replace(/"\d+"/, '"N"');
    assert.equal(shape(cpu), shape(keep));
    assert.match(keep, /^controller\.snapshots\.keepLast: "12" is a string, not a number; allowed 1\.\.10000 — write keepLast: 12 without quotes$/);
  });

  test('region: us-east-9 is refused', () => {
    assert.match(only({ name: 'ci', region: 'us-east-9' }), /^region: "us-east-9" is not an AWS region known to aws-cdk-lib .* did you mean us-east-1\?/);
  });
});

describe('vpc.availabilityZones (the zones of a new VPC)', () => {
  test('zone names of the region are taken into newVpc', () => {
    const r = parseConfig({ name: 'ci', region: 'us-east-1', vpc: { availabilityZones: ['us-east-1a', 'us-east-1c'] } });
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.config.newVpc, { availabilityZones: ['us-east-1a', 'us-east-1c'] });
    assert.equal(r.config.vpc, undefined);
  });

  test('use1-az3, the zone id where Fargate does not run (aws-facts), is refused with that reason', () => {
    const errors = errorsOf(parseConfig({ name: 'ci', vpc: { availabilityZones: ['use1-az1', 'use1-az3'] } }));
    const line = formatIssues(errors).join('\n');
    assert.match(line, /^vpc\.availabilityZones\[1\]: "use1-az3": Fargate does not run in use1-az3; pick another zone; allowed zone names such as us-east-1a — .*describe-availability-zones/m);
    assert.match(line, /^vpc\.availabilityZones\[0\]: "use1-az1": a zone id, not a zone name/m);
  });

  test('one zone, a duplicate, a zone of another region, or zones with vpc.id are refused', () => {
    const one = (vpc: unknown, region = 'us-east-1') => formatIssues(errorsOf(parseConfig({ name: 'ci', region, vpc }))).join('\n');
    assert.match(one({ availabilityZones: ['us-east-1a'] }), /^vpc\.availabilityZones: lists 1 zone\(s\); allowed 2 or more/m);
    assert.match(one({ availabilityZones: ['us-east-1a', 'us-east-1a'] }), /^vpc\.availabilityZones\[1\]: "us-east-1a" is listed twice/m);
    assert.match(one({ availabilityZones: ['us-east-1a', 'eu-west-1b'] }), /^vpc\.availabilityZones\[1\]: "eu-west-1b" is in eu-west-1, but region is us-east-1/m);
    assert.match(one({ availabilityZones: ['us-east-9a', 'us-east-1b'] }), /^vpc\.availabilityZones\[0\]: "us-east-9a" is not an availability zone name of a known region/m);
    assert.match(one({ id: 'vpc-0123456789abcdef0', availabilityZones: ['us-east-1a', 'us-east-1b'] }), /^vpc\.availabilityZones: applies to a new VPC, but vpc\.id imports one/m);
    assert.match(one({}), /^vpc: is empty; allowed keys id .* or availabilityZones/m);
  });
});
