/**
 * `kms:EncryptionContext:<key>` conditions, evaluated by the harness itself.
 *
 * Why: @cloud-copilot/iam-simulate 0.1.173 (the newest release) recognizes a context key with a
 * variable part only after a `/` (`aws:RequestTag/<key>`); the SAR spells this KMS key with a `:`
 * (`kms:EncryptionContext:${EncryptionContextKey}`), so the simulator drops it from the request
 * and a statement conditioned on it never matches. This module settles those conditions before
 * the request reaches the simulator: a statement whose encryption-context conditions hold keeps
 * the rest of its conditions; one whose conditions fail is left out (an Allow that does not match
 * grants nothing, a Deny that does not match denies nothing). Only `StringEquals` is evaluated
 * (condition key case-insensitive, value case-sensitive, as the KMS developer guide states for
 * this key); any other operator on such a key throws, so nothing is guessed.
 */
import type { PolicyDocument, Statement } from './policies.js';
import type { Context } from './simulate.js';

const PREFIX = 'kms:encryptioncontext:';

/** Whether `key` is a `kms:EncryptionContext:<key>` condition key (not `kms:EncryptionContextKeys`). */
export function isEncryptionContextKey(key: string): boolean {
  return key.toLowerCase().startsWith(PREFIX) && key.length > PREFIX.length;
}

/** The request's encryption-context entries (keys lower-cased), and the rest of its context. */
export function splitContext(context: Context): { readonly encryption: ReadonlyMap<string, string | readonly string[]>; readonly rest: Context } {
  const encryption = new Map<string, string | readonly string[]>();
  const rest: Record<string, string | readonly string[]> = {};
  for (const [k, v] of Object.entries(context)) {
    if (isEncryptionContextKey(k)) encryption.set(k.toLowerCase(), v);
    else rest[k] = v;
  }
  return { encryption, rest };
}

/**
 * The statement with its encryption-context conditions settled against the request: without them
 * (they hold), or undefined (they fail).
 */
export function settleStatement(statement: Statement, encryption: ReadonlyMap<string, string | readonly string[]>): Statement | undefined {
  if (!statement.Condition) return statement;
  const kept: Record<string, Record<string, unknown>> = {};
  let touched = false;
  for (const [operator, block] of Object.entries(statement.Condition)) {
    const rest: Record<string, unknown> = {};
    for (const [key, want] of Object.entries(block)) {
      if (!isEncryptionContextKey(key)) {
        rest[key] = want;
        continue;
      }
      if (operator !== 'StringEquals') throw new Error(`${statement.Sid ?? 'a statement'}: ${operator} on ${key} is not evaluated by test/iam/encryption-context.ts; add it there`);
      touched = true;
      const have = encryption.get(key.toLowerCase());
      const wanted = Array.isArray(want) ? (want as unknown[]).map(String) : [String(want)];
      if (typeof have !== 'string' || !wanted.includes(have)) return undefined;
    }
    if (Object.keys(rest).length > 0) kept[operator] = rest;
  }
  if (!touched) return statement;
  const { Condition: _settled, ...bare } = statement;
  return Object.keys(kept).length > 0 ? { ...bare, Condition: kept } : bare;
}

/**
 * A policy with every statement settled; `origin` maps each settled statement (as JSON, the way
 * the simulator reports the statements that allowed a request) back to the one written.
 */
export function settlePolicy(document: PolicyDocument, encryption: ReadonlyMap<string, string | readonly string[]>, origin: Map<string, Statement>): PolicyDocument {
  const Statement: Statement[] = [];
  for (const s of document.Statement) {
    const settled = settleStatement(s, encryption);
    if (!settled) continue;
    origin.set(JSON.stringify(settled), s);
    Statement.push(settled);
  }
  return { ...document, Statement };
}
