/**
 * Names shared between the CDK constructs (which set them) and the keeper / reconciler processes
 * (which read them). Changing one here changes both sides.
 */

/** Environment variables of the keeper container. */
export const KEEPER_ENV = {
  lineage: 'JENKINS_ECS_LINEAGE',
  cluster: 'JENKINS_ECS_CLUSTER',
  intervalMinutes: 'JENKINS_ECS_INTERVAL_MINUTES',
  homePath: 'JENKINS_ECS_HOME',
  runDir: 'JENKINS_ECS_RUN_DIR',
  jenkinsContainer: 'JENKINS_ECS_JENKINS_CONTAINER',
  /** DynamoDB table of the lineage record (`deploymentNames(name).recordTable`). */
  recordTable: 'JENKINS_ECS_RECORD_TABLE',
  /** S3 bucket for the handoff's delta archives (docs/design/handoff.md); absent: no handoff. */
  handoffBucket: 'JENKINS_ECS_HANDOFF_BUCKET',
  /** KMS key (id or ARN) the delta uploads name (SSE-KMS); absent: the handoff bucket's default encryption. */
  handoffKmsKeyId: 'JENKINS_ECS_HANDOFF_KMS_KEY_ID',
} as const;

/** Environment variables of the reconciler Lambda function. */
export const RECONCILER_ENV = {
  lineage: 'JENKINS_ECS_LINEAGE',
  cluster: 'JENKINS_ECS_CLUSTER',
  service: 'JENKINS_ECS_SERVICE',
  recordTable: 'JENKINS_ECS_RECORD_TABLE',
  keepLast: 'JENKINS_ECS_KEEP_LAST',
  keepDailyDays: 'JENKINS_ECS_KEEP_DAILY_DAYS',
  initializationRateMiBps: 'JENKINS_ECS_INITIALIZATION_RATE',
} as const;

/** CloudWatch embedded-metric-format metrics (namespace JenkinsEcs, dimension Lineage). */
export const METRICS = {
  namespace: 'JenkinsEcs',
  dimension: 'Lineage',
  headAgeSeconds: 'HeadAgeSeconds',
  rolls: 'Rolls',
  staleStarts: 'StaleStarts',
  snapshotsPruned: 'SnapshotsPruned',
  snapshotFailures: 'SnapshotFailures',
  snapshotsTaken: 'SnapshotsTaken',
  /** Logged by the keeper, once per task, when its gate decides STALE (StaleStarts comes from the reconciler). */
  staleGateDecisions: 'StaleGateDecisions',
} as const;

/** Marker files the keeper writes into the run dir for the gate. */
export const MARKERS = {
  authorized: 'authorized',
  stale: 'stale',
} as const;
