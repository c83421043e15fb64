/**
 * Config problems: construction, display and "did you mean" suggestions.
 * Every message names the value received, the allowed range or choices and the fix;
 * `formatIssue` puts the key path in front.
 */
import type { ConfigIssue } from './types.js';

/** Path segments as zod reports them: keys and array indices. */
export type PathSegment = string | number;

/** `['agents', 0, 'cpu']` → `agents[0].cpu`; the root is `(root)`. */
export function pathToString(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out === '' ? '(root)' : out;
}

export function error(path: string, message: string): ConfigIssue {
  return { path, message, severity: 'error' };
}

export function warning(path: string, message: string): ConfigIssue {
  return { path, message, severity: 'warning' };
}

/** A short, unambiguous rendering of a received value for messages. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

/** `controller.home.iops: 2000 is below …` (warnings carry a `warning: ` prefix). */
export function formatIssue(issue: ConfigIssue): string {
  const prefix = issue.severity === 'warning' ? 'warning: ' : '';
  return `${prefix}${issue.path}: ${issue.message}`;
}

export function formatIssues(issues: readonly ConfigIssue[]): string[] {
  return issues.map(formatIssue);
}

/**
 * Edit distance counting a swap of two neighbours as one edit (optimal string alignment),
 * case-insensitive: `iosp` is one edit from `iops`.
 */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[s.length]![t.length]!;
}

/** The closest candidate when it is close enough to be a plausible typo, else undefined. */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(input, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  // Up to a third of the word may differ (at least 1, at most 3 edits); further away is noise.
  const limit = Math.min(3, Math.max(1, Math.floor(input.length / 3)));
  return bestDistance <= limit ? best : undefined;
}
