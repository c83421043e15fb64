/**
 * The `LaunchSnapshot` custom resource's properties: names shared by the construct (which sets
 * them) and the handler (which reads them). CloudFormation hands every property value over as a
 * string (numbers too), so the parser converts and checks.
 */

/** Property keys of the custom resource. */
export const LAUNCH_PROPERTIES = {
  lineage: 'Lineage',
  tableName: 'RecordTable',
  cluster: 'Cluster',
  service: 'Service',
  seedSnapshotId: 'SeedSnapshotId',
  initializationRateMiBps: 'InitializationRateMiBps',
  managedEbsVolume: 'ManagedEBSVolume',
  /** Not read: it is there so the resource updates exactly when the task definition does. */
  taskDefinition: 'TaskDefinition',
} as const;

export interface LaunchProperties {
  readonly lineage: string;
  readonly tableName: string;
  readonly cluster: string;
  readonly service: string;
  readonly seedSnapshotId?: string;
  readonly initializationRateMiBps?: number;
  readonly managedEbsVolume: Readonly<Record<string, unknown>>;
}

export function parseLaunchProperties(p: Readonly<Record<string, unknown>>): LaunchProperties {
  const problems: string[] = [];
  const str = (key: string): string => {
    const v = p[key];
    if (typeof v !== 'string' || v === '') problems.push(`${key} is ${JSON.stringify(v)}; expected a non-empty string`);
    return typeof v === 'string' ? v : '';
  };
  const lineage = str(LAUNCH_PROPERTIES.lineage);
  const tableName = str(LAUNCH_PROPERTIES.tableName);
  const cluster = str(LAUNCH_PROPERTIES.cluster);
  const service = str(LAUNCH_PROPERTIES.service);
  const seed = p[LAUNCH_PROPERTIES.seedSnapshotId];
  const rateRaw = p[LAUNCH_PROPERTIES.initializationRateMiBps];
  const rate = rateRaw === undefined ? undefined : Number(rateRaw);
  if (rate !== undefined && !Number.isInteger(rate)) problems.push(`${LAUNCH_PROPERTIES.initializationRateMiBps} is ${JSON.stringify(rateRaw)}; expected a whole number`);
  const volume = p[LAUNCH_PROPERTIES.managedEbsVolume];
  if (typeof volume !== 'object' || volume === null || Array.isArray(volume)) {
    problems.push(`${LAUNCH_PROPERTIES.managedEbsVolume} is ${JSON.stringify(volume)}; expected the service's static ManagedEBSVolume settings`);
  }
  if (problems.length > 0) throw new TypeError(`LaunchSnapshot properties: ${problems.join('; ')}`);
  return {
    lineage,
    tableName,
    cluster,
    service,
    ...(typeof seed === 'string' && seed !== '' ? { seedSnapshotId: seed } : {}),
    ...(rate !== undefined ? { initializationRateMiBps: rate } : {}),
    managedEbsVolume: volume as Record<string, unknown>,
  };
}
