/**
 * The JCasC attribute names the Jenkins amazon-ecs plugin accepts, written down from its
 * `@DataBoundConstructor` parameters and `@DataBoundSetter` methods. JCasC refuses any other key
 * ("Invalid configuration elements"), so the renderer and the tests check every key against these.
 *
 * Read from jenkinsci/amazon-ecs-plugin at tag amazon-ecs-1.49 (commit
 * bc546fddd08fbfe9196f3dcf661f0f118542a673), the release pinned in jenkins/controller/plugins.txt,
 * package com.cloudbees.jenkins.plugins.amazonecs. test/fixtures/jenkins/amazon-ecs-1.49-databound.json
 * records the names per class and a test holds these sets equal to it; re-read both when the pin
 * moves. (`authRegion` exists only in an unmerged pull request, #376, so it is not here.)
 */

/** `ECSCloud`: constructor (name, credentialsId, assumedRoleArn, cluster) + setters. */
export const ECS_CLOUD_KEYS: ReadonlySet<string> = new Set([
  'name',
  'credentialsId',
  'assumedRoleArn',
  'cluster',
  'templates',
  'regionName',
  'tunnel',
  'jenkinsUrl',
  'allowedOverrides',
  'slaveTimeoutInSeconds',
  'retainAgents',
  'retentionTimeout',
  'taskPollingIntervalInSeconds',
  'maxCpu',
  'maxMemory',
  'maxMemoryReservation',
  'maxAgents',
  'numExecutors',
]);

/** `ECSTaskTemplate`: the 40 constructor parameters + setters. */
export const ECS_TEMPLATE_KEYS: ReadonlySet<string> = new Set([
  // constructor
  'templateName',
  'label',
  'agentContainerName',
  'taskDefinitionOverride',
  'dynamicTaskDefinitionOverride',
  'image',
  'repositoryCredentials',
  'launchType',
  'operatingSystemFamily',
  'cpuArchitecture',
  'defaultCapacityProvider',
  'capacityProviderStrategies',
  'networkMode',
  'remoteFSRoot',
  'uniqueRemoteFSRoot',
  'platformVersion',
  'memory',
  'memoryReservation',
  'cpu',
  'ephemeralStorageSizeInGiB',
  'subnets',
  'securityGroups',
  'assignPublicIp',
  'privileged',
  'containerUser',
  'kernelCapabilities',
  'logDriverOptions',
  'tags',
  'environments',
  'extraHosts',
  'mountPoints',
  'efsMountPoints',
  'portMappings',
  'ulimits',
  'executionRole',
  'placementStrategies',
  'taskrole',
  'inheritFrom',
  'sharedMemorySize',
  'enableExecuteCommand',
  // setters not already above
  'dynamicTaskDefinition',
  'entrypoint',
  'jvmArgs',
  'logDriver',
  'dnsSearchDomains',
]);

/** Nested list entries of a template, each a `@DataBoundConstructor` of an inner class. */
export const ECS_TEMPLATE_ENTRY_KEYS: Readonly<Record<string, ReadonlySet<string>>> = {
  /** `ECSTaskTemplate.CapacityProviderStrategyEntry(provider, base, weight)` */
  capacityProviderStrategies: new Set(['provider', 'base', 'weight']),
  /** `ECSTaskTemplate.EnvironmentEntry(name, value)` */
  environments: new Set(['name', 'value']),
  /** `ECSTaskTemplate.LogDriverOption(name, value)` */
  logDriverOptions: new Set(['name', 'value']),
  /** `ECSTaskTemplate.Tag(name, value)` */
  tags: new Set(['name', 'value']),
  /** `ECSTaskTemplate.PlacementStrategyEntry(type, field)` */
  placementStrategies: new Set(['type', 'field']),
  /** `ECSTaskTemplate.PortMappingEntry(containerPort, hostPort, protocol)` */
  portMappings: new Set(['containerPort', 'hostPort', 'protocol']),
  /** `ECSTaskTemplate.ExtraHostEntry(ipAddress, hostname)` */
  extraHosts: new Set(['ipAddress', 'hostname']),
  /** `ECSTaskTemplate.UlimitEntry(softLimit, hardLimit, ulimitName)` */
  ulimits: new Set(['softLimit', 'hardLimit', 'ulimitName']),
  /** `ECSTaskTemplate.MountPointEntry(name, sourcePath, containerPath, readOnly)` */
  mountPoints: new Set(['name', 'sourcePath', 'containerPath', 'readOnly']),
  /** `ECSTaskTemplate.EFSMountPointEntry(name, containerPath, readOnly, fileSystemId, rootDirectory, accessPointId, transitEncryption, iam)` */
  efsMountPoints: new Set(['name', 'containerPath', 'readOnly', 'fileSystemId', 'rootDirectory', 'accessPointId', 'transitEncryption', 'iam']),
};

/** Cloud names must match this (`ECSCloud.DescriptorImpl.doCheckName`). */
export const ECS_CLOUD_NAME_PATTERN = /^[A-Za-z0-9_-]{1,127}$/;
