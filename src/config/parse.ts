/**
 * parseConfig / loadConfigFile: validate with the zod schema, run the cross-field rules, apply
 * defaults. All problems are reported together.
 */
import { readFileSync } from 'node:fs';
import { isMap, LineCounter, parseDocument } from 'yaml';
import { DEFAULT_AGENT_IMAGE, DEFAULT_AGENTS, DEFAULTS } from './defaults.js';
import { defaultMemoryFor } from './fargate.js';
import { closest, error, pathToString, show, type PathSegment } from './issues.js';
import { crossFieldRules, View } from './rules.js';
import { configSchema, knownKeysAt, placesOfKey, type RawConfig } from './schema.js';
import type { AgentConfig, ConfigIssue, HomeConfig, JenkinsEcsConfig } from './types.js';

export type ConfigResult =
  | { ok: true; config: JenkinsEcsConfig; warnings: ConfigIssue[] }
  | { ok: false; errors: ConfigIssue[]; warnings: ConfigIssue[] };

interface ZodIssueLike {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly keys?: readonly string[];
}

/**
 * The fix for a key that is valid elsewhere (a mis-indented `home:` at the top level belongs at
 * `controller.home`): name its right place, never "remove it", which would throw settings away.
 */
function misplacedFix(key: string, at: readonly PathSegment[]): string {
  const here = pathToString(at.map((s) => (typeof s === 'number' ? 0 : s))).replace(/\[0\]/g, '[]');
  const places = placesOfKey(key).filter((p) => p !== (here === '(root)' ? key : `${here}.${key}`));
  if (places.length === 0) return 'remove it';
  const parent = (p: string) => p.slice(0, p.lastIndexOf('.'));
  const where = places.map((p) => (p.includes('.') ? `${p} (indent it under ${parent(p)})` : `${p} (at the top level, not indented)`));
  return `${key} belongs at ${where.join(' or ')}: move it there`;
}

function schemaIssues(issues: readonly ZodIssueLike[]): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const iss of issues) {
    const path = iss.path.filter((s): s is PathSegment => typeof s !== 'symbol');
    if (iss.code === 'unrecognized_keys' && iss.keys) {
      const known = knownKeysAt(path);
      for (const key of iss.keys) {
        const hint = closest(key, known);
        const fix = hint ? `did you mean ${hint}? rename it to ${hint}` : misplacedFix(key, path);
        out.push(error(pathToString([...path, key]), `unknown key (received ${show(key)}); allowed keys here: ${known.join(', ')} — ${fix}`));
      }
    } else {
      out.push(error(pathToString(path), iss.message));
    }
  }
  return out;
}

function resolveHome(h: NonNullable<NonNullable<RawConfig['controller']>['home']> | undefined): HomeConfig {
  const volumeType = h?.volumeType ?? DEFAULTS.volumeType;
  const gp3 = volumeType === 'gp3';
  return {
    sizeGiB: h?.sizeGiB ?? DEFAULTS.sizeGiB,
    volumeType,
    iops: h?.iops ?? (gp3 ? DEFAULTS.gp3Iops : undefined),
    throughputMiBps: h?.throughputMiBps ?? (gp3 ? DEFAULTS.gp3ThroughputMiBps : undefined),
    fileSystem: h?.fileSystem ?? DEFAULTS.fileSystem,
    ...(h?.kmsKeyArn !== undefined && { kmsKeyArn: h.kmsKeyArn }),
    ...(h?.seedSnapshotId !== undefined && { seedSnapshotId: h.seedSnapshotId }),
    ...(h?.initializationRateMiBps !== undefined && { initializationRateMiBps: h.initializationRateMiBps }),
  };
}

