/** The amazon-ecs plugin's calls (controller task role). */
import type { IamWorld, PrincipalName } from '../world.js';
import { clusterArnOf, onTask, passInfrastructureRole, tagContext, taskArn, taskCallAndOtherCluster, type SimCall } from './shared.js';

// ---- the amazon-ecs plugin (controller task role) ---------------------------------------------
// Calls of the pinned release (jenkins/controller/plugins.txt: amazon-ecs 1.49), listed with their
// sources in src/config/amazon-ecs-api.ts (AMAZON_ECS_API_CALLS). The stack defines the agent task
// definitions and the templates name them as taskDefinitionOverride, so registerTemplate only calls
// DescribeTaskDefinition (family); runEcsTask → RunTask (tags jenkins.label / jenkins.templatename,
// propagateTags TASK_DEFINITION); describeTask / waitForTasksRunning → DescribeTasks; stopTask →
// StopTask. RegisterTaskDefinition, ListTagsForResource and DeregisterTaskDefinition (the register
// path, not taken) must be denied. Left out: ListClusters, DescribeClusters and the EFS describes
// (config-page dropdowns only).

export function plugin(w: IamWorld): SimCall[] {
  const p: PrincipalName = 'plugin';
  const out: SimCall[] = [];
  for (const a of w.agents) {
    const taskDef = w.arn('ecs', `task-definition/${a.family}:7`);
    const tags = { 'jenkins.label': a.label, 'jenkins.templatename': a.family };
    const passRoles = [a.taskRoleArn, w.agentExecutionRoleArn ?? ''].map((r) => passInfrastructureRole(w, r, 'ecs-tasks.amazonaws.com'));
    out.push(
      { principal: p, what: `DescribeTaskDefinition ${a.family}`, expect: 'allow', requests: [{ action: 'ecs:DescribeTaskDefinition', resource: '*' }] },
      { principal: p, what: `ListTagsForResource ${a.family} (register path only; not granted)`, expect: 'deny', requests: [{ action: 'ecs:ListTagsForResource', resource: taskDef }] },
      {
        principal: p,
        what: `RegisterTaskDefinition ${a.family} (the stack defines it; not granted)`,
        expect: 'deny',
        requests: [
          { action: 'ecs:RegisterTaskDefinition', resource: taskDef, context: tagContext(tags) },
          { action: 'ecs:TagResource', resource: taskDef, context: { ...tagContext(tags), 'ecs:CreateAction': 'RegisterTaskDefinition' } },
        ],
      },
      {
        principal: p,
        what: `RunTask ${a.family} in the agent cluster`,
        expect: 'allow',
        requests: [
          { action: 'ecs:RunTask', resource: taskDef, context: { 'ecs:cluster': w.clusterArn, ...tagContext(tags) } },
          { action: 'ecs:TagResource', resource: taskArn(w), context: { ...tagContext(tags), 'ecs:CreateAction': 'RunTask' } },
          ...passRoles,
        ],
      },
      {
        principal: p,
        what: `RunTask ${a.family} in another cluster`,
        expect: 'deny',
        requests: [{ action: 'ecs:RunTask', resource: taskDef, context: { 'ecs:cluster': clusterArnOf(w, 'other-cluster'), ...tagContext(tags) } }],
      },
    );
  }
  out.push(
    {
      principal: p,
      what: 'DescribeTasks of an agent task',
      expect: 'allow',
      requests: [onTask(w, 'ecs:DescribeTasks')],
    },
    ...taskCallAndOtherCluster(w, p, 'ecs:StopTask', 'an agent task'),
    {
      principal: p,
      what: 'RunTask of a task definition outside the agent families',
      expect: 'deny',
      requests: [{ action: 'ecs:RunTask', resource: w.arn('ecs', 'task-definition/anything:1'), context: { 'ecs:cluster': w.clusterArn } }],
    },
    { principal: p, what: 'DeregisterTaskDefinition (any task definition in the Region)', expect: 'deny', requests: [{ action: 'ecs:DeregisterTaskDefinition', resource: '*' }] },
    {
      principal: p,
      what: "PassRole of the controller's own task role to an agent task",
      expect: 'deny',
      requests: [passInfrastructureRole(w, w.controllerRoleArn, 'ecs-tasks.amazonaws.com')],
    },
  );
  return out;
}
