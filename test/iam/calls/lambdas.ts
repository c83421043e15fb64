/** The reconciler Lambda and the LaunchSnapshot handlers. */
import { TAGS } from '../../../src/continuity/model.js';
import type { IamWorld, PrincipalName } from '../world.js';
import { noHandoffAccess } from './handoff.js';
import { OTHER, createSnapshot, describeEbs, describeServices, lambdaLogs, noPointer, passInfrastructureRole, recordCalls, rollService, snapshotArn, tagContext, taskArn, taskCallAndOtherCluster, updateServiceLimits, type SimCall } from './shared.js';

// ---- the reconciler Lambda -------------------------------------------------------------------

export function reconciler(w: IamWorld): SimCall[] {
  const p: PrincipalName = 'reconciler';
  return [
    describeServices(w, p),
    rollService(w, p, 'UpdateService: roll the controller to the head (passes the infrastructure role)'),
    ...updateServiceLimits(w, p),
    { principal: p, what: "PassRole of the controller's own task role", expect: 'deny', requests: [passInfrastructureRole(w, w.controllerRoleArn)] },
    { principal: p, what: 'PassRole of the infrastructure role to another service', expect: 'deny', requests: [passInfrastructureRole(w, w.infrastructureRoleArn, 'ec2.amazonaws.com')] },
    ...describeEbs(p, 'lineage listing, head state, holders'),
    ...recordCalls(w, p, 'fence, roll, prune'),
    {
      principal: p,
      sdk: 'ec2:DeleteSnapshot',
      what: 'DeleteSnapshot of a lineage snapshot (retention)',
      expect: 'allow',
      requests: [{ action: 'ec2:DeleteSnapshot', resource: snapshotArn(w), context: { [`aws:ResourceTag/${TAGS.lineage}`]: w.names.lineage } }],
    },
    {
      principal: p,
      what: "DeleteSnapshot of another lineage's snapshot",
      expect: 'deny',
      requests: [{ action: 'ec2:DeleteSnapshot', resource: snapshotArn(w), context: { [`aws:ResourceTag/${TAGS.lineage}`]: OTHER } }],
    },
    ...noPointer(w, p),
    ...noHandoffAccess(w, p),
    ...lambdaLogs(w, p, w.reconcilerLogGroup),
  ];
}

// ---- the LaunchSnapshot custom resource's handlers (deploy-time launch decision and handover) ---
// src/launch/handler.ts around src/continuity/handover.ts: the record (read, begin/advance/end,
// fence), DescribeServices and UpdateService (desiredCount 0, and the rollback's start with the
// volume configuration), DescribeTasks of the holder by ARN, the pre-copy CreateSnapshot
// (kind=manual) of the holder's volume, DescribeSnapshots by id.

export function launch(w: IamWorld): SimCall[] {
  const p: PrincipalName = 'launch';
  const preCopyTags = { [TAGS.lineage]: w.names.lineage, [TAGS.kind]: 'manual', [TAGS.task]: taskArn(w) };
  return [
    ...recordCalls(w, p, 'launch decision, handover operation'),
    describeServices(w, p),
    {
      principal: p,
      sdk: 'ecs:UpdateService',
      what: 'UpdateService desiredCount 0 (the handover stops Jenkins)',
      expect: 'allow',
      requests: [{ action: 'ecs:UpdateService', resource: w.serviceArn, context: { 'ecs:cluster': w.clusterArn } }],
    },
    rollService(w, p, 'UpdateService from the final snapshot, desiredCount 1 (a rollback\'s handover; passes the infrastructure role)'),
    ...updateServiceLimits(w, p),
    { principal: p, what: "PassRole of the controller's own task role", expect: 'deny', requests: [passInfrastructureRole(w, w.controllerRoleArn)] },
    { principal: p, what: 'PassRole of the infrastructure role to another service', expect: 'deny', requests: [passInfrastructureRole(w, w.infrastructureRoleArn, 'ec2.amazonaws.com')] },
    ...taskCallAndOtherCluster(w, p, 'ecs:DescribeTasks', 'the holder task (fenced once STOPPED)', 'ecs:DescribeTasks'),
    { principal: p, what: 'ListTasks (the handover counts tasks from DescribeServices)', expect: 'deny', requests: [{ action: 'ecs:ListTasks', resource: '*', context: { 'ecs:cluster': w.clusterArn } }] },
    { principal: p, sdk: 'ec2:CreateSnapshot', what: 'CreateSnapshot kind=manual of the home (the pre-copy)', expect: 'allow', requests: createSnapshot(w, preCopyTags) },
    { principal: p, what: "CreateSnapshot of another lineage's volume", expect: 'deny', requests: createSnapshot(w, preCopyTags, OTHER) },
    { principal: p, what: 'CreateSnapshot tagged with another lineage', expect: 'deny', requests: createSnapshot(w, { ...preCopyTags, [TAGS.lineage]: OTHER }) },
    { principal: p, what: 'CreateSnapshot forging kind=final', expect: 'deny', requests: createSnapshot(w, { ...preCopyTags, [TAGS.kind]: 'final' }) },
    { principal: p, what: 'CreateSnapshot forging kind=seed (escapes retention)', expect: 'deny', requests: createSnapshot(w, { ...preCopyTags, [TAGS.kind]: 'seed' }) },
    { principal: p, what: 'CreateSnapshot with a forged tag key (promoted-at)', expect: 'deny', requests: createSnapshot(w, { ...preCopyTags, 'jenkins-ecs:promoted-at': '2099-01-01T00:00:00Z' }) },
    {
      principal: p,
      what: 'CreateTags on an existing snapshot (retagging history)',
      expect: 'deny',
      requests: [{ action: 'ec2:CreateTags', resource: snapshotArn(w), context: { ...tagContext({ [TAGS.kind]: 'seed' }), [`aws:ResourceTag/${TAGS.lineage}`]: w.names.lineage } }],
    },
    { principal: p, sdk: 'ec2:DescribeSnapshots', what: 'DescribeSnapshots (head, pre-copy and final snapshot by id)', expect: 'allow', requests: [{ action: 'ec2:DescribeSnapshots', resource: '*' }] },
    {
      principal: p,
      what: 'DeleteSnapshot (retention is the reconciler’s)',
      expect: 'deny',
      requests: [{ action: 'ec2:DeleteSnapshot', resource: snapshotArn(w), context: { [`aws:ResourceTag/${TAGS.lineage}`]: w.names.lineage } }],
    },
    ...noHandoffAccess(w, p),
    ...lambdaLogs(w, p, w.launchLogGroup),
  ];
}
