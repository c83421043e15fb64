/**
 * Creating the lineage record when there is none: empty for a new lineage, bootstrapped once from
 * a listing for a v0.1 lineage (docs/protocol.md, "Bootstrap"). Shared by the keeper and the
 * reconciler; the create is conditioned on the item not existing, so only one creator wins.
 */
import { commit, type CommitOptions } from './commit.js';
import type { Ec2Port, LogEntry } from './ports.js';
import type { LineageRecord, RecordPort } from './record.js';
import { withRetries } from './retry.js';
import { bootstrapRecord, createRecord, PROTOCOL_KINDS, type Outcome } from './transitions.js';

export interface EnsureRecordDeps {
  readonly ec2: Ec2Port;
  readonly record: RecordPort;
  readonly log: (level: LogEntry['level'], msg: string, fields?: Record<string, unknown>) => void;
}

export interface EnsureRecordOptions extends CommitOptions {
  readonly lineage: string;
  /** Pause between the two listings a bootstrap compares. */
  readonly settleMs: number;
  /** The snapshot the service launches from now, if known (kept as `launch` when it is a member). */
  readonly launch?: string;
}

/**
 * Creates the record if it is missing. A bootstrap trusts a listing, so it takes two listings
 * `settleMs` apart, merges their snapshots (one that the first listing missed still counts) and
 * refuses while either shows a live v0.1 holder. Returns the record when one exists afterwards.
 */
export async function ensureRecord(deps: EnsureRecordDeps, opts: EnsureRecordOptions): Promise<LineageRecord | undefined> {
  const { ec2, record, log } = deps;
  const retry = <T>(fn: () => Promise<T>): Promise<T> => withRetries(fn, { clock: opts.clock, ...(opts.retry ? { policy: opts.retry } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
  const exists = (r: LineageRecord | undefined): Outcome | undefined => (r ? { ok: true, record: r, unchanged: true } : undefined);
  const first = await retry(() => ec2.listLineage(opts.lineage));
  let decide = (r: LineageRecord | undefined): Outcome => exists(r) ?? { ok: true, record: createRecord(opts.lineage) };
  if (first.some((s) => s.kind !== undefined && PROTOCOL_KINDS.includes(s.kind))) {
    const holders1 = await retry(() => ec2.listHolders(opts.lineage));
    await opts.clock.sleep(opts.settleMs);
    if (opts.signal?.aborted) return undefined;
    const second = await retry(() => ec2.listLineage(opts.lineage));
    const holders2 = await retry(() => ec2.listHolders(opts.lineage));
    const byId = new Map([...first, ...second].map((s) => [s.id, s]));
    const boot = bootstrapRecord({ lineage: opts.lineage, listed: [...byId.values()], holders: [...holders1, ...holders2], ...(opts.launch ? { launch: opts.launch } : {}) });
    decide = (r) => exists(r) ?? boot;
  }
  const { outcome, wrote } = await commit(record, opts.lineage, decide, opts);
  if (!outcome.ok) {
    log('info', 'lineage record not bootstrapped yet', { reason: outcome.reason });
    return undefined;
  }
  if (wrote) log('info', 'lineage record created', { head: outcome.record.head?.snapshotId ?? null, snapshots: outcome.record.snapshots.length });
  return outcome.record;
}
