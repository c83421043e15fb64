import { Validations, type Stage } from 'aws-cdk-lib';
// The pack's own module, not the package index: the index also loads the HIPAA, NIST, PCI and
// serverless packs (about 600 KB of JavaScript) on every synth, and none of them is used.
// test/constructs/nag.test.ts checks that this is the class the index exports.
import { AwsSolutionsChecks } from 'cdk-nag/lib/packs/aws-solutions';

/**
 * Runs the cdk-nag AwsSolutions pack over everything under `app` (every stack, nested stages
 * included). Any unacknowledged finding fails synthesis. Acknowledgements live next to the
 * resource they concern: `Validations.of(construct).acknowledge({ id, reason })`.
 */
export function addNagChecks(app: Stage): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
