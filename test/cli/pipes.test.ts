/**
 * Output into a reader that closes early (`jenkins-ecs plan | head -1`) ends quietly: no
 * `write EPIPE`, no stack trace, and the exit code the command has with a reader that stays.
 * Real child processes with real pipes; the AWS commands run against moto with a seeded
 * deployment, so they have output to write.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS } from '../../src/cli/main.js';
import { ROOT, runCli, type Finished } from './support/spawn-cli.js';
import { motoClients, motoEnv, seedService, seedSnapshot, seedVolume, uniqueName } from './support/moto.js';

const name = uniqueName('pipes');
const production = join(ROOT, 'examples', 'production.yaml');

/** One invocation per command of the table (a new command without a row here fails the test). */
const INVOCATIONS: Record<string, readonly string[]> = {
  validate: ['validate', '--config', production],
  plan: ['plan', '--config', production, '--io-mibps', '50'],
  status: ['status', '--name', name],
  snapshots: ['snapshots', '--name', name],
  snapshot: ['snapshot', '--name', name],
  // No such snapshot in the lineage: refused before anything changes.
  restore: ['restore', 'snap-0123456789abcdef0', '--yes', '--name', name],
  // No --yes and no terminal: refused before anything changes.
  restart: ['restart', '--name', name],
  // No such file system in moto: refused before the task is started.
  migrate: ['migrate', '--from-efs', 'fs-0123456789abcdef0', '--name', name],
};

/** These succeed (exit 0) with the seeded deployment; so they must into a closed pipe too. */
const SUCCEEDS = new Set(['--help', '--version', 'validate', 'plan', 'status', 'snapshots']);

function assertQuiet(r: Finished, label: string): void {
  assert.equal(r.signal, null, `${label}: killed by ${r.signal}`);
  assert.doesNotMatch(r.stderr, /EPIPE|ERR_STREAM_DESTROYED/, `${label}: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /^\s+at /m, `${label}: a stack trace: ${r.stderr}`);
}

describe('a reader that closes early', () => {
  const env = motoEnv();
  delete env.JENKINS_ECS_CONFIG;
  // No jenkins-ecs.yaml there: --name selects the deployment.
  const cwd = mkdtempSync(join(tmpdir(), 'jenkins-ecs-pipes-'));

  before(async () => {
    const clients = motoClients();
    await seedService(clients, name);
    const volume = await seedVolume(clients);
    for (let i = 0; i < 3; i++) await seedSnapshot(clients, { lineage: name, kind: 'periodic', volumeId: volume });
  });

  test('every command has an invocation here', () => {
    assert.deepEqual(Object.keys(INVOCATIONS).sort(), COMMANDS.map((c) => c.name).sort());
  });

  for (const args of [['--help'], ['--version'], ...Object.values(INVOCATIONS)]) {
    const label = args.slice(0, 1).join(' ');
    test(`${label}: stdout closed before the first line or after the first byte: same exit code, no EPIPE`, async () => {
      const normal = await runCli(args, { env, cwd });
      assert.doesNotMatch(normal.stderr, /^\s+at /m, normal.stderr);
      if (SUCCEEDS.has(args[0]!)) assert.equal(normal.code, 0, normal.stderr);
      const [early, headOne] = await Promise.all([
        runCli(args, { env, cwd, closeStdout: { afterBytes: 0 } }),
        runCli(args, { env, cwd, closeStdout: { afterBytes: 1 } }),
      ]);
      assertQuiet(early, `${label} | (closed)`);
      assert.equal(early.code, normal.code, `${label}: ${early.stderr}`);
      // Everything it has to say on stderr still arrives.
      assert.equal(early.stderr, normal.stderr);
      assertQuiet(headOne, `${label} | head -1`);
      assert.equal(headOne.code, normal.code);
    });
  }

});
