/**
 * What `npm run synth` (bin/app.ts run directly, without the cdk CLI) needs around the CDK app:
 * its arguments, the context files the cdk CLI would have read, the account of a cached VPC
 * lookup, and an assembly directory that holds the current synth only. No aws-cdk-lib here.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface SynthArgs {
  /** `-c key=value` / `--context key=value` pairs, as the cdk CLI passes them. */
  readonly context: Record<string, string>;
  /** `--config FILE`, or what npm left of `npm run synth --config FILE`. */
  readonly configFlag?: string;
  /** The file came through npm's own config (`npm run synth --config F`, without `--`). */
  readonly viaNpm?: boolean;
}

/** Thrown for arguments bin/app.ts cannot honour; its message is the one line to print. */
export class SynthUsageError extends Error {}

const USAGE = 'use `npm run synth -- -c config=FILE` (or `npm run synth -- --config FILE`)';

/**
 * Parses the arguments of bin/app.ts. npm eats flags written before `--`: `npm run synth --config F`
 * reaches us as the lone argument `F` with npm_config_config=true, and `npm run synth --config=F`
 * as no argument with npm_config_config=F. Both are honoured; anything else unknown is refused.
 */
export function parseSynthArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): SynthArgs {
  const context: Record<string, string> = {};
  let configFlag: string | undefined;
  const positionals: string[] = [];
  const pair = (raw: string | undefined, flag: string) => {
    const m = raw === undefined ? null : /^([^=\s]+)=(.*)$/.exec(raw);
    if (!m || m[2] === '') throw new SynthUsageError(`${flag} needs key=value, got ${raw === undefined ? 'nothing' : JSON.stringify(raw)}; ${USAGE}`);
    context[m[1]!] = m[2]!;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-c' || arg === '--context') pair(argv[++i], arg);
    else if (arg.startsWith('--context=')) pair(arg.slice('--context='.length), '--context');
    else if (arg === '--config') {
      configFlag = argv[++i];
      if (configFlag === undefined || configFlag === '') throw new SynthUsageError(`--config needs a file; ${USAGE}`);
    } else if (arg.startsWith('--config=')) configFlag = arg.slice('--config='.length);
    else if (arg.startsWith('-')) throw new SynthUsageError(`unknown option ${JSON.stringify(arg)}; ${USAGE}`);
    else positionals.push(arg);
  }
  const npmConfig = env.npm_config_config;
  if (npmConfig === 'true' && positionals.length === 1 && configFlag === undefined) return { context, configFlag: positionals[0], viaNpm: true };
  if (positionals.length > 0) throw new SynthUsageError(`unexpected argument ${JSON.stringify(positionals[0])}; ${USAGE}`);
  if (npmConfig === 'true') throw new SynthUsageError(`--config needs a file; ${USAGE}`);
  if (npmConfig && configFlag === undefined) return { context, configFlag: npmConfig, viaNpm: true };
  return { context, ...(configFlag !== undefined ? { configFlag } : {}) };
}

/**
 * The context the cdk CLI reads from the project folder, for a synth run without it: the
 * `context` of cdk.json, then cdk.context.json (cached lookups), then `-c` pairs on top.
 */
export function projectContext(dir: string, cli: Readonly<Record<string, string>> = {}): Record<string, unknown> {
  const read = (file: string): Record<string, unknown> => {
    const path = join(dir, file);
    if (!existsSync(path)) return {};
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new SynthUsageError(`${file}: not valid JSON (${(e as Error).message})`);
    }
  };
  const cdkJson = read('cdk.json');
  const fromCdkJson = typeof cdkJson.context === 'object' && cdkJson.context !== null ? (cdkJson.context as Record<string, unknown>) : {};
  return { ...fromCdkJson, ...read('cdk.context.json'), ...cli };
}

/**
 * The accounts for which the context holds a cached lookup of this VPC in this region (the key
 * the cdk CLI writes to cdk.context.json: `vpc-provider:account=…:filter.vpc-id=…:region=…:…`).
 */
