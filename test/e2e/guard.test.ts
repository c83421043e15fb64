// The real-AWS e2e script (scripts/e2e-aws.ts) cannot run here. These tests cover what can be
// checked offline: the guard (also through the real entry point, which must refuse before doing
// anything), the throwaway config, polling with a fake clock, the convergence reading of a
// status report, marker parsing, the step summary, the script-console transport against a fake
// fetch, and one offline synth of the e2e config with `-c exec=true`. Nothing here runs cdk
// deploy or reaches AWS: every spawned process also gets a blackhole local endpoint.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StatusReport } from '../../src/cli/commands/status.js';
import { parseConfigText } from '../../src/config/parse.js';
import { NAME_PATTERN } from '../../src/config/schema.js';
import type { Clock } from '../../src/continuity/ports.js';
import { e2eConfigYaml, e2eName, retainedFrom, stackOutput } from '../../scripts/e2e/config.js';
import { isLocalEndpoint, refusal } from '../../scripts/e2e/guard.js';
import { checkMarkers, newMarker, parseMarkers, readShell, wasWritten, writeShell, type Marker } from '../../scripts/e2e/marker.js';
import { StepAborted, Steps } from '../../scripts/e2e/steps.js';
import { execInvocation, parseAdminSecret, ScriptConsoleTransport, shellQuote } from '../../scripts/e2e/transport.js';
import { convergence, E2eTimeoutError, formatElapsed, waitFor } from '../../scripts/e2e/wait.js';

