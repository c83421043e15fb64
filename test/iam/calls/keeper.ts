/** The keeper sidecar's calls (controller task role). */
import { TAGS } from '../../../src/continuity/model.js';
import type { IamWorld, PrincipalName } from '../world.js';
import { keeperHandoff } from './handoff.js';
import { OTHER, createSnapshot, describeEbs, recordCalls, snapshotArn, snapshotTags, tagContext, taskCallAndOtherCluster, volumeArn, volumeTags, type SimCall } from './shared.js';

// ---- the keeper (controller task role) -------------------------------------------------------

export function keeper(w: IamWorld): SimCall[] {
  const p: PrincipalName = 'keeper';
  const holderTag = { [TAGS.holder]: w.names.lineage };
  return [
    ...taskCallAndOtherCluster(w, p, 'ecs:DescribeTasks', "its own task (the home's EBS attachment)", 'ecs:DescribeTasks'),
    ...describeEbs(p, 'volume source, snapshot state, holders'),
    ...recordCalls(w, p, 'acquire, register, release'),
    ...keeperHandoff(w),
    { principal: p, sdk: 'ec2:CreateSnapshot', what: 'CreateSnapshot kind=periodic of the home', expect: 'allow', requests: createSnapshot(w, snapshotTags(w, 'periodic')) },
    { principal: p, what: 'CreateSnapshot kind=final of the home', expect: 'allow', requests: createSnapshot(w, snapshotTags(w, 'final')) },
    { principal: p, what: 'CreateSnapshot with only the lineage and kind tags (no task, no source)', expect: 'allow', requests: createSnapshot(w, { [TAGS.lineage]: w.names.lineage, [TAGS.kind]: 'periodic' }) },
    { principal: p, what: "CreateSnapshot of another lineage's volume", expect: 'deny', requests: createSnapshot(w, snapshotTags(w, 'periodic'), OTHER) },
    { principal: p, what: 'CreateSnapshot tagged with another lineage', expect: 'deny', requests: createSnapshot(w, snapshotTags(w, 'periodic', { [TAGS.lineage]: OTHER })) },
    { principal: p, what: 'CreateSnapshot without the lineage tag', expect: 'deny', requests: createSnapshot(w, { [TAGS.kind]: 'periodic' }) },
    { principal: p, what: 'CreateSnapshot forging kind=seed (escapes retention)', expect: 'deny', requests: createSnapshot(w, snapshotTags(w, 'seed')) },
    { principal: p, what: 'CreateSnapshot forging kind=manual', expect: 'deny', requests: createSnapshot(w, snapshotTags(w, 'manual')) },
    {
      principal: p,
      what: 'CreateSnapshot with an extra tag key (promoted-at forges the order)',
      expect: 'deny',
      requests: createSnapshot(w, snapshotTags(w, 'periodic', { 'jenkins-ecs:promoted-at': '2099-01-01T00:00:00Z' })),
    },
    {
      principal: p,
      what: 'CreateTags on an existing snapshot (retagging history)',
      expect: 'deny',
      requests: [{ action: 'ec2:CreateTags', resource: snapshotArn(w), context: { ...tagContext({ [TAGS.kind]: 'seed' }), [`aws:ResourceTag/${TAGS.lineage}`]: w.names.lineage } }],
    },
    // v0.1's holder tag is gone (the holder is a lease in the record): no tag writes on volumes.
    {
      principal: p,
      what: "CreateTags holder=lineage on the home volume (v0.1's holder tag; nothing grants it)",
      expect: 'deny',
      requests: [{ action: 'ec2:CreateTags', resource: volumeArn(w), context: { ...volumeTags(w.names.lineage, w.names.service), ...tagContext(holderTag) } }],
    },
    {
      principal: p,
      what: 'DeleteTags holder on the home volume',
      expect: 'deny',
      requests: [{ action: 'ec2:DeleteTags', resource: volumeArn(w), context: { ...volumeTags(w.names.lineage, w.names.service), 'aws:TagKeys': [TAGS.holder] } }],
    },
    {
      principal: p,
      what: 'DeleteTags AmazonECSManaged on the home volume',
      expect: 'deny',
      requests: [{ action: 'ec2:DeleteTags', resource: volumeArn(w), context: { ...volumeTags(w.names.lineage, w.names.service), 'aws:TagKeys': ['AmazonECSManaged'] } }],
    },
    {
      principal: p,
      what: 'CreateTags promoted-at on a lineage snapshot (forging the order)',
      expect: 'deny',
      requests: [{ action: 'ec2:CreateTags', resource: snapshotArn(w), context: { ...tagContext({ [TAGS.promotedAt]: '2099-01-01T00:00:00Z' }), [`aws:ResourceTag/${TAGS.lineage}`]: w.names.lineage } }],
    },
    {
      principal: p,
      what: 'DeleteSnapshot (retention is the reconciler’s)',
      expect: 'deny',
      requests: [{ action: 'ec2:DeleteSnapshot', resource: snapshotArn(w), context: { [`aws:ResourceTag/${TAGS.lineage}`]: w.names.lineage } }],
    },
  ];
}
