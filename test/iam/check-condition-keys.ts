/**
 * Checker: every condition key of a statement is supported by each of its actions: a global key,
 * a key of the action, or a key of a resource type of the action that the statement's resources
 * fit. An unsupported key is absent from the request, so the statement silently never matches
 * (Allow) or never protects (Deny).
 */
import { conditionKeysOf, finding, statementsOf, type Finding } from './finding.js';
import type { FoundPolicy } from './policies.js';
import { arnFits, conditionKeyMatches, expandAction, isGlobalConditionKey, sarAction } from './sar.js';

export async function checkConditionKeys(policy: FoundPolicy): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const ref of statementsOf(policy)) {
    const keys = conditionKeysOf(ref.statement).filter((k) => !isGlobalConditionKey(k));
    if (keys.length === 0) continue;
    const anyResource = ref.resources.length === 0 || ref.resources.includes('*');
    for (const pattern of ref.actions) {
      const supportedBy = new Map<string, string[]>();
      for (const id of await expandAction(pattern)) {
        const action = await sarAction(id);
        if (!action) continue;
        const types = action.resourceTypes.filter((t) => anyResource || ref.resources.some((r) => arnFits(r, t.arn)));
        supportedBy.set(id, [...action.conditionKeys, ...types.flatMap((t) => t.conditionKeys)]);
      }
      if (supportedBy.size === 0) continue; // checkActionsExist reports it
      // An exact action must support the key; a wildcard action needs one covered action that does.
      const exact = !/[*?]/.test(pattern);
      for (const key of keys) {
        const ok = [...supportedBy.values()].filter((supported) => supported.some((s) => conditionKeyMatches(key, s)));
        if (ok.length === 0 || (exact && ok.length !== supportedBy.size)) {
          const supported = [...new Set([...supportedBy.values()].flat())];
          out.push(
            finding(ref, 'condition-key', `${pattern} does not support the condition key ${key} (supported: ${supported.join(', ') || 'global keys only'})`, {
              action: pattern,
              conditionKey: key,
            }),
          );
        }
      }
    }
  }
  return out;
}
