/** Child processes for the e2e script: cdk (streamed) and the AWS CLI (captured). */
import { spawn, spawnSync } from 'node:child_process';

/** True when `cmd args` can be started and exits 0 (e.g. `aws --version`). */
export function commandWorks(cmd: string, args: readonly string[] = ['--version']): boolean {
  const r = spawnSync(cmd, [...args], { stdio: 'ignore', timeout: 30_000 });
  return !r.error && r.status === 0;
}

/** True when `cmd` is on PATH (for tools without a `--version`, like BSD `script`). */
export function onPath(cmd: string): boolean {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore', timeout: 10_000 });
  return !r.error && r.status === 0;
}

/** Runs a command with its output streamed to ours, each line prefixed; resolves the exit code. */
export function runStreamed(cmd: string, args: readonly string[], prefix: string, env: Record<string, string | undefined> = process.env): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, [...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    const relay = (stream: NodeJS.ReadableStream, out: NodeJS.WriteStream) => {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buf += chunk;
        const lines = buf.split('\n');
        buf = lines.pop() ?? '';
        for (const l of lines) out.write(`${prefix}${l}\n`);
      });
      stream.on('end', () => {
        if (buf) out.write(`${prefix}${buf}\n`);
      });
    };
    relay(child.stdout, process.stdout);
    relay(child.stderr, process.stderr);
    child.on('error', (e) => {
      process.stderr.write(`${prefix}could not start ${cmd}: ${e.message}\n`);
      resolve(127);
    });
    child.on('close', (code) => resolve(code ?? 1));
  });
}

export interface Captured {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command and captures its output. stdin is closed (nothing may prompt) unless `stdin`
 * is 'inherit' (the session-manager plugin wants a terminal; see transport.ts).
 */
export function capture(cmd: string, args: readonly string[], timeoutMs = 120_000, stdin: 'ignore' | 'inherit' = 'ignore'): Promise<Captured> {
  return new Promise((resolve) => {
    const child = spawn(cmd, [...args], { stdio: [stdin, 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', (e) => resolve({ code: 127, stdout, stderr: `${stderr}${e.message}` }));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
