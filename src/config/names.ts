/**
 * Deterministic physical names derived from the config's `name`. The CDK app, the keeper, the
 * reconciler and the CLI all use these, so the CLI can find a deployment from `--name` alone.
 */
export interface DeploymentNames {
  /** CloudFormation stack of the deployment. */
  readonly stack: string;
  /** CloudFormation stack that holds the lineage record table (deployed first, never deleted). */
  readonly stateStack: string;
  readonly cluster: string;
  readonly service: string;
  /** Lineage id: every snapshot of this home carries `jenkins-ecs:lineage = lineage`. */
  readonly lineage: string;
  /** DynamoDB table holding the lineage record (src/continuity/record.ts). */
  readonly recordTable: string;
  /** Container names inside the controller task. */
  readonly jenkinsContainer: string;
  readonly keeperContainer: string;
  /** Task-definition volume that ECS configures at launch with the managed EBS volume. */
  readonly homeVolume: string;
  /** Family of the one-off migration task (`jenkins-ecs migrate`) and name of its security group. */
  readonly migrationTask: string;
}

export function deploymentNames(name: string): DeploymentNames {
  return {
    stack: `jenkins-ecs-${name}`,
    stateStack: `jenkins-ecs-${name}-state`,
    cluster: `jenkins-ecs-${name}`,
    service: `jenkins-ecs-${name}-controller`,
    lineage: name,
    recordTable: `jenkins-ecs-${name}-lineage`,
    jenkinsContainer: 'jenkins',
    keeperContainer: 'keeper',
    homeVolume: 'jenkins-home',
    migrationTask: `jenkins-ecs-${name}-migrate`,
  };
}

/** Where the keeper and the gate meet inside the task (a task-local bind volume). */
export const RUN_DIR = '/run/jenkins-ecs';
export const JENKINS_HOME = '/var/jenkins_home';
