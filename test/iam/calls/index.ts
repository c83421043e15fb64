/**
 * THE TABLE: every AWS call each principal makes, as the authorization requests AWS evaluates for
 * it (resource ARNs the real call names, and the request context AWS supplies), plus negative
 * controls that must be denied. One file per principal in this folder; shared.ts holds the entry
 * type, the ARNs and the calls several principals make. test/iam/simulation.test.ts runs every
 * entry against the synthesized policies of every example, and fails when an SDK command used
 * under src/ has no `allow` entry here.
 *
 * Extending it: add an entry to the principal's list with `sdk: '<service>:<Command>'` (the
 * command without the `Command` suffix) for every new `new XxxCommand(...)` under src/, and a
 * `deny` entry for the nearest thing the principal must not be able to do.
 */
import type { IamWorld, PrincipalName } from '../world.js';
import { infrastructure } from './infrastructure.js';
import { keeper } from './keeper.js';
import { launch, reconciler } from './lambdas.js';
import { migration } from './migration.js';
import { operator } from './operator.js';
import { plugin } from './plugin.js';
import type { SimCall } from './shared.js';

export type { SimCall } from './shared.js';

/** Every simulated call of a deployment, by principal. */
export const CALLS: Readonly<Record<PrincipalName, (w: IamWorld) => SimCall[]>> = { keeper, reconciler, launch, operator, plugin, infrastructure, migration };

export function allCalls(w: IamWorld): SimCall[] {
  return Object.values(CALLS).flatMap((f) => f(w));
}
