// Start-up of the installed CLI (the bundled dist/bin/jenkins-ecs.js, as `npm link` or a tarball
// install runs it) against a bare `node -e 0`, measured in the same run, interleaved, so machine
// load hits all three alike. Goal: help and validate within 3× of node -e 0.
// - startup-node-ms: `node -e 0`;
// - startup-help-ms / -ratio: `jenkins-ecs --help` (loads the command table only);
// - startup-validate-ms / -ratio: `jenkins-ecs validate --config examples/production.yaml`
//   (YAML, zod schema, rules; no AWS SDK, no aws-cdk-lib).
// Bundles the CLI first (scripts/build-cli.mjs), so the figures are of the current source.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ms, ratio, timeProcess, type BenchResult } from './process.js';

const ROOT = join(__dirname, '..');
const RUNS = 21;

export async function run(): Promise<BenchResult[]> {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-cli.mjs')], { cwd: ROOT });
  const bin = join(ROOT, 'dist', 'bin', 'jenkins-ecs.js');
  const commands: Record<string, string[]> = {
    node: ['-e', '0'],
    help: [bin, '--help'],
    validate: [bin, 'validate', '--config', join(ROOT, 'examples', 'production.yaml')],
  };
  const samples: Record<string, number[]> = { node: [], help: [], validate: [] };
  // One warm-up round: the first spawn of each pays for the disk cache, not for the CLI.
  for (const args of Object.values(commands)) timeProcess(process.execPath, args, { cwd: ROOT });
  for (let i = 0; i < RUNS; i++) {
    for (const [name, args] of Object.entries(commands)) samples[name]!.push(timeProcess(process.execPath, args, { cwd: ROOT }));
  }
  return [
    ms('startup-node-ms', samples.node!),
    ms('startup-help-ms', samples.help!),
    ratio('startup-help-ratio', samples.help!, samples.node!),
    ms('startup-validate-ms', samples.validate!),
    ratio('startup-validate-ratio', samples.validate!, samples.node!),
  ];
}
