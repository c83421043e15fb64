/** Checker: every action a statement names exists in the Service Authorization Reference. */
import { finding, statementsOf, type Finding } from './finding.js';
import type { FoundPolicy } from './policies.js';
import { expandAction } from './sar.js';

export async function checkActionsExist(policy: FoundPolicy): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const ref of statementsOf(policy)) {
    if (ref.statement.NotAction !== undefined) {
      out.push(finding(ref, 'not-action', 'NotAction cannot be checked against the reference; name the actions'));
    }
    for (const action of ref.actions) {
      if (action === '*') continue;
      if ((await expandAction(action)).length === 0) {
        out.push(finding(ref, 'unknown-action', `${action} is not an action in the Service Authorization Reference`, { action }));
      }
    }
  }
  return out;
}
