/** One authorization request through @cloud-copilot/iam-simulate, in Strict mode. */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { PolicyDocument } from './policies.js';

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
  const contextVariables: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.context ?? {})) contextVariables[k] = typeof v === 'string' ? v : [...v];
  const res = await runSimulation(
    {
      request: { principal: principalArn, action: req.action, resource: { resource: req.resource, accountId: account }, contextVariables },
      identityPolicies: policies.identity.map((p) => ({ name: p.name, policy: p.document })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(policies.resource ? { resourcePolicy: policies.resource } : {}),
    },
    { simulationMode: 'Strict' },
  );
  if (res.resultType === 'error') return { allowed: false, ignoredContextKeys: [], result: `error: ${JSON.stringify(res.errors)}`, allowedBy: [] };
  const results = res.resultType === 'single' ? [res.result] : res.results;
  return {
    allowed: res.overallResult === 'Allowed',
    ignoredContextKeys: [...new Set(results.flatMap((r) => r.ignoredContextKeys ?? []))],
    result: String(res.overallResult),
    allowedBy: results.flatMap((r) => (r.analysis.identityAnalysis?.allowStatements ?? []).map((a) => statementKey(a.policyId, a.statement))),
  };
}
