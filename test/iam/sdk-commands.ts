/**
 * The AWS SDK v3 commands the code under src/ sends: `new XxxCommand(` and `paginateXxx(` of
 * names imported from `@aws-sdk/client-*` (and the DynamoDB document client), as IAM actions.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface SdkCommandUse {
  /** `service:Command`, e.g. `ec2:CreateSnapshot` (the IAM action of the call). */
  readonly call: string;
  readonly file: string;
}

/** npm package → IAM service prefix, where the two differ. */
const PREFIX: Record<string, string> = {
  'client-cloudwatch-logs': 'logs',
  'client-cloudwatch': 'cloudwatch',
  'client-eventbridge': 'events',
  'client-secrets-manager': 'secretsmanager',
  'lib-dynamodb': 'dynamodb',
};

/** The document client's commands and the DynamoDB actions they call. */
const DOCUMENT_CLIENT: Record<string, string> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  Query: 'Query',
  Scan: 'Scan',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactGet: 'TransactGetItems',
  TransactWrite: 'TransactWriteItems',
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const full = join(dir, e);
    if (statSync(full).isDirectory()) return files(full);
    return /\.(ts|mts|cts|js|mjs)$/.test(e) ? [full] : [];
  });
}

/** Commands sent by one source text (`file` is only used in the result). */
export function sdkCommandsIn(text: string, file: string): SdkCommandUse[] {
  const out: SdkCommandUse[] = [];
  const imports = /import\s+(?:type\s+)?(\{[^}]*\}|\*\s+as\s+\w+)\s+from\s+['"]@aws-sdk\/((?:client|lib)-[a-z0-9-]+)['"]/g;
  for (const m of text.matchAll(imports)) {
    const [, what, pkg] = m as unknown as [string, string, string];
    const service = PREFIX[pkg] ?? pkg.replace(/^client-/, '');
    const namespace = /\*\s+as\s+(\w+)/.exec(what)?.[1];
    const names = namespace
      ? [...text.matchAll(new RegExp(`\\b${namespace}\\.(\\w+Command|paginate\\w+)\\b`, 'g'))].map((x) => [`${namespace}.${x[1]}`, x[1] as string])
      : what
          .slice(1, -1)
          .split(',')
          .map((s) => s.trim())
          // `type X` entries are types, never sent.
          .filter((s) => s && !/^type\s/.test(s))
          .map((s) => {
            const [orig, local] = s.split(/\s+as\s+/);
            return [local ?? orig, orig] as [string, string];
          });
    for (const [local, orig] of names as [string, string][]) {
      const command = /^(\w+)Command$/.exec(orig)?.[1] ?? /^paginate(\w+)$/.exec(orig)?.[1];
      if (!command) continue;
      const used = orig.endsWith('Command') ? new RegExp(`new\\s+${local.replace('.', '\\.')}\\s*\\(`) : new RegExp(`\\b${local.replace('.', '\\.')}\\s*\\(`);
      if (!used.test(text)) continue;
      const action = pkg === 'lib-dynamodb' ? (DOCUMENT_CLIENT[command] ?? command) : command;
      out.push({ call: `${service}:${action}`, file });
    }
  }
  return out;
}

/** Every SDK command sent anywhere under `srcDir`, with the file that sends it. */
export function sdkCommandsUnder(srcDir: string, root: string): SdkCommandUse[] {
  return files(srcDir).flatMap((f) => sdkCommandsIn(readFileSync(f, 'utf8'), relative(root, f)));
}
