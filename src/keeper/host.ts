/** `KeeperHost` for the keeper container: `sync -f`, the gate's marker files, Jenkins' state. */
import { execFile } from 'node:child_process';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeeperHost, MarkerKind } from '../continuity/ports.js';
import { MARKERS } from '../continuity/settings.js';
import type { TaskMetadataClient } from './metadata.js';

export interface ContainerHostOptions {
  /** Task-local directory shared with the Jenkins container's gate. */
  readonly runDir: string;
  readonly metadata: TaskMetadataClient;
  readonly jenkinsContainer: string;
  /** @default 30000 */
  readonly syncTimeoutMs?: number;
}

/** Runs `sync -f <path>` (coreutils): flushes the whole file system holding `path`, not just one file. */
export function syncFileSystem(path: string, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('sync', ['-f', path], { timeout: timeoutMs }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`sync -f ${path} failed: ${stderr.trim() || err.message}`));
      else resolve();
    });
  });
}

/** Writes a file so that readers see either nothing or the whole body (the gate polls for it). */
export async function writeFileAtomic(path: string, body: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, body.endsWith('\n') ? body : `${body}\n`, { mode: 0o644 });
  await rename(tmp, path);
}

export class ContainerHost implements KeeperHost {
  public constructor(private readonly options: ContainerHostOptions) {}

  public markerPath(kind: MarkerKind): string {
    return join(this.options.runDir, MARKERS[kind]);
  }

  public async sync(path: string): Promise<void> {
    await syncFileSystem(path, this.options.syncTimeoutMs);
  }

  public async writeMarker(kind: MarkerKind, body: string): Promise<void> {
    await mkdir(this.options.runDir, { recursive: true });
    await writeFileAtomic(this.markerPath(kind), body);
  }

  public async clearMarker(kind: MarkerKind): Promise<void> {
    await rm(this.markerPath(kind), { force: true });
  }

  public async jenkinsStopped(): Promise<boolean> {
    return this.options.metadata.containerStopped(this.options.jenkinsContainer);
  }
}
