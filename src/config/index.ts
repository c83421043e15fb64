/** Public surface of the pure config package: schema, validation, names, sizing and cost. */
export * from './types.js';
export * from './names.js';
export { parseConfig, parseConfigText, loadConfigFile, type ConfigResult } from './parse.js';
export { formatIssue, formatIssues, pathToString, closest } from './issues.js';
export { fargateEbsCeiling, fargateMemoryChoices, isFargatePair, isFargateCpu, FARGATE_CPUS, defaultMemoryFor } from './fargate.js';
export { AWS_REGIONS, cidrProblem, isCidr, isKnownRegion, partitionOf } from './network.js';
export { parseArn, parseCertificateArn, parseKmsArn } from './arn.js';
export { DEFAULTS, DEFAULT_AGENTS, DEFAULT_AGENT_IMAGE, VOLUME_LIMITS } from './defaults.js';
export * from './cost.js';
export * from './efs-burst.js';
export * from './prices.js';
