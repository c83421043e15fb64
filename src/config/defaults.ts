/** Defaults applied after validation. The README's configuration reference lists each with its reason. */
import { PLUGIN_LOCK } from './plugin-lock.js';
import type { AgentConfig, VolumeType } from './types.js';

export const DEFAULTS = {
  /** The core plugins.lock.json was checked on (a jenkins/jenkins <version>-lts-jdk21 tag). */
  jenkinsVersion: PLUGIN_LOCK.jenkins.version,
  controllerCpu: 2048,
  sizeGiB: 50,
  volumeType: 'gp3' as VolumeType,
  gp3Iops: 3000,
  gp3ThroughputMiBps: 125,
  fileSystem: 'xfs' as const,
  intervalMinutes: 15,
  keepLast: 12,
  keepDailyDays: 14,
  allowedCidrs: ['0.0.0.0/0'] as readonly string[],
  agentCpu: 1024,
  agentCapacity: 'spot' as const,
  agentMaxAgents: 10,
};

/**
 * Default agent image, pinned. A moving tag such as `latest-jdk21` swaps the agent's remoting
 * and JDK under running pipelines whenever Docker Hub moves it, so two builds of the same commit
 * can run on different agents; `validate` warns about moving tags, and the default must not
 * trip our own warning. Bump it deliberately together with `jenkinsVersion`.
 */
export const DEFAULT_AGENT_IMAGE = 'jenkins/inbound-agent:3345.v03dee9b_f88fc-1-jdk21';

/** What `agents` means when the key is absent. `agents: []` means no agents at all. */
export const DEFAULT_AGENTS: readonly AgentConfig[] = [
  {
    label: 'linux',
    cpu: DEFAULTS.agentCpu,
    memoryMiB: 2048,
    image: DEFAULT_AGENT_IMAGE,
    capacity: DEFAULTS.agentCapacity,
    maxAgents: DEFAULTS.agentMaxAgents,
  },
];

/** Per-type EBS limits (ECS-managed volumes; see docs/aws-notes.md and the README's configuration reference). */
export const VOLUME_LIMITS: Readonly<
  Record<VolumeType, { size: [number, number]; iops?: [number, number]; iopsPerGiB?: number; throughput?: [number, number] }>
> = {
  gp3: { size: [1, 16384], iops: [3000, 16000], iopsPerGiB: 500, throughput: [125, 1000] },
  io2: { size: [4, 16384], iops: [100, 256000], iopsPerGiB: 1000 },
  io1: { size: [4, 16384], iops: [100, 64000], iopsPerGiB: 50 },
  gp2: { size: [1, 16384] },
};

/** gp3 throughput cannot exceed 0.25 MiB/s per provisioned IOPS. */
export const GP3_MIBPS_PER_IOPS = 0.25;
