import { test } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveTime } from '../../src/continuity/model.js';

test('effective time prefers promoted-at over StartTime', () => {
  const start = new Date('2026-01-01T00:00:00Z');
  const promoted = new Date('2026-02-01T00:00:00Z');
  assert.equal(effectiveTime({ id: 'snap-1', state: 'completed', startTime: start, lineage: 'ci' }), start);
  assert.equal(effectiveTime({ id: 'snap-1', state: 'completed', startTime: start, lineage: 'ci', promotedAt: promoted }), promoted);
});
