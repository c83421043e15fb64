import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { displayPath, positive } from '../../src/cli/args.js';
import { CliError, EXIT } from '../../src/cli/errors.js';

describe('shared argument helpers', () => {
  test('positive: the fallback when absent, the number when positive, a usage error otherwise', () => {
    assert.equal(positive(undefined, '--poll-seconds', 5), 5);
    assert.equal(positive('2.5', '--poll-seconds', 5), 2.5);
    for (const bad of ['0', '-1', 'x', 'Infinity']) {
      assert.throws(
        () => positive(bad, '--poll-seconds', 5),
        (e: unknown) => e instanceof CliError && e.exitCode === EXIT.usage && e.message === `invalid --poll-seconds '${bad}': expected a positive number`,
      );
    }
    assert.throws(() => positive('0', '--timeout-minutes', 10, 'restore'), /^CliError: restore: invalid --timeout-minutes '0': expected a positive number$/);
  });

  test('displayPath: relative below cwd, as given elsewhere', () => {
    assert.equal(displayPath('/work/p/jenkins-ecs.yaml', '/work/p'), 'jenkins-ecs.yaml');
    assert.equal(displayPath('/work/p/examples/a.yaml', '/work/p'), 'examples/a.yaml');
    assert.equal(displayPath('/etc/a.yaml', '/work/p'), '/etc/a.yaml');
    assert.equal(displayPath('/work/p', '/work/p'), '/work/p');
  });
});
