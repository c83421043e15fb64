/**
 * The resolved jenkins-ecs configuration: what `loadConfig` returns after validation and defaults.
 * Key paths are fixed (README.md, "Configuration reference"); tests and docs refer to them by these names.
 * Pure types only: nothing here imports aws-cdk-lib or the AWS SDK.
 */

export type VolumeType = 'gp3' | 'io2' | 'io1' | 'gp2';
export type FileSystem = 'xfs' | 'ext4';
export type AgentCapacity = 'spot' | 'on-demand';

export interface VpcConfig {
  /** Import this VPC instead of creating one. @example vpc-0123456789abcdef0 */
  readonly id: string;
}

export interface NewVpcConfig {
  /**
   * Availability zone names for the new VPC's subnets (config key `vpc.availabilityZones`), so a
   * zone where Fargate does not run (use1-az3) can be left out. @example ["us-east-1a", "us-east-1b"]
   */
  readonly availabilityZones: readonly string[];
}

export interface AccessConfig {
  /** Internal (VPC-only) load balancer. @default false */
  readonly internal: boolean;
  /** CIDR ranges allowed to reach the load balancer. @default ["0.0.0.0/0"] */
  readonly allowedCidrs: readonly string[];
  /** Public DNS name of Jenkins. @default - the ALB's DNS name */
  readonly domainName?: string;
  /** Route 53 zone for `domainName`: alias record + DNS-validated certificate. @default - no DNS records */
  readonly hostedZoneId?: string;
  /** ACM certificate for the HTTPS listener. @default - DNS-validated certificate when hostedZoneId is set, else HTTP only */
  readonly certificateArn?: string;
}

export interface HomeConfig {
  /** @default 50 */
  readonly sizeGiB: number;
  /** @default gp3 */
  readonly volumeType: VolumeType;
  /** @default 3000 for gp3, required for io1/io2, absent for gp2 */
  readonly iops?: number;
  /** gp3 only. @default 125 */
  readonly throughputMiBps?: number;
  /** @default xfs */
  readonly fileSystem: FileSystem;
  /** Customer-managed KMS key. @default - the AWS-managed EBS key */
  readonly kmsKeyArn?: string;
  /** Start the lineage from this snapshot. @default - empty volume on first start */
  readonly seedSnapshotId?: string;
  /** MiB/s, 100..300, for every volume created from a snapshot. @default - none (lazy loading) */
  readonly initializationRateMiBps?: number;
}

export interface SnapshotsConfig {
  /** 5..1440. @default 15 */
  readonly intervalMinutes: number;
  /** @default 12 */
  readonly keepLast: number;
  /** @default 14 */
  readonly keepDailyDays: number;
}

export interface ControllerConfig {
  /** Jenkins LTS version, X.Y.Z. @default 2.516.3 */
  readonly jenkinsVersion: string;
  /** Fargate CPU units. @default 2048 */
  readonly cpu: number;
  /** @default 4096 */
  readonly memoryMiB: number;
  readonly home: HomeConfig;
  readonly snapshots: SnapshotsConfig;
}

/** Where `jenkins-ecs migrate --from-efs` copies the old home from; the stack adds the migration task for it. */
export interface MigrationConfig {
  /** @example fs-0123456789abcdef0 */
  readonly efsFileSystemId: string;
  /** Mount through this access point (its POSIX user and root directory apply). @default - the file system root, as root */
  readonly efsAccessPointId?: string;
}

export interface AgentConfig {
  /** Jenkins label; unique across agents. */
  readonly label: string;
  /** @default 1024 */
  readonly cpu: number;
  /** @default 2048 */
  readonly memoryMiB: number;
  /** @default jenkins/inbound-agent:3345.v03dee9b_f88fc-1-jdk21 (pinned; see defaults.ts) */
  readonly image: string;
  /** @default spot */
  readonly capacity: AgentCapacity;
  /** @default 10 */
  readonly maxAgents: number;
}

export interface NotificationsConfig {
  /** Addresses subscribed (protocol `email`) to the alarm topic the stack creates; each must confirm. @default - none */
  readonly emails: readonly string[];
  /** An existing SNS topic that also receives every alarm and OK notification. @default - none */
  readonly topicArn?: string;
}

export interface ReconcilerConfig {
  /**
   * Reserved concurrent executions of the reconciler Lambda function. The reconciler is correct
   * under concurrent runs (conditional writes on the lineage record), so this only caps cost.
   * Reserving fails in accounts whose concurrency quota is 10. @default - none (unreserved)
   */
  readonly reservedConcurrency?: number;
}

export interface JenkinsEcsConfig {
  /** ^[a-z][a-z0-9-]{1,30}$: stack name and lineage id. */
  readonly name: string;
  /** @default - from the environment */
  readonly region?: string;
  /** @default - a new VPC with 2 AZs and 1 NAT gateway */
  readonly vpc?: VpcConfig;
  /** Settings of the new VPC when `vpc` is not imported. @default - the first two AZs of the region */
  readonly newVpc?: NewVpcConfig;
  readonly access: AccessConfig;
  readonly controller: ControllerConfig;
  /** @default - one `linux` template on Fargate Spot */
  readonly agents: readonly AgentConfig[];
  /** @default - no migration task in the stack */
  readonly migration?: MigrationConfig;
  /** Where alarms are sent. @default - no notifications (the alarms still exist) */
  readonly notifications?: NotificationsConfig;
  readonly reconciler: ReconcilerConfig;
}

/** One problem found in a config file. */
export interface ConfigIssue {
  /** Key path, e.g. `controller.home.iops` or `agents[0].cpu`. */
  readonly path: string;
  readonly message: string;
  readonly severity: 'error' | 'warning';
}
