/**
 * The lineage record: the one strongly consistent item that coordinates a lineage
 * (docs/protocol.md; design contract in docs/design/lineage-record.md).
 *
 * Correctness never rests on an EC2 listing, on tag propagation or on a client's clock: the head,
 * the holder and any operation in progress are read from here with a consistent read, and every
 * transition is one conditional write (compare-and-swap on `seq`).
 *
 * Plain data only: no SDK, no CDK. `src/aws/record-adapter.ts` implements {@link RecordPort} on
 * DynamoDB; the simulator implements it in memory with the same semantics.
 */
import type { SnapshotKind } from './model.js';
import type { DeltaRef } from './ports.js';

/** Version of the item layout; a reader refuses a record with a greater format. */
export const RECORD_FORMAT = 1;

/** A snapshot the protocol created and wrote into the record. Only these can become the head. */
export interface RecordedSnapshot {
  readonly snapshotId: string;
  /** `seq` of the write that added it: its place in the lineage's order (never a wall clock). */
  readonly seq: number;
  readonly kind: SnapshotKind;
  /** Task whose volume was snapshotted (keeper snapshots and manual ones taken from the holder). */
  readonly task?: string;
  /** The snapshot the snapshotted volume was created from. */
  readonly source?: string;
}

/** The one task allowed to run Jenkins on the lineage: a lease with a fencing token. */
export interface Holder {
  readonly taskArn: string;
  readonly volumeId: string;
  /**
   * Fencing token: the record's `seq` at the write that granted the lease. Every later write by
   * the holder is conditioned on the record still naming this token, so a holder whose lease was
   * taken over (its task was reported STOPPED) can never advance the head again.
   */
  readonly token: number;
  /**
   * The holder's keeper ships a handoff delta when it stops during a handover (it has a handoff
   * bucket). Only then may a handover launch the next task from the pre-copy before the holder has
   * stopped (docs/protocol.md, section 7): a keeper that cannot ship would leave that task stale.
   */
  readonly handoff?: true;
}

/**
 * A planned stop's shortcut to the head (docs/design/handoff.md): a volume built from `base` (a
 * completed pre-copy of the same volume) with `delta` applied holds the same home as one built
 * from `final`. Valid only while `final` is the head.
 */
export interface Handoff {
  readonly final: string;
  readonly base: string;
  readonly delta: DeltaRef;
  /** `seq` of the write that set it. */
  readonly seq: number;
}

export type OperationKind = 'restore' | 'handover' | 'migrate';

/** An operation in progress; retention and the reconciler respect it, and no holder is granted meanwhile unless the operation allows it. */
export interface Operation {
  readonly kind: OperationKind;
  /** Random id chosen by whoever began it; re-running with the same id resumes it. */
  readonly id: string;
  /** The snapshot the operation is moving the lineage to, once known. */
  readonly target?: string;
  /** `seq` of the write that began it. */
  readonly seq: number;
  /** Free-form step name, so `status` can say where an interrupted operation stopped. */
  readonly step?: string;
  /**
   * A handover at `launching`: the service's PRIMARY deployment when the launch was written (the
   * one the launch is to replace): its id and ECS's `createdAt` (ISO). A PRIMARY deployment created
   * after it that does not launch from the target (a late change set, a manual update) supersedes
   * the launch: see `endSupersededLaunch`. `createdAt` is ECS's clock for both, so a stale
   * DescribeServices (an older PRIMARY) can never pass for a newer one.
   */
  readonly deployment?: { readonly id: string; readonly createdAt: string };
  /**
   * A handover a deploy drives: who starts the one new task (`cloudformation`: its service update;
   * `service`: the handover's own UpdateService, in a rollback). A `restart` driving the same
   * handover stands back when it says `cloudformation`, so the deploy's update is the one start.
   */
  readonly starter?: 'service' | 'cloudformation';
}

export interface LineageRecord {
  readonly lineage: string;
  readonly format: number;
  /** Incremented by exactly one on every write. Orders everything; never compared with a clock. */
  readonly seq: number;
  /** The newest state of the home the lineage must continue from. Absent: empty lineage (bootstrap). */
  readonly head?: RecordedSnapshot;
  /**
   * The snapshot id the controller service launches from: what the deploy-time value handed to
   * CloudFormation must equal, so that a deploy that changes nothing else does not replace the
   * task. Written by the reconciler when it rolls the service, by a restore and by a handover.
   */
  readonly launch?: string;
  readonly holder?: Holder;
  readonly operation?: Operation;
  /** Set by a keeper's final write during a handover; see {@link Handoff}. */
  readonly handoff?: Handoff;
  /**
   * Earlier `launch` values, newest first (at most {@link LAUNCH_HISTORY}). A `cdk deploy` resolves
   * the launch snapshot when it creates its change set and applies it later, so retention keeps
   * these too: the snapshot a pending change set names must still exist when it is applied.
   */
  readonly previousLaunches?: readonly string[];
  /**
   * The last roll the reconciler decided (the write that set `launch` to the head). Only the
   * writer of that record issues the UpdateService. `at` is the writer's own clock and is read by
   * nothing but a later reconciler deciding whether a roll whose UpdateService never showed up was
   * abandoned (its Lambda died between the write and the call): a liveness hint, never an order.
   */
  readonly roll?: { readonly snapshotId: string; readonly seq: number; readonly at: string };
  /**
   * Every snapshot the protocol wrote into the record and has not deleted yet, in `seq` order.
   * Retention deletes only from this list (removing the entry in a conditional write first), and
   * a restore may only promote a completed member of it.
   */
  readonly snapshots: readonly RecordedSnapshot[];
}

/** How many earlier `launch` values the record keeps (see {@link LineageRecord.previousLaunches}). */
export const LAUNCH_HISTORY = 3;

/** Strongly consistent store of lineage records (DynamoDB on AWS). */
export interface RecordPort {
  /** Consistent read. Undefined when the lineage has no record yet. */
  read(lineage: string): Promise<LineageRecord | undefined>;
  /**
   * Conditional write of the whole record: succeeds only if the stored record's `seq` equals
   * `expectedSeq`, or, when `expectedSeq` is undefined, if no record exists. `next.seq` must be
   * `expectedSeq + 1` (or 1 for a new record). Resolves false when the condition fails
   * (`ConditionalCheckFailedException`); throws on any other error (throttling is retried by the
   * caller through `withRetries`).
   */
  write(next: LineageRecord, expectedSeq: number | undefined): Promise<boolean>;
}

/** DynamoDB layout of the record table (one item per lineage). */
export const RECORD_TABLE = {
  /** Partition key attribute (string): the lineage id. */
  partitionKey: 'lineage',
} as const;
