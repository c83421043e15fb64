// Pins, in cdk.json's context, every aws-cdk-lib feature flag the cdk CLI would report as "not
// configured" (`N feature flags are not configured` on every synth and deploy) to the value it
// already has unset: the templates stay byte-identical (test/constructs/feature-flags.test.ts
// checks it), and moving a flag to its recommended value becomes a deliberate, reviewed change.
// Run after upgrading aws-cdk-lib: `npm run flags:pin`.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { buildApp } from '../src/app.js';
import { parseConfig } from '../src/config/index.js';

export const CDK_JSON = join(__dirname, '..', 'cdk.json');

interface FlagReport {
  readonly userValue?: unknown;
  readonly recommendedValue?: unknown;
  readonly unconfiguredBehavesLike?: { readonly v2?: unknown };
}

/** The feature-flag report aws-cdk-lib writes into the cloud assembly, for a synth with `context`. */
export function flagReport(context: Record<string, unknown>): Record<string, FlagReport> {
  const parsed = parseConfig({ name: 'ci' });
  if (!parsed.ok) throw new Error('the default config does not validate');
  const outdir = mkdtempSync(join(tmpdir(), 'jenkins-ecs-flags-'));
  try {
    const app = new App({ outdir, context });
    buildApp(parsed.config, { app, env: {} });
    const manifest = app.synth().manifest;
    for (const a of Object.values(manifest.artifacts ?? {})) {
      if (a.type === 'cdk:feature-flag-report') return (a.properties as { flags: Record<string, FlagReport> }).flags;
    }
    throw new Error('no feature-flag report in the assembly');
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The cdk CLI's rule (aws-cdk FlagOperations.filterNeedsAttention): unset, and unset ≠ recommended. */
export function needsAttention(flags: Record<string, FlagReport>): string[] {
  const obsolete = ['@aws-cdk/core:enableStackNameDuplicates', '@aws-cdk/aws-s3:grantWriteWithoutAcl', '@aws-cdk/aws-kms:defaultKeyPolicies'];
  return Object.entries(flags)
    .filter(([name, f]) => !obsolete.includes(name) && f.userValue === undefined && (f.unconfiguredBehavesLike?.v2 ?? false) !== f.recommendedValue)
    .map(([name]) => name)
    .sort();
}

/**
 * The value that behaves like leaving `flag` unset. Boolean flags: the report's
 * unconfiguredBehavesLike (false when absent, as aws-cdk-lib's futureFlagDefault reads it).
 * `@aws-cdk/core:target-partitions` unset means every partition, so it is pinned to every
 * partition aws-cdk-lib's region facts know.
 */
function unsetValue(flag: string, f: FlagReport): unknown {
  if (flag === '@aws-cdk/core:target-partitions') {
    return [...new Set(RegionInfo.regions.map((r) => r.partition))].sort();
  }
  if (f.unconfiguredBehavesLike?.v2 !== undefined) return f.unconfiguredBehavesLike.v2;
  if (typeof f.recommendedValue === 'boolean') return false;
  throw new Error(`${flag}: no value is known to behave like unset; decide it by hand in cdk.json`);
}

export function cdkJsonContext(): Record<string, unknown> {
  return ((JSON.parse(readFileSync(CDK_JSON, 'utf8')) as { context?: Record<string, unknown> }).context ?? {});
}

if (require.main === module) {
  const doc = JSON.parse(readFileSync(CDK_JSON, 'utf8')) as { context?: Record<string, unknown> };
  const context = { ...(doc.context ?? {}) };
  const report = flagReport(context);
  for (const flag of needsAttention(report)) context[flag] = unsetValue(flag, report[flag]!);
  doc.context = Object.fromEntries(Object.entries(context).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(CDK_JSON, `${JSON.stringify(doc, null, 2)}\n`);
  console.log(`cdk.json: ${Object.keys(doc.context).length} context entries`);
}
