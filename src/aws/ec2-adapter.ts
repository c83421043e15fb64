/** `Ec2Port` over the EC2 API: lineage snapshots, volumes, and v0.1's holder tags (read for the bootstrap only). */
import {
  CreateSnapshotCommand,
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  paginateDescribeSnapshots,
  paginateDescribeVolumes,
  type EC2Client,
  type Snapshot as Ec2Snapshot,
  type Tag,
  type Volume as Ec2Volume,
} from '@aws-sdk/client-ec2';
import { SNAPSHOT_KINDS, TAGS, type Snapshot, type SnapshotKind, type SnapshotState, type Volume, type VolumeState } from '../continuity/model.js';
import type { Ec2Port, SnapshotTags } from '../continuity/ports.js';
import { AdapterError, EC2_ERRORS, isAwsError } from './errors.js';

function tagMap(tags: readonly Tag[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of tags ?? []) if (t.Key !== undefined) out.set(t.Key, t.Value ?? '');
  return out;
}

function parseDate(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function snapshotState(state: string | undefined): SnapshotState {
  if (state === 'pending' || state === 'completed') return state;
  // Coming back from the Recycle Bin: not launchable yet, and it must not be counted as a failure
  // and deleted by the reconciler while it recovers, so it is treated like a pending snapshot.
  if (state === 'recovering') return 'pending';
  return 'error';
}

/** In the Recycle Bin: not part of the lineage until someone recovers it. */
const IN_RECYCLE_BIN = 'recoverable';

export function snapshotFromEc2(s: Ec2Snapshot): Snapshot {
  if (!s.SnapshotId) throw new AdapterError('MalformedResponse', 'ec2 returned a snapshot without SnapshotId');
  const tags = tagMap(s.Tags);
  const kind = tags.get(TAGS.kind);
  return {
    id: s.SnapshotId,
    state: snapshotState(s.State),
    startTime: s.StartTime ?? new Date(0),
    lineage: tags.get(TAGS.lineage) ?? '',
    kind: SNAPSHOT_KINDS.includes(kind as SnapshotKind) ? (kind as SnapshotKind) : undefined,
    task: tags.get(TAGS.task) || undefined,
    source: tags.get(TAGS.source) || undefined,
    promotedAt: parseDate(tags.get(TAGS.promotedAt)),
    volumeId: s.VolumeId || undefined,
    volumeSizeGiB: s.VolumeSize,
    progress: s.Progress || undefined,
  };
}

const VOLUME_STATES: readonly VolumeState[] = ['creating', 'available', 'in-use', 'deleting', 'deleted', 'error'];

export function volumeFromEc2(v: Ec2Volume): Volume {
  if (!v.VolumeId) throw new AdapterError('MalformedResponse', 'ec2 returned a volume without VolumeId');
  const tags = tagMap(v.Tags);
  const state = VOLUME_STATES.includes(v.State as VolumeState) ? (v.State as VolumeState) : 'error';
  return {
    id: v.VolumeId,
    state,
    createTime: v.CreateTime ?? new Date(0),
    snapshotId: v.SnapshotId || undefined,
    holder: tags.get(TAGS.holder) || undefined,
  };
}

export function snapshotTagList(tags: SnapshotTags): Tag[] {
  const out: Tag[] = [
    { Key: TAGS.lineage, Value: tags.lineage },
    { Key: TAGS.kind, Value: tags.kind },
  ];
  if (tags.task) out.push({ Key: TAGS.task, Value: tags.task });
  if (tags.source) out.push({ Key: TAGS.source, Value: tags.source });
  return out;
}

export class Ec2Adapter implements Ec2Port {
  public constructor(private readonly client: EC2Client) {}

  public async listLineage(lineage: string): Promise<Snapshot[]> {
    const out: Snapshot[] = [];
    const pages = paginateDescribeSnapshots(
      { client: this.client, pageSize: 500 },
      { OwnerIds: ['self'], Filters: [{ Name: `tag:${TAGS.lineage}`, Values: [lineage] }] },
    );
    for await (const page of pages) {
      for (const s of page.Snapshots ?? []) if (s.State !== IN_RECYCLE_BIN) out.push(snapshotFromEc2(s));
    }
    return out;
  }

  public async describeSnapshot(snapshotId: string): Promise<Snapshot | undefined> {
    try {
      const res = await this.client.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }));
      const s = res.Snapshots?.[0];
      return s && s.State !== IN_RECYCLE_BIN ? snapshotFromEc2(s) : undefined;
    } catch (e) {
      if (isAwsError(e, EC2_ERRORS.snapshotNotFound)) return undefined;
      throw e;
    }
  }

  public async createSnapshot(volumeId: string, tags: SnapshotTags, description?: string): Promise<Snapshot> {
    // Tags go on the call itself: a snapshot must never exist, even briefly, without its lineage tag.
    const res = await this.client.send(
      new CreateSnapshotCommand({
        VolumeId: volumeId,
        Description: description ?? `jenkins-ecs ${tags.kind} snapshot of lineage ${tags.lineage}`,
        TagSpecifications: [{ ResourceType: 'snapshot', Tags: snapshotTagList(tags) }],
      }),
    );
    if (!res.SnapshotId) throw new AdapterError('MalformedResponse', `CreateSnapshot of ${volumeId} returned no SnapshotId`);
    return snapshotFromEc2(res);
  }

  public async deleteSnapshot(snapshotId: string): Promise<void> {
    try {
      await this.client.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
    } catch (e) {
      if (isAwsError(e, EC2_ERRORS.snapshotNotFound)) return; // already gone: the goal is met
      throw e;
    }
  }

  public async describeVolume(volumeId: string): Promise<Volume | undefined> {
    try {
      const res = await this.client.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
      const v = res.Volumes?.[0];
      return v ? volumeFromEc2(v) : undefined;
    } catch (e) {
      if (isAwsError(e, EC2_ERRORS.volumeNotFound)) return undefined;
      throw e;
    }
  }

  public async listHolders(lineage: string): Promise<Volume[]> {
    const out: Volume[] = [];
    const pages = paginateDescribeVolumes(
      { client: this.client, pageSize: 500 },
      { Filters: [{ Name: `tag:${TAGS.holder}`, Values: [lineage] }] },
    );
    for await (const page of pages) for (const v of page.Volumes ?? []) out.push(volumeFromEc2(v));
    return out;
  }
}