const ROOT = join(__dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
/** An endpoint nothing listens on: if a guard ever let a spawned run through, it could not reach AWS. */
const BLACKHOLE = 'http://127.0.0.1:9';

const OK_ENV = { JENKINS_ECS_E2E: '1', AWS_REGION: 'eu-west-1' };

describe('guard', () => {
  test('refuses without JENKINS_ECS_E2E=1 (absent, 0, true), naming the variable', () => {
    for (const flag of [undefined, '0', 'true', '']) {
      const why = refusal({ JENKINS_ECS_E2E: flag });
      assert.ok(why, `flag ${String(flag)} was accepted`);
      assert.match(why, /JENKINS_ECS_E2E=1/);
    }
  });

  test('refuses with an AWS_ENDPOINT_URL (or per-service one) at localhost, 127.x, ::1 or moto', () => {
    for (const [key, url] of [
      ['AWS_ENDPOINT_URL', 'http://127.0.0.1:5000'],
      ['AWS_ENDPOINT_URL', 'http://localhost:4566'],
      ['AWS_ENDPOINT_URL', 'http://[::1]:5000'],
      ['AWS_ENDPOINT_URL_ECS', 'http://moto:5000'],
      ['AWS_ENDPOINT_URL_EC2', 'http://127.0.0.2:5000/'],
    ] as const) {
      const why = refusal({ ...OK_ENV, [key]: url });
      assert.ok(why, `${key}=${url} was accepted`);
      assert.match(why, new RegExp(`${key}=`));
      assert.match(why, /local\/moto/);
    }
  });

  test('refuses under CI, whatever its value (CI=true, CI=false, CI=empty)', () => {
    for (const ci of ['true', 'false', '']) {
      const why = refusal({ ...OK_ENV, CI: ci });
      assert.ok(why, `CI=${ci} was accepted`);
      assert.match(why, /never runs in CI/);
    }
  });

  test('refuses when the test harness MOTO_URL is set', () => {
    assert.match(refusal({ ...OK_ENV, MOTO_URL: 'http://127.0.0.1:5000' }) ?? '', /MOTO_URL/);
  });

  test('allows an opted-in run with no endpoint override, or a real (non-local) endpoint', () => {
    assert.equal(refusal(OK_ENV), undefined);
    assert.equal(refusal({ ...OK_ENV, AWS_ENDPOINT_URL: 'https://ecs.eu-west-1.amazonaws.com' }), undefined);
    assert.equal(refusal({ ...OK_ENV, AWS_ENDPOINT_URL: '' }), undefined);
  });

  test('isLocalEndpoint: a non-URL string mentioning localhost still counts as local', () => {
    assert.equal(isLocalEndpoint('localhost:5000'), true);
    assert.equal(isLocalEndpoint('https://vpce-123.ecs.eu-west-1.vpce.amazonaws.com'), false);
  });
});

describe('entry point (npm run e2e:aws) refuses before doing anything', () => {
  function runEntry(env: Record<string, string | undefined>) {
    const base: Record<string, string | undefined> = { ...process.env };
    for (const k of Object.keys(base)) if (k === 'CI' || k === 'JENKINS_ECS_E2E' || k === 'MOTO_URL' || k.startsWith('AWS_ENDPOINT_URL')) delete base[k];
    return spawnSync(TSX, [join(ROOT, 'scripts/e2e-aws.ts'), '--yes'], {
      cwd: ROOT,
      env: { ...base, AWS_ENDPOINT_URL: BLACKHOLE, ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
  }

  test('without JENKINS_ECS_E2E=1: exit 2 and a one-line explanation', () => {
    const r = runEntry({});
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^e2e-aws: refusing to run: .*JENKINS_ECS_E2E=1/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.equal(r.stdout, '');
  });

  test('with the flag but a localhost endpoint: exit 2, endpoint named', () => {
    const r = runEntry({ JENKINS_ECS_E2E: '1' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /AWS_ENDPOINT_URL=http:\/\/127\.0\.0\.1:9 points at a local\/moto endpoint/);
  });

  test('with the flag under CI: exit 2, CI named', () => {
    const r = runEntry({ JENKINS_ECS_E2E: '1', CI: 'true' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /CI is set/);
  });
});

describe('throwaway config', () => {
  test('e2eName is e2e- plus 6 random characters and a valid deployment name', () => {
    const fixed = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => i * 7));
    assert.equal(e2eName(fixed), 'e2e-ahov29');
    const a = e2eName();
    assert.match(a, /^e2e-[a-z0-9]{6}$/);
    assert.match(a, NAME_PATTERN);
    assert.notEqual(e2eName(), e2eName());
  });

  test('the generated YAML is a valid config: shortest interval, no agents, region and CIDRs passed through', () => {
    const result = parseConfigText(e2eConfigYaml({ name: 'e2e-abc123', region: 'eu-west-1', allowedCidrs: ['198.51.100.7/32'] }));
    assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
    assert.equal(result.config.name, 'e2e-abc123');
    assert.equal(result.config.region, 'eu-west-1');
    assert.equal(result.config.controller.snapshots.intervalMinutes, 5);
    assert.deepEqual(result.config.agents, []);
    assert.deepEqual(result.config.access.allowedCidrs, ['198.51.100.7/32']);
  });

  test('without region or CIDRs the keys are left out (SDK chain, project default)', () => {
    const yaml = e2eConfigYaml({ name: 'e2e-abc123' });
    assert.doesNotMatch(yaml, /region|access/);
    assert.ok(parseConfigText(yaml).ok);
  });

  test('stackOutput finds an output by its key in a cdk --outputs-file document', () => {
    const doc = { 'jenkins-ecs-e2e-x': { Url: 'http://alb', AdminSecretArn: 'arn:secret' } };
    assert.equal(stackOutput(doc, 'jenkins-ecs-e2e-x', 'Url'), 'http://alb');
    assert.equal(stackOutput(doc, 'jenkins-ecs-e2e-x', 'AdminSecretArn'), 'arn:secret');
    assert.equal(stackOutput(doc, 'other-stack', 'Url'), undefined);
    assert.equal(stackOutput(null, 'jenkins-ecs-e2e-x', 'Url'), undefined);
  });

  test('retainedFrom picks the log groups and buckets (kept by cdk destroy) from list-stack-resources', () => {
    const doc = {
      StackResourceSummaries: [
        { ResourceType: 'AWS::Logs::LogGroup', PhysicalResourceId: 'jenkins-ecs-e2e-x-JenkinsControllerLogGroup-abc' },
        { ResourceType: 'AWS::S3::Bucket', PhysicalResourceId: 'jenkins-ecs-e2e-x-accesslogbucket-xyz' },
        { ResourceType: 'AWS::ECS::Service', PhysicalResourceId: 'arn:svc' },
        { ResourceType: 'AWS::Logs::LogGroup' },
      ],
    };
    assert.deepEqual(retainedFrom(doc), {
      logGroups: ['jenkins-ecs-e2e-x-JenkinsControllerLogGroup-abc'],
      buckets: ['jenkins-ecs-e2e-x-accesslogbucket-xyz'],
    });
    assert.deepEqual(retainedFrom({}), { logGroups: [], buckets: [] });
  });
});

/** A clock whose sleep advances time at once and records each pause. */
function fakeClock(): Clock & { slept: number[] } {
  let t = Date.parse('2026-01-01T00:00:00Z');
  const slept: number[] = [];
  return {
    slept,
    now: () => new Date(t),
    sleep: async (ms) => {
      slept.push(ms);
      t += ms;
    },
  };
}

describe('waitFor with a fake clock', () => {
  test('polls until done and resolves the value; progress reported once per change', async () => {
    const clock = fakeClock();
    const seen: string[] = [];
    let n = 0;
    const value = await waitFor(
      'x',
      async () => {
        n += 1;
        return n < 4 ? { done: false, detail: n < 3 ? 'starting' : 'almost' } : { done: true, detail: 'up', value: 42 };
      },
      { timeoutMs: 60_000, intervalMs: 10_000, clock, onChange: (d) => seen.push(d) },
    );
    assert.equal(value, 42);
    assert.equal(n, 4);
    assert.deepEqual(clock.slept, [10_000, 10_000, 10_000]);
    assert.deepEqual(seen, ['starting', 'almost', 'up']);
  });

  test('gives up after the timeout with the last detail; never sleeps past it', async () => {
    const clock = fakeClock();
    await assert.rejects(
      waitFor('the service', async () => ({ done: false, detail: 'desired 1 running 0' }), { timeoutMs: 25_000, intervalMs: 10_000, clock }),
      (e: unknown) => e instanceof E2eTimeoutError && /the service/.test(e.message) && e.lastDetail === 'desired 1 running 0' && e.elapsedMs === 25_000,
    );
    assert.deepEqual(clock.slept, [10_000, 10_000, 5_000]);
  });

  test('tolerates a few errors in a row, then rethrows the last one', async () => {
    const clock = fakeClock();
    let n = 0;
    const v = await waitFor(
      'x',
      async () => {
        n += 1;
        if (n <= 2) throw new Error('Throttling');
        return { done: true, detail: 'ok', value: 'fine' };
      },
      { timeoutMs: 60_000, intervalMs: 1_000, clock, maxConsecutiveErrors: 3 },
    );
    assert.equal(v, 'fine');
    await assert.rejects(
      waitFor('x', async () => Promise.reject(new Error('AccessDenied')), { timeoutMs: 60_000, intervalMs: 1_000, clock, maxConsecutiveErrors: 3 }),
      /AccessDenied/,
    );
  });

  test('formatElapsed prints minutes and seconds, hours when needed', () => {
    assert.equal(formatElapsed(0), '0m00s');
    assert.equal(formatElapsed(65_000), '1m05s');
    assert.equal(formatElapsed(3_723_000), '1h02m03s');
  });
});

function report(over: { tasks?: StatusReport['tasks']; holders?: StatusReport['holders']; deployments?: number; warnings?: string[]; desired?: number }): StatusReport {
  const deployments = Array.from({ length: over.deployments ?? 1 }, (_, i) => ({
    id: `ecs-svc/${i}`,
    status: i === 0 ? 'PRIMARY' : 'ACTIVE',
    rolloutState: i === 0 ? 'COMPLETED' : 'IN_PROGRESS',
    createdAt: '2026-01-01T00:00:00.000Z',
  }));
  return {
    deployment: { name: 'e2e-x', cluster: 'c', service: 's', lineage: 'e2e-x', recordTable: 'jenkins-ecs-e2e-x-lineage' },
    service: { desiredCount: over.desired ?? 1, runningCount: 1, deployments },
    tasks: over.tasks ?? [{ arn: 'arn:task/new', lastStatus: 'RUNNING', volumeId: 'vol-1' }],
    holders: over.holders ?? [{ volumeId: 'vol-1', state: 'in-use', createTime: '2026-01-01T00:00:00.000Z', live: true }],
    intervalMinutes: 5,
    warnings: (over.warnings ?? []).map((code) => ({ code, message: code })),
  };
}

describe('convergence (from the status report)', () => {
  test('one RUNNING new task on the one live holder, one deployment, no stale start: done with the task ARN', () => {
    const p = convergence(report({}), 'arn:task/old');
    assert.equal(p.done, true);
    assert.equal(p.value, 'arn:task/new');
  });

  test('not done while the previous task is still the one running', () => {
    assert.equal(convergence(report({}), 'arn:task/new').done, false);
  });

  test('not done at the gate: no holder yet, or a stale start, or the holder is another volume', () => {
    assert.equal(convergence(report({ holders: [] })).done, false);
    const stale = convergence(report({ warnings: ['stale-start'] }));
    assert.equal(stale.done, false);
    assert.match(stale.detail, /stale-start/);
    assert.equal(convergence(report({ holders: [{ volumeId: 'vol-9', state: 'in-use', createTime: '', live: true }] })).done, false);
  });

  test('not done while the reconciler roll is in flight (two deployments) or two tasks overlap', () => {
    assert.equal(convergence(report({ deployments: 2 })).done, false);
    const two = report({
      tasks: [
        { arn: 'a', lastStatus: 'RUNNING', volumeId: 'vol-1' },
        { arn: 'b', lastStatus: 'PROVISIONING' },
      ],
    });
    assert.equal(convergence(two).done, false);
  });

  test('a warning that is not about the start (no recent snapshot) does not hold convergence back', () => {
    assert.equal(convergence(report({ warnings: ['no-recent-snapshot'] })).done, true);
  });
});

describe('markers', () => {
  const rand = (n: number) => Buffer.alloc(n, 0xab);
  const first = newMarker('first', 'e2e-x', rand);
  const second: Marker = { ...newMarker('second', 'e2e-x', rand), token: 'e2e-x-second-cafe' };

  test('a marker is a file in JENKINS_HOME holding a run-unique token', () => {
    assert.equal(first.file, '/var/jenkins_home/e2e-first.marker');
    assert.equal(first.token, 'e2e-x-first-abababababab');
    assert.throws(() => newMarker("x'; rm -rf /", 'e2e-x'));
  });

  test("the shell commands need no quoting, so they survive ECS Exec's sh -c '...'", () => {
    assert.doesNotMatch(writeShell(first), /'/);
    assert.doesNotMatch(readShell(), /'/);
  });

  test('parses ECS Exec output with CRLF and session-manager chatter around the framed lines', () => {
    const out =
      '\r\nThe Session Manager plugin was installed successfully.\r\nStarting session with SessionId: ecs-execute-command-0abc\r\n' +
      `E2E-MARKER ${first.token}\r\nE2E-MARKER ${second.token}\r\nE2E-END\r\n\r\nExiting session with sessionId: ecs-execute-command-0abc.\r\n`;
    assert.deepEqual(parseMarkers(out), { complete: true, tokens: [first.token, second.token] });
    assert.equal(checkMarkers(out, { present: [first, second] }).ok, true);
    const v = checkMarkers(out, { present: [first], absent: [second] });
    assert.equal(v.ok, false);
    assert.match(v.detail, /second present but should be gone/);
  });

  test('after a restore: first present and second absent passes', () => {
    const v = checkMarkers(`E2E-MARKER ${first.token}\nE2E-END\n`, { present: [first], absent: [second] });
    assert.deepEqual(v, { ok: true, detail: 'first present, second absent' });
  });

  test('a missing marker, or one with another run token, fails', () => {
    assert.match(checkMarkers('E2E-END\n', { present: [first] }).detail, /first missing/);
    assert.equal(checkMarkers('E2E-MARKER e2e-old-first-0000\nE2E-END\n', { present: [first] }).ok, false);
  });

  test('an unfinished read (no end line) is inconclusive, never "absent"', () => {
    const v = checkMarkers('Starting session with SessionId: x\n', { present: [], absent: [second] });
    assert.equal(v.ok, false);
    assert.match(v.detail, /inconclusive/);
  });

  test('wasWritten needs the confirmation line', () => {
    assert.equal(wasWritten('Starting session\r\nE2E-WRITTEN\r\n'), true);
    assert.equal(wasWritten('sh: can\'t create /var/jenkins_home/e2e-first.marker: Permission denied\n'), false);
  });
});

describe('steps and summary', () => {
  test('a failed assertion is recorded, later steps still run, unreached ones show as SKIP, failed is set', async () => {
    let t = 0;
    const lines: string[] = [];
    const steps = new Steps(() => t, (l) => lines.push(l));
    await steps.run('deploy', async () => {
      t += 600_000;
    });
    assert.equal(await steps.check('assert', async () => ({ ok: false, detail: 'first missing' })), false);
    await steps.run('restart', async () => {
      t += 60_000;
    });
    steps.skip('crash', 'not reached');
    assert.equal(steps.failed, true);
    const summary = steps.summary();
    assert.match(summary[0]!, /^RESULT\s+STEP\s+TIME\s+DETAIL$/);
    assert.match(summary[1]!, /^PASS\s+deploy\s+10m00s/);
    assert.match(summary[2]!, /^FAIL\s+assert\s+0m00s\s+first missing$/);
    assert.match(summary[4]!, /^SKIP\s+crash\s+-\s+not reached$/);
    assert.equal(summary.at(-1), 'total 11m00s');
    assert.ok(lines.some((l) => l.startsWith('[+10m00s] ok deploy')));
  });

  test('an exception ends the step as ERROR and surfaces as StepAborted; after stop() nothing starts; errors outside steps are recorded', async () => {
    const steps = new Steps(() => 0, () => undefined);
    await assert.rejects(steps.run('deploy', async () => Promise.reject(new Error('cdk deploy exited 1'))), StepAborted);
    assert.equal(steps.results[0]?.status, 'ERROR');
    steps.stop('interrupted');
    let ran = false;
    await assert.rejects(
      steps.run('next', async () => {
        ran = true;
      }),
      /interrupted/,
    );
    assert.equal(ran, false);
    steps.resume();
    await steps.run('destroy', async () => undefined);
    assert.equal(steps.results.at(-1)?.status, 'PASS');
    const other = new Steps(() => 0, () => undefined);
    other.fail('scenario', new Error('outputs file missing\nstack'));
    assert.deepEqual(other.results[0], { name: 'scenario', status: 'ERROR', ms: 0, detail: 'outputs file missing' });
    assert.equal(other.failed, true);
  });
});

describe('script console transport (fake fetch, no network)', () => {
  test('gets a crumb, sends it with the session cookie and basic auth, posts the Groovy', async () => {
    const calls: { url: string; init?: RequestInit }[] = [];
    const fakeFetch = (async (url: string, init?: RequestInit) => {
      calls.push({ url, init });
      if (url.endsWith('/crumbIssuer/api/json')) {
        return new Response(JSON.stringify({ crumb: 'c123', crumbRequestField: 'Jenkins-Crumb' }), {
          status: 200,
          headers: { 'Set-Cookie': 'JSESSIONID.abc=xyz; Path=/; HttpOnly' },
        });
      }
      return new Response('E2E-MARKER t1\nE2E-END\n', { status: 200 });
    }) as typeof fetch;
    const t = new ScriptConsoleTransport('http://alb.example/', { username: 'admin', password: 'pw' }, fakeFetch);
    const out = await t.run('arn:task/1');
    assert.deepEqual(parseMarkers(out), { complete: true, tokens: ['t1'] });
    const post = calls[1]!;
    assert.equal(post.url, 'http://alb.example/scriptText');
    const headers = post.init?.headers as Record<string, string>;
    assert.equal(headers['Jenkins-Crumb'], 'c123');
    assert.equal(headers.Cookie, 'JSESSIONID.abc=xyz');
    assert.equal(headers.Authorization, `Basic ${Buffer.from('admin:pw').toString('base64')}`);
    assert.match(new URLSearchParams(String(post.init?.body)).get('script') ?? '', /E2E-END/);
  });

  test('an HTTP error from the script console is an error, not an empty reading', async () => {
    const fakeFetch = (async (url: string) =>
      url.endsWith('/scriptText') ? new Response('forbidden', { status: 403 }) : new Response('', { status: 404 })) as typeof fetch;
    const t = new ScriptConsoleTransport('http://alb', { username: 'admin', password: 'pw' }, fakeFetch);
    await assert.rejects(t.run('x'), /HTTP 403/);
  });

  test('parseAdminSecret reads the generated secret JSON and refuses other shapes', () => {
    assert.deepEqual(parseAdminSecret('{"username":"admin","password":"p"}'), { username: 'admin', password: 'p' });
    assert.throws(() => parseAdminSecret('{"username":"admin"}'), /username\/password/);
  });
});

describe('ECS Exec invocation', () => {
  const awsArgs = ['ecs', 'execute-command', '--task', 'arn:aws:ecs:eu-west-1:1:task/c/abc', '--interactive', '--command', `sh -c '${readShell()}'`];

  test('from a terminal, aws runs directly and borrows our stdin', () => {
    assert.deepEqual(execInvocation(awsArgs, true, 'linux'), { cmd: 'aws', args: awsArgs, stdin: 'inherit' });
  });

  test('without a terminal, script provides one (util-linux -qec "<cmd>", BSD/macOS -q /dev/null cmd...)', () => {
    const linux = execInvocation(awsArgs, false, 'linux');
    assert.equal(linux.cmd, 'script');
    assert.deepEqual([linux.args[0], linux.args[2]], ['-qec', '/dev/null']);
    assert.deepEqual(execInvocation(awsArgs, false, 'darwin').args.slice(0, 3), ['-q', '/dev/null', 'aws']);
  });

  test('the command line given to script -c reads back, through sh, as the same arguments', () => {
    const line = execInvocation(awsArgs, false, 'linux').args[1]!;
    // Replace the program with printf to see how sh splits the line.
    const r = spawnSync('sh', ['-c', line.replace(/^aws /, "printf '%s\\n' ")], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.split('\n').slice(0, -1), awsArgs);
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
  });
});

describe('the e2e config synthesizes with -c exec=true (offline, bin/app.ts as cdk.json runs it)', () => {
  test('ECS Exec is enabled on the service, and the Url/AdminSecretArn outputs match what the script reads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jenkins-ecs-e2e-synth-'));
    const config = join(dir, 'cfg.yaml');
    writeFileSync(config, e2eConfigYaml({ name: 'e2e-test01', region: 'eu-west-1' }));
    const env: Record<string, string | undefined> = { ...process.env, AWS_ENDPOINT_URL: BLACKHOLE };
    delete env.CDK_DEFAULT_ACCOUNT;
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/synth.mjs')], {
      cwd: ROOT,
      env: { ...env, CDK_OUTDIR: join(dir, 'out'), CDK_CONTEXT_JSON: JSON.stringify({ config, exec: 'true' }) },
      encoding: 'utf8',
      timeout: 240_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const template = JSON.parse(readFileSync(join(dir, 'out', 'jenkins-ecs-e2e-test01.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
      Outputs: Record<string, unknown>;
    };
    const services = Object.values(template.Resources).filter((res) => res.Type === 'AWS::ECS::Service');
    assert.equal(services.length, 1);
    assert.equal(services[0]?.Properties?.EnableExecuteCommand, true);
    // Shape of `cdk deploy --outputs-file`: { stack: { logicalId: value } }.
    const outputs = { 'jenkins-ecs-e2e-test01': Object.fromEntries(Object.keys(template.Outputs).map((k) => [k, `value-of-${k}`])) };
    assert.equal(stackOutput(outputs, 'jenkins-ecs-e2e-test01', 'Url'), 'value-of-Url');
    assert.equal(stackOutput(outputs, 'jenkins-ecs-e2e-test01', 'AdminSecretArn'), 'value-of-AdminSecretArn');
  });
});
