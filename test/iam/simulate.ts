/** One authorization request through @cloud-copilot/iam-simulate, in Strict mode. */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { settlePolicy, splitContext } from './encryption-context.js';
import type { PolicyDocument, Statement } from './policies.js';
import { conditionKeyMatches, sarAction } from './sar.js';

export type Context = Readonly<Record<string, string | readonly string[]>>;

/** One authorization AWS performs for a call (a call may need several: CreateSnapshot needs four). */
export interface AuthRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Context;
}

export interface SimPolicies {
  /** Identity policies of the principal, by name. */
  readonly identity: readonly { readonly name: string; readonly document: PolicyDocument }[];
  /** Resource policy of the resource (a KMS key policy), if any. */
  readonly resource?: PolicyDocument;
}

export interface SimOutcome {
  readonly allowed: boolean;
  /** Context keys the simulator dropped because the action or resource type does not support them. */
  readonly ignoredContextKeys: readonly string[];
  /** `Allowed`, `ExplicitlyDenied`, `ImplicitlyDenied`, or the validation error. */
  readonly result: string;
  /** The identity-policy statements that allowed the request, as `<policy name> <statement JSON>`. */
  readonly allowedBy: readonly string[];
}

/** How allowedBy names a statement of an identity policy. */
export function statementKey(policyName: string, statement: unknown): string {
  return `${policyName} ${JSON.stringify(statement)}`;
}

export async function simulate(principalArn: string, account: string, req: AuthRequest, policies: SimPolicies): Promise<SimOutcome> {
  // kms:EncryptionContext:<key> is settled here, not by the simulator (see encryption-context.ts).
  const { encryption, rest } = splitContext(req.context ?? {});
  const origin = new Map<string, Statement>();
  const settle = (d: PolicyDocument): PolicyDocument => settlePolicy(d, encryption, origin);
  const unsupported = await unsupportedKeys(req.action, [...encryption.keys()]);
  const contextVariables: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(rest)) contextVariables[k] = typeof v === 'string' ? v : [...v];
  const res = await runSimulation(
    {
      request: { principal: principalArn, action: req.action, resource: { resource: req.resource, accountId: account }, contextVariables },
      identityPolicies: policies.identity.map((p) => ({ name: p.name, policy: settle(p.document) })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(policies.resource ? { resourcePolicy: settle(policies.resource) } : {}),
    },
    { simulationMode: 'Strict' },
  );
  if (res.resultType === 'error') return { allowed: false, ignoredContextKeys: [], result: `error: ${JSON.stringify(res.errors)}`, allowedBy: [] };
  const results = res.resultType === 'single' ? [res.result] : res.results;
  const written = (statement: unknown): unknown => origin.get(JSON.stringify(statement)) ?? statement;
  return {
    allowed: res.overallResult === 'Allowed',
    ignoredContextKeys: [...new Set([...unsupported, ...results.flatMap((r) => r.ignoredContextKeys ?? [])])],
    result: String(res.overallResult),
    allowedBy: results.flatMap((r) => (r.analysis.identityAnalysis?.allowStatements ?? []).map((a) => statementKey(a.policyId, written(a.statement)))),
  };
}

/** The keys among `keys` that the action does not support (Service Authorization Reference). */
async function unsupportedKeys(action: string, keys: readonly string[]): Promise<string[]> {
  if (keys.length === 0) return [];
  const supported = (await sarAction(action))?.conditionKeys ?? [];
  return keys.filter((k) => !supported.some((s) => conditionKeyMatches(k, s)));
}
