/** Small builders for continuity unit tests. */
import type { Deployment, ServiceState, Snapshot, Volume } from '../../src/continuity/model.js';

export const L = 'ci';
export const T0 = Date.parse('2026-03-01T12:00:00Z');

export function at(minutes: number): Date {
  return new Date(T0 + minutes * 60_000);
}

export function snap(id: string, minutes: number, extra: Partial<Snapshot> = {}): Snapshot {
  return { id, state: 'completed', startTime: at(minutes), lineage: L, kind: 'periodic', ...extra };
}

export function vol(id: string, minutes: number, extra: Partial<Volume> = {}): Volume {
  return { id, state: 'in-use', createTime: at(minutes), ...extra };
}

export function dep(id: string, status: Deployment['status'], snapshotId: string | undefined, extra: Partial<Deployment> = {}): Deployment {
  return { id, status, createdAt: at(0), ...(snapshotId ? { snapshotId } : {}), rolloutState: 'COMPLETED', ...extra };
}

export function svc(deployments: Deployment[], extra: Partial<ServiceState> = {}): ServiceState {
  return { desiredCount: 1, runningCount: 1, deployments, ...extra };
}
