/** The migration task (only with `migration` in the config). */
import { TAGS } from '../../../src/continuity/model.js';
import type { AuthRequest, Context } from '../simulate.js';
import type { IamWorld, PrincipalName } from '../world.js';
import { OTHER, createSnapshot, snapshotArn, taskArn, taskCallAndOtherCluster, type SimCall } from './shared.js';

// ---- the migration task (only with `migration` in the config) ---------------------------------
// src/migrate/run.ts: CreateSnapshot kind=seed of its task volume, DescribeTasks of its own task
// (the EBS attachment), DescribeSnapshots until the seed completes; efs-utils mounts the source
// read-only with TLS and IAM authorization through a mount target.

export function migration(w: IamWorld): SimCall[] {
  const source = w.config.migration;
  if (!source) return [];
  const p: PrincipalName = 'migration';
  const fs = w.arn('elasticfilesystem', `file-system/${source.efsFileSystemId}`);
  const mount = (action: string, extra: Context = {}): AuthRequest => ({
    action,
    resource: fs,
    context: {
      'aws:SecureTransport': 'true',
      'elasticfilesystem:AccessedViaMountTarget': 'true',
      ...(source.efsAccessPointId ? { 'elasticfilesystem:AccessPointArn': w.arn('elasticfilesystem', `access-point/${source.efsAccessPointId}`) } : {}),
      ...extra,
    },
  });
  const seedTags = { [TAGS.lineage]: w.names.lineage, [TAGS.kind]: 'seed', [TAGS.task]: taskArn(w) };
  return [
    { principal: p, what: 'ClientMount + ClientRootAccess of the source file system (TLS, via a mount target)', expect: 'allow', requests: [mount('elasticfilesystem:ClientMount'), mount('elasticfilesystem:ClientRootAccess')] },
    { principal: p, what: 'ClientWrite to the source file system', expect: 'deny', requests: [mount('elasticfilesystem:ClientWrite')] },
    { principal: p, what: 'ClientMount without TLS', expect: 'deny', requests: [mount('elasticfilesystem:ClientMount', { 'aws:SecureTransport': 'false' })] },
    { principal: p, what: 'CreateSnapshot kind=seed of the migrated volume', expect: 'allow', requests: createSnapshot(w, seedTags) },
    { principal: p, what: 'CreateSnapshot kind=periodic (only the keeper takes those)', expect: 'deny', requests: createSnapshot(w, { ...seedTags, [TAGS.kind]: 'periodic' }) },
    { principal: p, what: "CreateSnapshot of another lineage's volume", expect: 'deny', requests: createSnapshot(w, seedTags, OTHER) },
    { principal: p, what: 'CreateSnapshot with an extra tag key', expect: 'deny', requests: createSnapshot(w, { ...seedTags, extra: 'x' }) },
    ...taskCallAndOtherCluster(w, p, 'ecs:DescribeTasks', 'its own task (the EBS attachment)'),
    { principal: p, what: 'DescribeSnapshots (waiting for the seed)', expect: 'allow', requests: [{ action: 'ec2:DescribeSnapshots', resource: '*' }] },
    {
      principal: p,
      what: 'DeleteSnapshot',
      expect: 'deny',
      requests: [{ action: 'ec2:DeleteSnapshot', resource: snapshotArn(w), context: { [`aws:ResourceTag/${TAGS.lineage}`]: w.names.lineage } }],
    },
  ];
}
