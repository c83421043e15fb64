/**
 * Markers: small files in JENKINS_HOME whose survival across restart, crash and restore is what
 * the e2e run checks. Written and read either through ECS Exec (a shell command) or through the
 * Jenkins script console (Groovy); both print the same framed lines, parsed here.
 */
import { randomBytes } from 'node:crypto';
import { JENKINS_HOME } from '../../src/config/names.js';

export interface Marker {
  /** `first`, `second`: names the file. */
  readonly label: string;
  /** What the file holds; unique per run, so a leftover from another run never matches. */
  readonly token: string;
  readonly file: string;
}

const LABEL_RE = /^[a-z0-9-]{1,40}$/;
export const MARKER_LINE = 'E2E-MARKER';
export const END_LINE = 'E2E-END';
export const WRITTEN_LINE = 'E2E-WRITTEN';

/** Labels and tokens are restricted to `[a-z0-9-]`, so the commands below need no quoting. */
export function newMarker(label: string, runName: string, random: (n: number) => Buffer = randomBytes): Marker {
  if (!LABEL_RE.test(label) || !LABEL_RE.test(runName)) throw new Error(`marker label/run name must match ${LABEL_RE}: ${label}, ${runName}`);
  return { label, token: `${runName}-${label}-${random(6).toString('hex')}`, file: `${JENKINS_HOME}/e2e-${label}.marker` };
}

/** Shell for ECS Exec (run as `sh -c '<this>'`): write, flush, confirm. */
export function writeShell(m: Marker): string {
  return `echo ${m.token} > ${m.file} && sync && echo ${WRITTEN_LINE}`;
}

/** Shell for ECS Exec: print every marker file's content framed, then the end line. */
export function readShell(): string {
  return `for f in ${JENKINS_HOME}/e2e-*.marker; do [ -f $f ] && echo ${MARKER_LINE} $(cat $f); done; echo ${END_LINE}`;
}

/** Groovy for the script console: same effect as writeShell. */
export function writeGroovy(m: Marker): string {
  return [
    `new File('${m.file}').text = '${m.token}\\n'`,
    `['sync'].execute().waitFor()`,
    `println '${WRITTEN_LINE}'`,
  ].join('\n');
}

/** Groovy for the script console: same output as readShell. */
export function readGroovy(): string {
  return [
    `(new File('${JENKINS_HOME}').listFiles() ?: []).findAll { it.name ==~ /e2e-.*\\.marker/ }.sort { it.name }.each {`,
    `  println '${MARKER_LINE} ' + it.text.trim()`,
    `}`,
    `println '${END_LINE}'`,
  ].join('\n');
}

export interface MarkerReading {
  /** The end line was seen: the read ran to completion, so a missing token is really absent. */
  readonly complete: boolean;
  readonly tokens: readonly string[];
}

/** Parses exec or script-console output; tolerates CRLF and session-manager chatter around it. */
export function parseMarkers(output: string): MarkerReading {
  const tokens: string[] = [];
  let complete = false;
  for (const raw of output.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === END_LINE) complete = true;
    else if (line.startsWith(`${MARKER_LINE} `)) tokens.push(line.slice(MARKER_LINE.length + 1).trim());
  }
  return { complete, tokens };
}

export function wasWritten(output: string): boolean {
  return output.split(/\r?\n/).some((l) => l.trim() === WRITTEN_LINE);
}

export interface MarkerVerdict {
  readonly ok: boolean;
  readonly detail: string;
}

/**
 * Checks a reading: every `present` marker found with its exact token, every `absent` one not
 * found. An incomplete reading proves nothing, so it fails rather than counting as "absent".
 */
export function checkMarkers(output: string, expect: { present: readonly Marker[]; absent?: readonly Marker[] }): MarkerVerdict {
  const reading = parseMarkers(output);
  if (!reading.complete) {
    return { ok: false, detail: `inconclusive: the read did not finish (no ${END_LINE} line in ${JSON.stringify(output.slice(0, 200))})` };
  }
  const problems: string[] = [];
  for (const m of expect.present) if (!reading.tokens.includes(m.token)) problems.push(`${m.label} missing`);
  for (const m of expect.absent ?? []) if (reading.tokens.includes(m.token)) problems.push(`${m.label} present but should be gone`);
  const seen = `found [${reading.tokens.join(', ')}]`;
  if (problems.length > 0) return { ok: false, detail: `${problems.join('; ')}; ${seen}` };
  const want = [
    ...expect.present.map((m) => `${m.label} present`),
    ...(expect.absent ?? []).map((m) => `${m.label} absent`),
  ];
  return { ok: true, detail: `${want.join(', ')}` };
}
