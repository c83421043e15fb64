import { Validations, type Stage } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * Runs the cdk-nag AwsSolutions pack over everything under `app` (every stack, nested stages
 * included). Any unacknowledged finding fails synthesis. Acknowledgements live next to the
 * resource they concern: `Validations.of(construct).acknowledge({ id, reason })`.
 */
export function addNagChecks(app: Stage): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