function resolve(raw: RawConfig): JenkinsEcsConfig {
  const c = raw.controller;
  const cpu = c?.cpu ?? DEFAULTS.controllerCpu;
  const agents: readonly AgentConfig[] =
    raw.agents === undefined
      ? DEFAULT_AGENTS
      : raw.agents.map((a) => {
          const agentCpu = a.cpu ?? DEFAULTS.agentCpu;
          return {
            label: a.label,
            cpu: agentCpu,
            memoryMiB: a.memoryMiB ?? defaultMemoryFor(agentCpu),
            image: a.image ?? DEFAULT_AGENT_IMAGE,
            capacity: a.capacity ?? DEFAULTS.agentCapacity,
            maxAgents: a.maxAgents ?? DEFAULTS.agentMaxAgents,
          };
        });
  const a = raw.access;
  return {
    name: raw.name,
    ...(raw.region !== undefined && { region: raw.region }),
    ...(raw.vpc?.id !== undefined && { vpc: { id: raw.vpc.id } }),
    ...(raw.vpc?.availabilityZones !== undefined && { newVpc: { availabilityZones: raw.vpc.availabilityZones } }),
    access: {
      internal: a?.internal ?? false,
      allowedCidrs: a?.allowedCidrs ?? DEFAULTS.allowedCidrs,
      ...(a?.domainName !== undefined && { domainName: a.domainName }),
      ...(a?.hostedZoneId !== undefined && { hostedZoneId: a.hostedZoneId }),
      ...(a?.certificateArn !== undefined && { certificateArn: a.certificateArn }),
    },
    controller: {
      jenkinsVersion: c?.jenkinsVersion ?? DEFAULTS.jenkinsVersion,
      cpu,
      memoryMiB: c?.memoryMiB ?? defaultMemoryFor(cpu),
      home: resolveHome(c?.home),
      snapshots: {
        intervalMinutes: c?.snapshots?.intervalMinutes ?? DEFAULTS.intervalMinutes,
        keepLast: c?.snapshots?.keepLast ?? DEFAULTS.keepLast,
        keepDailyDays: c?.snapshots?.keepDailyDays ?? DEFAULTS.keepDailyDays,
      },
    },
    agents,
    ...(raw.migration !== undefined && {
      migration: {
        efsFileSystemId: raw.migration.efsFileSystemId,
        ...(raw.migration.efsAccessPointId !== undefined && { efsAccessPointId: raw.migration.efsAccessPointId }),
      },
    }),
    ...(raw.notifications !== undefined && {
      notifications: {
        emails: raw.notifications.emails ?? [],
        ...(raw.notifications.topicArn !== undefined && { topicArn: raw.notifications.topicArn }),
      },
    }),
    reconciler: {
      ...(raw.reconciler?.reservedConcurrency !== undefined && { reservedConcurrency: raw.reconciler.reservedConcurrency }),
    },
  };
}

/** Validate an already-parsed document (from YAML, JSON or code) and apply defaults. */
export function parseConfig(input: unknown): ConfigResult {
  if (input === null || input === undefined) {
    return { ok: false, errors: [error('(root)', 'the config is empty (received nothing) — add at least: name: ci')], warnings: [] };
  }
  if (typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, errors: [error('(root)', `the config is ${show(input)}, not a mapping of keys — start with name: ci`)], warnings: [] };
  }
  const parsed = configSchema.safeParse(input);
  const schemaErrors = parsed.success ? [] : schemaIssues(parsed.error.issues);
  const view = new View(input, schemaErrors.map((e) => e.path));
  const cross = crossFieldRules(view);
  const errors = [...schemaErrors, ...cross.filter((i) => i.severity === 'error')];
  const warnings = cross.filter((i) => i.severity === 'warning');
  if (!parsed.success || errors.length > 0) return { ok: false, errors, warnings };
  return { ok: true, config: resolve(parsed.data), warnings };
}

/** Parse YAML (JSON is valid YAML 1.2); a syntax error becomes an issue naming its line. */
export function parseConfigText(text: string, source = 'config'): ConfigResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const errors = doc.errors.map((e) => {
      const { line, col } = lineCounter.linePos(e.pos[0]);
      const first = e.message.split('\n')[0] ?? e.message;
      const lang = /\.json$/i.test(source) ? 'JSON' : 'YAML';
      // The path names the file, line and column once (`f.yaml:4:1: …`); the message does not repeat them.
      return error(`${source}:${line}:${col}`, `${lang} syntax error: ${first.replace(/\.$/, '')} — fix the ${lang} there`);
    });
    return { ok: false, errors, warnings: [] };
  }
  const value: unknown = doc.toJS();
  if (value !== null && value !== undefined && !isMap(doc.contents)) {
    return { ok: false, errors: [error('(root)', `the file holds ${show(value)}, not a mapping of keys — start with name: ci`)], warnings: [] };
  }
  return parseConfig(value);
}

/**
 * Read and validate a config file, YAML or JSON (whatever the extension). `shown` is how messages
 * name the file (e.g. relative to the working directory, as the user typed it).
 */
export function loadConfigFile(path: string, shown: string = path): ConfigResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? String(e)})`;
    return {
      ok: false,
      errors: [error(shown, `the config file ${why} — create it (see examples/minimal.yaml) or pass --config with the right path`)],
      warnings: [],
    };
  }
  // JSON is YAML 1.2, so one parser serves both and JSON syntax errors also name their line.
  return parseConfigText(text, shown);
}
