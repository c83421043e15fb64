// The keeper image's Node line against the Node.js release schedule (test/fixtures/node-schedule.json,
// an excerpt of nodejs/Release schedule.json), and the esbuild target against the image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { KEEPER_ESBUILD_OPTIONS } from '../../src/constructs/keeper-image.js';

const schedule = JSON.parse(readFileSync('test/fixtures/node-schedule.json', 'utf8')) as {
  lines: Record<string, { lts?: string; end: string }>;
};
const from = /^FROM node:(\d+)\.(\d+)\.(\d+)-alpine[\d.]+$/m.exec(readFileSync('keeper/Dockerfile', 'utf8'));

/** The day this release was cut; support must reach well beyond it. */
const RELEASED = '2026-12-01';

test('the keeper image is a pinned node:<x.y.z>-alpine release of an LTS line supported for at least a year more', () => {
  assert.ok(from, 'keeper/Dockerfile FROM node:<x.y.z>-alpine<version>');
  const line = schedule.lines[`v${from[1]}`];
  assert.ok(line, `Node ${from[1]} is in the schedule`);
  assert.ok(line.lts !== undefined && line.lts <= RELEASED, `Node ${from[1]} was LTS by ${RELEASED}`);
  const yearLater = `${Number(RELEASED.slice(0, 4)) + 1}${RELEASED.slice(4)}`;
  assert.ok(line.end > yearLater, `Node ${from[1]} is supported until ${line.end}`);
  assert.ok((schedule.lines.v20?.end ?? '') < RELEASED, 'the schedule says Node 20 has ended, the reason for the move');
});

test('esbuild targets the image\'s Node major', () => {
  assert.equal(KEEPER_ESBUILD_OPTIONS.target, `node${from?.[1]}`);
});
