/** What a policy checker reports, and the walk over statements every checker shares. */
import { asList, type FoundPolicy, type Statement } from './policies.js';

export type Rule = 'unknown-action' | 'resource-type' | 'wildcard-resource' | 'condition-key' | 'not-action';

export interface Finding {
  readonly rule: Rule;
  /** The policy (`<stack>/<logical id>`) and statement (Sid or index) the finding is about. */
  readonly policy: string;
  readonly statement: string;
  readonly action?: string;
  readonly resource?: string;
  readonly conditionKey?: string;
  readonly message: string;
}

export interface StatementRef {
  readonly policy: FoundPolicy;
  readonly statement: Statement;
  /** Sid, or `#<index>` when the statement has none. */
  readonly label: string;
  readonly actions: string[];
  readonly resources: string[];
}

export function statementsOf(policy: FoundPolicy): StatementRef[] {
  return policy.document.Statement.map((statement, i) => ({
    policy,
    statement,
    label: statement.Sid ?? `#${i}`,
    actions: asList(statement.Action),
    resources: asList(statement.Resource),
  }));
}

export function finding(ref: StatementRef, rule: Rule, message: string, extra: Partial<Finding> = {}): Finding {
  return { rule, policy: ref.policy.name, statement: ref.label, message: `${ref.policy.name} ${ref.label}: ${message}`, ...extra };
}

/** Condition keys of a statement, as written (operator prefixes and IfExists do not change the key). */
export function conditionKeysOf(statement: Statement): string[] {
  return Object.values(statement.Condition ?? {}).flatMap((byKey) => Object.keys(byKey));
}
