// The region list `validate` checks against (src/config/regions.generated.ts) is aws-cdk-lib's
// own region facts, not a hand-written list: it must equal what scripts/gen-regions.ts derives
// from the installed aws-cdk-lib (RegionInfo.regions, Fact PARTITION). After an aws-cdk-lib
// upgrade this fails until `npm run regions:update` regenerates the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { REGIONS_FILE, regionsSource } from '../../scripts/gen-regions.js';
import { parseConfig } from '../../src/config/index.js';

test('the committed region list is the installed aws-cdk-lib region facts', () => {
  assert.equal(readFileSync(REGIONS_FILE, 'utf8'), regionsSource());
});

test('every region aws-cdk-lib knows validates; one it does not is refused with a suggestion', () => {
  for (const r of RegionInfo.regions) assert.ok(parseConfig({ name: 'ci', region: r.name }).ok, r.name);
  const bad = parseConfig({ name: 'ci', region: 'us-east-9' });
  assert.ok(!bad.ok);
  assert.equal(bad.errors.length, 1);
  assert.equal(bad.errors[0]!.path, 'region');
  assert.match(bad.errors[0]!.message, /^"us-east-9" is not an AWS region known to aws-cdk-lib \d+\.\d+\.\d+ \(\d+ regions: .*us-east-1.*\) — did you mean us-east-1\? set region: us-east-1/);
});
