import { readFileSync } from 'node:fs';
import { Validations, type Stage } from 'aws-cdk-lib';
import type { IApplyRule } from 'cdk-nag/lib/nag-pack';
// The pack's own module, not the package index: the index also loads the HIPAA, NIST, PCI and
// serverless packs (about 600 KB of JavaScript) on every synth, and none of them is used.
// test/constructs/nag.test.ts checks that this is the class the index exports.
import { AwsSolutionsChecks } from 'cdk-nag/lib/packs/aws-solutions';
import { NAG_RULE_TYPES, NAG_SCOPE_SOURCE } from './nag-scope.generated.js';

/**
 * The AwsSolutions pack, each rule applied only to the resource types its code can report on
 * (src/nag-scope.generated.ts, read from the rules by scripts/gen-nag-scope.ts). On any other
 * resource the rule would return NOT_APPLICABLE, so every finding is the same; what is saved is
 * its `instanceof` test, which loads that service's aws-cdk-lib module (about 12 MB of JavaScript
 * for the services this app never uses, half of a warm synth). When the installed cdk-nag is not
 * the one the table was read from, every rule runs on every resource, as in cdk-nag itself.
 */
export class ScopedAwsSolutionsChecks extends AwsSolutionsChecks {
  private readonly ruleTypes: Readonly<Record<string, readonly string[]>> | null;

  constructor(scope?: Stage, ruleTypes: Readonly<Record<string, readonly string[]>> | null = nagRuleTable()) {
    super(scope);
    this.ruleTypes = ruleTypes;
  }

  /**
   * True when the rule `params` applies cannot report on its resource (it would return
   * NOT_APPLICABLE). Rules are known by id (`AwsSolutions-S10`), as NagPack names them; not by
   * function name, which cdk-nag takes from its file name and a bundle does not keep.
   */
  public skips(params: Pick<IApplyRule, 'ruleSuffixOverride' | 'rule' | 'node'>): boolean {
    const id = `${this.readPackName}-${params.ruleSuffixOverride ?? params.rule.name}`;
    const types = this.ruleTypes !== null && Object.hasOwn(this.ruleTypes, id) ? this.ruleTypes[id] : undefined;
    return types !== undefined && !types.includes(params.node.cfnResourceType);
  }

  protected override applyRule(params: IApplyRule): void {
    if (this.skips(params)) return;
    super.applyRule(params);
  }
}

/** The rule table when it was read from this cdk-nag version (default: the installed one), else null (no rule is skipped). */
export function nagRuleTable(version = installedNagVersion()): Readonly<Record<string, readonly string[]>> | null {
  return NAG_SCOPE_SOURCE === `cdk-nag ${version}` ? NAG_RULE_TYPES : null;
}

function installedNagVersion(): string {
  return (JSON.parse(readFileSync(require.resolve('cdk-nag/package.json'), 'utf8')) as { version: string }).version;
}

/**
 * Runs the cdk-nag AwsSolutions pack over everything under `app` (every stack, nested stages
 * included). Any unacknowledged finding fails synthesis. Acknowledgements live next to the
 * resource they concern: `Validations.of(construct).acknowledge({ id, reason })`.
 */
export function addNagChecks(app: Stage): void {
  Validations.of(app).addPlugins(new ScopedAwsSolutionsChecks(app));
}
