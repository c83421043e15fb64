/**
 * Checker: every Resource of an identity (or resource-policy) statement fits a resource type the
 * action supports, and `*` appears only where the action supports no resource type at all
 * (`wildcard-resource` otherwise, which the caller may acknowledge with a reason).
 */
import { finding, statementsOf, type Finding } from './finding.js';
import type { FoundPolicy } from './policies.js';
import { arnFits, expandAction, sarAction } from './sar.js';

export async function checkResourceTypes(policy: FoundPolicy): Promise<Finding[]> {
  if (policy.kind === 'trust') return [];
  const out: Finding[] = [];
  for (const ref of statementsOf(policy)) {
    for (const pattern of ref.actions) {
      const ids = await expandAction(pattern);
      if (ids.length === 0) continue; // checkActionsExist reports it
      if (/[*?]/.test(pattern)) {
        // A wildcard action (a Deny on s3:*, a key policy's kms:*): each resource must fit some action it covers.
        for (const resource of ref.resources.filter((r) => r !== '*')) {
          const actions = await Promise.all(ids.map((id) => sarAction(id)));
          if (!actions.some((a) => a?.resourceTypes.some((t) => arnFits(resource, t.arn)))) {
            out.push(finding(ref, 'resource-type', `${resource} fits no resource type of any action ${pattern} covers`, { action: pattern, resource }));
          }
        }
        continue;
      }
      const id = ids[0] as string;
      const action = await sarAction(id);
      if (!action) continue;
      for (const resource of ref.resources) {
        if (resource === '*') {
          // In a resource policy `*` is the resource the policy is attached to.
          if (policy.kind === 'identity' && !action.wildcardOnly) {
            out.push(
              finding(ref, 'wildcard-resource', `${id} supports resource types (${action.resourceTypes.map((t) => t.name).join(', ')}) but is granted on *`, {
                action: id,
                resource,
              }),
            );
          }
          continue;
        }
        if (action.wildcardOnly) {
          out.push(finding(ref, 'resource-type', `${id} supports no resource types; only * can name its resource, not ${resource}`, { action: id, resource }));
          continue;
        }
        if (!action.resourceTypes.some((t) => arnFits(resource, t.arn))) {
          out.push(
            finding(ref, 'resource-type', `${resource} fits none of the resource types of ${id}: ${action.resourceTypes.map((t) => `${t.name} (${t.arn})`).join(', ')}`, {
              action: id,
              resource,
            }),
          );
        }
      }
    }
  }
  return out;
}
