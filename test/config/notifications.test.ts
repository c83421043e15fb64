// Config keys of issue 10: `notifications` (where alarms go) and `reconciler.reservedConcurrency`
// (off by default: reserving fails in accounts whose Lambda concurrency quota is 10).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIssue, parseConfig } from '../../src/config/index.js';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:ops-alerts';

function refused(input: unknown, path: string): string {
  const r = parseConfig(input);
  assert.equal(r.ok, false, 'expected the config to be refused');
  const hit = r.ok ? undefined : r.errors.find((e) => e.path === path);
  assert.ok(hit, `no error at ${path}: ${JSON.stringify(r.ok ? [] : r.errors)}`);
  return formatIssue(hit);
}

describe('notifications', () => {
  test('e-mail addresses and an existing topic are accepted together and kept', () => {
    const r = parseConfig({ name: 'ci', notifications: { emails: ['ops@example.com', 'oncall@example.org'], topicArn: TOPIC } });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    assert.deepEqual(r.config.notifications, { emails: ['ops@example.com', 'oncall@example.org'], topicArn: TOPIC });
  });

  test('a topic alone means no e-mail subscriptions', () => {
    const r = parseConfig({ name: 'ci', notifications: { topicArn: TOPIC } });
    assert.ok(r.ok);
    assert.deepEqual(r.config.notifications, { emails: [], topicArn: TOPIC });
  });

  test('without the key there are no notifications', () => {
    const r = parseConfig({ name: 'ci' });
    assert.ok(r.ok);
    assert.equal(r.config.notifications, undefined);
  });

  test('every bad entry is reported at once, with its path, value and fix', () => {
    const r = parseConfig({ name: 'ci', notifications: { emails: ['ops@example.com', 'not-an-address'], topicArn: 'arn:aws:sqs:us-east-1:123456789012:q' } });
    assert.equal(r.ok, false);
    const lines = r.ok ? [] : r.errors.map(formatIssue);
    assert.ok(lines.some((l) => l.startsWith('notifications.emails[1]: ') && l.includes('"not-an-address"') && l.includes('ops@example.com')), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('notifications.topicArn: ') && l.includes('arn:aws:sqs') && l.includes('aws sns list-topics')), lines.join('\n'));
  });

  test('an empty e-mail list is refused: it would subscribe nobody', () => {
    assert.match(refused({ name: 'ci', notifications: { emails: [] } }, 'notifications.emails'), /subscribes nobody/);
  });

  test('a FIFO topic or an alias-like ARN without an account is refused', () => {
    assert.match(refused({ name: 'ci', notifications: { topicArn: `${TOPIC}.fifo` } }, 'notifications.topicArn'), /standard SNS topic ARN/);
    assert.match(refused({ name: 'ci', notifications: { topicArn: 'arn:aws:sns:us-east-1::ops' } }, 'notifications.topicArn'), /standard SNS topic ARN/);
  });

  test('an unknown key under notifications is an error with a suggestion', () => {
    assert.match(refused({ name: 'ci', notifications: { email: ['ops@example.com'] } }, 'notifications.email'), /emails/);
  });
});

describe('reconciler.reservedConcurrency', () => {
  test('is unset by default', () => {
    const r = parseConfig({ name: 'ci' });
    assert.ok(r.ok);
    assert.deepEqual(r.config.reconciler, {});
  });

  test('1 is accepted when an account has spare concurrency', () => {
    const r = parseConfig({ name: 'ci', reconciler: { reservedConcurrency: 1 } });
    assert.ok(r.ok);
    assert.equal(r.config.reconciler.reservedConcurrency, 1);
  });

  test('0 and fractions are refused with the range', () => {
    assert.match(refused({ name: 'ci', reconciler: { reservedConcurrency: 0 } }, 'reconciler.reservedConcurrency'), /1\.\.1000/);
    assert.match(refused({ name: 'ci', reconciler: { reservedConcurrency: 1.5 } }, 'reconciler.reservedConcurrency'), /whole number/);
  });
});
