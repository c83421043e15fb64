/**
 * Container health check of the keeper: the main loop refreshes a heartbeat file; the check
 * (`node keeper.js --health`) passes while the file is fresh. A hung event loop stops the
 * heartbeat, so the check fails and ECS replaces the task.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './host.js';

export const HEARTBEAT_FILE = 'keeper-heartbeat';
/** How often the keeper refreshes the heartbeat. */
export const HEARTBEAT_INTERVAL_MS = 10_000;
/** A heartbeat older than this fails the health check (three missed beats). */
export const HEARTBEAT_MAX_AGE_MS = 30_000;

export function heartbeatPath(runDir: string): string {
  return join(runDir, HEARTBEAT_FILE);
}

export async function writeHeartbeat(runDir: string, now: Date): Promise<void> {
  await mkdir(runDir, { recursive: true });
  await writeFileAtomic(heartbeatPath(runDir), now.toISOString());
}

export interface HealthResult {
  readonly healthy: boolean;
  readonly reason: string;
}

export async function checkHealth(runDir: string, now: Date, maxAgeMs = HEARTBEAT_MAX_AGE_MS): Promise<HealthResult> {
  try {
    const s = await stat(heartbeatPath(runDir));
    const age = now.getTime() - s.mtimeMs;
    return age <= maxAgeMs
      ? { healthy: true, reason: `heartbeat ${Math.round(age)} ms old` }
      : { healthy: false, reason: `heartbeat ${Math.round(age)} ms old (limit ${maxAgeMs} ms)` };
  } catch {
    return { healthy: false, reason: `no heartbeat at ${heartbeatPath(runDir)}` };
  }
}
