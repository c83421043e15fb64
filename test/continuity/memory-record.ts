/**
 * An in-memory RecordPort with DynamoDB's documented semantics for one item: a read returns every
 * write that succeeded before it (strongly consistent read), and a conditional write is atomic:
 * it lands only if the stored seq is still the expected one. Used by unit tests, the CLI fake and
 * the simulator (which adds throttling and lost answers around it).
 */
import type { LineageRecord, RecordPort } from '../../src/continuity/record.js';

export class MemoryRecordStore implements RecordPort {
  readonly items = new Map<string, string>();
  /** Writes that landed, in order (tests read the history). */
  readonly history: LineageRecord[] = [];
  conditionFailures = 0;

  async read(lineage: string): Promise<LineageRecord | undefined> {
    return this.peek(lineage);
  }

  /** The stored record, synchronously (a copy: callers can never change the store by accident). */
  peek(lineage: string): LineageRecord | undefined {
    const raw = this.items.get(lineage);
    return raw === undefined ? undefined : (JSON.parse(raw) as LineageRecord);
  }

  async write(next: LineageRecord, expectedSeq: number | undefined): Promise<boolean> {
    return this.writeNow(next, expectedSeq);
  }

  writeNow(next: LineageRecord, expectedSeq: number | undefined): boolean {
    if (next.seq !== (expectedSeq ?? 0) + 1) throw new RangeError(`seq must advance by one (expected ${expectedSeq ?? 'none'}, got ${next.seq})`);
    const current = this.peek(next.lineage);
    if (expectedSeq === undefined ? current !== undefined : current?.seq !== expectedSeq) {
      this.conditionFailures++;
      return false;
    }
    this.items.set(next.lineage, JSON.stringify(next));
    this.history.push(JSON.parse(JSON.stringify(next)) as LineageRecord);
    return true;
  }
}
