/**
 * How the e2e script reaches JENKINS_HOME: ECS Exec into the Jenkins container (needs the AWS
 * CLI, the session-manager plugin and a deployment synthesized with `-c exec=true`), or the
 * Jenkins script console over the ALB with the admin secret (read with the AWS CLI, since the
 * Secrets Manager SDK client is not a dependency of this project).
 */
import { capture } from './proc.js';
import { readGroovy, readShell, writeGroovy, writeShell, type Marker } from './marker.js';

export interface MarkerTransport {
  readonly kind: 'ecs-exec' | 'script-console';
  /** Runs the write (with a marker) or the read (without) in the task; resolves its output. */
  run(taskArn: string, write?: Marker): Promise<string>;
}

/** POSIX shell single-quoting. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export interface Invocation {
  readonly cmd: string;
  readonly args: readonly string[];
  readonly stdin: 'ignore' | 'inherit';
}

/**
 * How to start `aws ecs execute-command` so that it works: the session-manager plugin fails
 * ("Cannot perform start session: EOF") without a terminal on stdin. From a terminal, lend it
 * ours; otherwise give it a pseudo-terminal with `script` (util-linux and BSD spell it apart).
 */
export function execInvocation(awsArgs: readonly string[], stdinIsTty: boolean, platform: NodeJS.Platform): Invocation {
  if (stdinIsTty) return { cmd: 'aws', args: awsArgs, stdin: 'inherit' };
  if (platform === 'darwin' || platform === 'freebsd' || platform === 'openbsd') {
    return { cmd: 'script', args: ['-q', '/dev/null', 'aws', ...awsArgs], stdin: 'ignore' };
  }
  return { cmd: 'script', args: ['-qec', ['aws', ...awsArgs].map(shellQuote).join(' '), '/dev/null'], stdin: 'ignore' };
}

export class ExecTransport implements MarkerTransport {
  readonly kind = 'ecs-exec';

  constructor(
    private readonly region: string,
    private readonly cluster: string,
    private readonly container: string,
  ) {}

  async run(taskArn: string, write?: Marker): Promise<string> {
    const shell = write ? writeShell(write) : readShell();
    const inv = execInvocation([
      'ecs',
      'execute-command',
      '--region',
      this.region,
      '--cluster',
      this.cluster,
      '--task',
      taskArn,
      '--container',
      this.container,
      '--interactive',
      '--command',
      `sh -c '${shell}'`,
    ], Boolean(process.stdin.isTTY), process.platform);
    // The plugin does not pass the command's exit code on; the framed output is the verdict.
    const r = await capture(inv.cmd, inv.args, 120_000, inv.stdin);
    if (r.code !== 0) throw new Error(`aws ecs execute-command exited ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ')}`);
    return r.stdout;
  }
}

export interface AdminCredentials {
  readonly username: string;
  readonly password: string;
}

/** The secret's JSON `{ "username", "password" }` (see jenkins-on-fargate.ts). */
export function parseAdminSecret(text: string): AdminCredentials {
  const o = JSON.parse(text) as { username?: unknown; password?: unknown };
  if (typeof o.username !== 'string' || typeof o.password !== 'string') throw new Error('admin secret lacks username/password');
  return { username: o.username, password: o.password };
}

export async function readAdminSecret(region: string, secretArn: string): Promise<AdminCredentials> {
  const r = await capture('aws', ['secretsmanager', 'get-secret-value', '--region', region, '--secret-id', secretArn, '--query', 'SecretString', '--output', 'text']);
  if (r.code !== 0) throw new Error(`aws secretsmanager get-secret-value exited ${r.code}: ${r.stderr.trim().split('\n')[0] ?? ''}`);
  return parseAdminSecret(r.stdout.trim());
}

type Fetch = typeof fetch;

export class ScriptConsoleTransport implements MarkerTransport {
  readonly kind = 'script-console';

  constructor(
    private readonly url: string,
    private readonly credentials: AdminCredentials,
    private readonly fetchFn: Fetch = fetch,
  ) {}

  async run(_taskArn: string, write?: Marker): Promise<string> {
    const base = this.url.replace(/\/+$/, '');
    const auth = `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`;
    const headers: Record<string, string> = { Authorization: auth };
    // Password (not API token) logins need a crumb, and the crumb is bound to the session cookie.
    const crumbRes = await this.fetchFn(`${base}/crumbIssuer/api/json`, { headers });
    if (crumbRes.ok) {
      const crumb = (await crumbRes.json()) as { crumb?: string; crumbRequestField?: string };
      if (crumb.crumb && crumb.crumbRequestField) headers[crumb.crumbRequestField] = crumb.crumb;
      const cookies = crumbRes.headers.getSetCookie().map((c) => c.split(';')[0]);
      if (cookies.length > 0) headers.Cookie = cookies.join('; ');
    }
    const res = await this.fetchFn(`${base}/scriptText`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ script: write ? writeGroovy(write) : readGroovy() }).toString(),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`script console answered HTTP ${res.status}: ${text.slice(0, 200)}`);
    return text;
  }
}

/** Jenkins answers at all (login page; 403 counts): the ALB sees a healthy target. */
export async function jenkinsAnswers(url: string, fetchFn: Fetch = fetch): Promise<{ up: boolean; detail: string }> {
  try {
    const res = await fetchFn(`${url.replace(/\/+$/, '')}/login`, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
    return { up: res.status < 500, detail: `GET /login: HTTP ${res.status}` };
  } catch (e) {
    return { up: false, detail: `GET /login: ${e instanceof Error ? e.message : String(e)}` };
  }
}
