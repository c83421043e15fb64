/**
 * Every AWS API call the pinned amazon-ecs plugin release can make, read from its sources at the
 * release tag, and whether the controller makes it in this stack. The IAM simulation simulates the
 * `used` calls as the controller task role and expects the others to be denied.
 *
 * Our templates name a task definition the stack defines (`taskDefinitionOverride`), so the plugin
 * only looks it up: `ECSService.registerTemplate` returns `findTaskDefinition(override)` before any
 * register path, and `removeTemplate` returns early for an override. Pipeline-defined templates
 * (`ecsTaskTemplate` step, declarative `ecs` agent) would still register task definitions; they
 * fail without RegisterTaskDefinition, which this stack does not grant (see docs/plugins.md).
 */

/** The release the list was read from. */
export const AMAZON_ECS_API_SOURCE = {
  repo: 'jenkinsci/amazon-ecs-plugin',
  tag: 'amazon-ecs-1.49',
  commit: 'bc546fddd08fbfe9196f3dcf661f0f118542a673',
} as const;

export interface AmazonEcsApiCall {
  /** IAM action, `service:Action`. */
  readonly action: string;
  /** Java source (under src/main/java/com/cloudbees/jenkins/plugins/amazonecs/) and method that makes the call. */
  readonly source: string;
  /** Made by the controller in this stack: on every agent launch or stop. */
  readonly used: boolean;
  /** What the request carries, for a realistic simulation (resources and condition keys). */
  readonly request: string;
}

export const AMAZON_ECS_API_CALLS: readonly AmazonEcsApiCall[] = [
  {
    action: 'ecs:DescribeTaskDefinition',
    source: 'ECSService.java findTaskDefinition, from registerTemplate with taskDefinitionOverride (ECSLauncher.launchECSTask)',
    used: true,
    request: 'taskDefinition = the template family (latest ACTIVE revision); the action has no resource type, so Resource *',
  },
  {
    action: 'ecs:RunTask',
    source: 'ECSService.java runEcsTask (ECSLauncher.runECSTask)',
    used: true,
    request:
      'resource task-definition/<family>:<revision>; ecs:cluster = the agent cluster; tags jenkins.label and jenkins.templatename; ' +
      'propagateTags TASK_DEFINITION; launchType FARGATE or capacityProviderStrategy FARGATE_SPOT; awsvpc subnets and security groups from the template',
  },
  {
    action: 'ecs:TagResource',
    source: 'implied by RunTask with tags (ECSService.java runEcsTask)',
    used: true,
    request: 'resource task/<cluster name>/<id>; ecs:CreateAction = RunTask; aws:TagKeys jenkins.label, jenkins.templatename',
  },
  {
    action: 'iam:PassRole',
    source: 'implied by RunTask of a task definition with a task role and an execution role (ECSService.java runEcsTask)',
    used: true,
    request: 'resource = the agent task role and the agent execution role; iam:PassedToService = ecs-tasks.amazonaws.com',
  },
  {
    action: 'ecs:DescribeTasks',
    source: 'ECSService.java describeTask and waitForTasksRunning (AmazonECSWaiters.tasksRunning), from ECSLauncher and ECSSlave',
    used: true,
    request: 'resource task/<cluster name>/<id>; ecs:cluster = the agent cluster',
  },
  {
    action: 'ecs:StopTask',
    source: 'ECSService.java stopTask, from ECSSlave._terminate',
    used: true,
    request: 'resource task/<cluster name>/<id>; ecs:cluster = the agent cluster',
  },
  {
    action: 'ecs:RegisterTaskDefinition',
    source: 'ECSService.java registerTemplate, only for templates without taskDefinitionOverride (and pipeline-defined templates)',
    used: false,
    request: 'family <cloud>-<templateName>',
  },
  {
    action: 'ecs:ListTagsForResource',
    source: 'ECSService.java getTaskDefinitionTags, only on the register path of registerTemplate',
    used: false,
    request: 'resource task-definition/<family>:<revision>',
  },
  {
    action: 'ecs:DeregisterTaskDefinition',
    source: 'ECSService.java removeTemplate, skipped for taskDefinitionOverride (pipeline-defined templates only)',
    used: false,
    request: 'taskDefinition = a dynamic template revision',
  },
  {
    action: 'ecs:ListClusters',
    source: 'ECSCloud.java DescriptorImpl.doFillClusterItems (configuration UI dropdown)',
    used: false,
    request: 'none (JCasC gives the cluster ARN)',
  },
  {
    action: 'ecs:DescribeClusters',
    source: 'ECSTaskTemplate.java CapacityProviderStrategyEntry.DescriptorImpl.doFillProviderItems (configuration UI dropdown)',
    used: false,
    request: 'none',
  },
  {
    action: 'elasticfilesystem:DescribeFileSystems',
    source: 'aws/EFSService.java, from ECSTaskTemplate EFSMountPointEntry.DescriptorImpl.doFillFileSystemIdItems (configuration UI)',
    used: false,
    request: 'none',
  },
  {
    action: 'elasticfilesystem:DescribeAccessPoints',
    source: 'aws/EFSService.java, from ECSTaskTemplate EFSMountPointEntry.DescriptorImpl.doFillAccessPointIdItems (configuration UI)',
    used: false,
    request: 'none',
  },
  {
    action: 'sts:AssumeRole',
    source: 'ECSService.java getCredentialsForRole, only when the cloud sets assumedRoleArn (ours does not)',
    used: false,
    request: 'none: the plugin uses the default credential chain, i.e. the controller task role',
  },
];
