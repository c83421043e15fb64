/**
 * Jenkins version ordering, as `hudson.util.VersionNumber` (jenkinsci/lib-version-number) orders
 * plugin and core versions: what the update center, jenkins-plugin-cli and the plugin manager use
 * to decide that a dependency is satisfied. Plain semver or string ordering gets the Jenkins forms
 * wrong: `2100.vb_fd699d2a_09c` (continuous delivery), `1497.1498.v…` (a backport, newer than
 * `1497.v…`), `4.5.14-208.v438351942757` (a wrapped library), `2.541.1` (LTS) and `1.49`.
 *
 * The model: a version is a list of items split at `.`; `-` between digits opens a nested list;
 * a change between digits and letters splits an item. Integers beat qualifiers and nested lists;
 * qualifiers order snapshot < alpha < beta < milestone < rc < (release) < sp < any other word;
 * missing trailing zeros do not count (`2.0` = `2.0.0`). Wildcards and Maven timestamped
 * snapshots, which no released plugin carries, are refused rather than guessed.
 */

type Item = { kind: 'int'; value: bigint } | { kind: 'str'; value: string } | { kind: 'list'; items: Item[] };

const QUALIFIERS = ['snapshot', 'alpha', 'beta', 'milestone', 'rc', '', 'sp'] as const;
const ALIASES: Readonly<Record<string, string>> = { ga: '', final: '', cr: 'rc', ea: 'rc' };
const RELEASE = QUALIFIERS.indexOf('');

export class VersionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VersionError';
  }
}

function str(raw: string, followedByDigit: boolean): Item {
  let value = raw;
  if (followedByDigit && value.length === 1) value = ({ a: 'alpha', b: 'beta', m: 'milestone' } as Record<string, string>)[value] ?? value;
  return { kind: 'str', value: ALIASES[value] ?? value };
}

const int = (digits: string): Item => ({ kind: 'int', value: BigInt(digits) });

function isNull(item: Item): boolean {
  if (item.kind === 'int') return item.value === 0n;
  if (item.kind === 'str') return qualifierRank(item.value) === String(RELEASE);
  return item.items.length === 0;
}

/** Drops trailing null items (0, release qualifier, empty list): `1.0` = `1`. */
function normalize(list: Item[]): void {
  while (list.length > 0 && isNull(list[list.length - 1] as Item)) list.pop();
}

function parse(version: string): Item[] {
  if (version.trim() === '' || /[*\s]/.test(version)) {
    throw new VersionError(`${JSON.stringify(version)} is not a Jenkins release version (empty, wildcard or whitespace)`);
  }
  const text = version.toLowerCase();
  const root: Item[] = [];
  const lists: Item[][] = [root];
  let list = root;
  let digit = false;
  let start = 0;
  const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
  const push = (item: Item): void => {
    list.push(item);
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '.' || c === '-') {
      push(i === start ? int('0') : digit ? int(text.slice(start, i)) : str(text.slice(start, i), false));
      start = i + 1;
      if (c === '-' && digit) {
        normalize(list);
        // Only digits on both sides of '-' make a nested list: it tells 1-1 from 1.1.
        if (isDigit(text[i + 1])) {
          const nested: Item[] = [];
          list.push({ kind: 'list', items: nested });
          list = nested;
          lists.push(nested);
        }
      }
    } else if (isDigit(c)) {
      if (!digit && i > start) {
        push(str(text.slice(start, i), true));
        start = i;
      }
      digit = true;
    } else {
      if (digit && i > start) {
        push(int(text.slice(start, i)));
        start = i;
      }
      digit = false;
    }
  }
  if (text.length > start) push(digit ? int(text.slice(start)) : str(text.slice(start), false));
  for (const l of lists.reverse()) normalize(l);
  return root;
}

function qualifierRank(q: string): string {
  const i = (QUALIFIERS as readonly string[]).indexOf(q);
  return i === -1 ? `${QUALIFIERS.length}-${q}` : String(i);
}

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);
const cmpStr = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** `a` compared with `b`, where `b` may be absent (the shorter version ran out). */
function compareItem(a: Item, b: Item | undefined): number {
  if (a.kind === 'int') {
    if (b === undefined) return a.value === 0n ? 0 : 1;
    if (b.kind === 'int') return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
    return 1; // 1.1 > 1.rc and 1.1 > 1-1
  }
  if (a.kind === 'str') {
    if (b === undefined) return sign(cmpStr(qualifierRank(a.value), String(RELEASE))); // 1-rc < 1 < 1-sp
    if (b.kind === 'str') return sign(cmpStr(qualifierRank(a.value), qualifierRank(b.value)));
    return -1; // a word is older than a number or a nested list
  }
  if (b === undefined) return a.items.length === 0 ? 0 : compareItem(a.items[0] as Item, undefined);
  if (b.kind === 'int') return -1;
  if (b.kind === 'str') return 1;
  return compareLists(a.items, b.items);
}

function compareLists(a: readonly Item[], b: readonly Item[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const l = a[i];
    const r = b[i];
    const result = l === undefined ? (r === undefined ? 0 : -compareItem(r, undefined)) : compareItem(l, r);
    if (result !== 0) return result;
  }
  return 0;
}

/** Negative when `a` is older than `b`, 0 when Jenkins treats them as equal, positive when newer. */
export function compareVersions(a: string, b: string): number {
  return compareLists(parse(a), parse(b));
}

/** Whether `installed` satisfies a dependency on at least `minimum`. */
export function satisfies(installed: string, minimum: string): boolean {
  return compareVersions(installed, minimum) >= 0;
}

/** The newest of the versions (undefined for none). */
export function newest(versions: readonly string[]): string | undefined {
  return versions.reduce<string | undefined>((best, v) => (best === undefined || compareVersions(v, best) > 0 ? v : best), undefined);
}

/** Whether the text parses as a Jenkins release version. */
export function isVersion(text: string): boolean {
  try {
    parse(text);
    return true;
  } catch (e) {
    if (e instanceof VersionError) return false;
    throw e;
  }
}