export function cachedVpcAccounts(context: Readonly<Record<string, unknown>>, vpcId: string, region: string): string[] {
  const accounts = new Set<string>();
  for (const key of Object.keys(context)) {
    const m = /^vpc-provider:account=(\d{12}):filter\.vpc-id=([^:]+):region=([^:]+)(:|$)/.exec(key);
    if (m && m[2] === vpcId && m[3] === region) accounts.add(m[1]!);
  }
  return [...accounts];
}

/** The one-paragraph answer to "how do I synthesize an imported VPC offline". */
export function vpcLookupHelp(vpcId: string, region: string | undefined, configPath: string): string {
  return (
    `vpc.id: importing ${vpcId} needs a lookup of the VPC (its subnets, route tables and AZs) in your AWS account${region ? ` in ${region}` : ''}, ` +
    `and cdk.context.json holds none. Run once with credentials for that account: \`npx cdk synth -c config=${configPath}\`; ` +
    'the cdk CLI looks the VPC up and saves the answer in cdk.context.json. Commit that file: from then on `npm run synth` runs offline. ' +
    'Nothing was written to cdk.out.'
  );
}

interface Manifest {
  readonly artifacts?: Record<
    string,
    { readonly properties?: { readonly templateFile?: string; readonly file?: string }; readonly additionalMetadataFile?: string }
  >;
}

/** Files of one kind CDK writes into an assembly directory (not cdk.out's own marker files). */
const STACK_FILE = /\.(template|assets|metadata)\.json$/;

/** Files the manifest of `dir` names (templates, asset manifests), and the asset folders they use. */
function referenced(dir: string): { files: Set<string>; assets: Set<string> } {
  const files = new Set<string>();
  const assets = new Set<string>();
  const manifestFile = join(dir, 'manifest.json');
  if (!existsSync(manifestFile)) return { files, assets };
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
  for (const a of Object.values(manifest.artifacts ?? {})) {
    for (const f of [a.properties?.templateFile, a.properties?.file, a.additionalMetadataFile]) if (f) files.add(f);
  }
  for (const f of files) {
    if (!f.endsWith('.assets.json') || !existsSync(join(dir, f))) continue;
    const doc = JSON.parse(readFileSync(join(dir, f), 'utf8')) as {
      files?: Record<string, { source?: { path?: string } }>;
      dockerImages?: Record<string, { source?: { directory?: string } }>;
    };
    for (const x of Object.values(doc.files ?? {})) if (x.source?.path) assets.add(x.source.path);
    for (const x of Object.values(doc.dockerImages ?? {})) if (x.source?.directory) assets.add(x.source.directory);
  }
  return { files, assets };
}

/**
 * Removes what an earlier synth of another config left in the assembly directory: stack files
 * (`*.template.json`, `*.assets.json`, `*.metadata.json`) and `asset.*` folders the current
 * manifest does not name. Returns the names removed.
 */
export function pruneAssembly(dir: string): string[] {
  const { files, assets } = referenced(dir);
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const stale = (STACK_FILE.test(name) && !files.has(name)) || (name.startsWith('asset.') && !assets.has(name));
    if (stale) {
      rmSync(join(dir, name), { recursive: true, force: true });
      removed.push(name);
    }
  }
  return removed;
}

/**
 * Removes every stack file and the manifest from an assembly directory, after a synth that wrote
 * nothing usable (its templates would hold placeholders) or refused to run: no template of this
 * config, nor of an earlier one, is left for a `cdk deploy --app cdk.out` to pick up. Asset
 * folders stay; without a manifest nothing refers to them, and the next synth prunes them.
 */
export function clearAssembly(dir: string): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    if (STACK_FILE.test(name) || name === 'manifest.json' || name === 'tree.json') rmSync(join(dir, name), { force: true });
  }
}
