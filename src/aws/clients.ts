/**
 * One place that builds the SDK v3 clients for the keeper, the reconciler and the CLI.
 * `AWS_ENDPOINT_URL` (and the per-service `AWS_ENDPOINT_URL_EC2|ECS|DYNAMODB`) are honoured explicitly,
 * so tests aim every client at moto or a fixture, whatever SDK version resolves env endpoints.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { S3Client } from '@aws-sdk/client-s3';

export interface AwsClients {
  readonly ec2: EC2Client;
  readonly ecs: ECSClient;
  readonly dynamodb: DynamoDBClient;
}

export interface ClientOptions {
  /** @default - the SDK's region chain (AWS_REGION, profile) */
  readonly region?: string;
  /** One endpoint for every service. @default - per-service env, then AWS_ENDPOINT_URL, then AWS */
  readonly endpoint?: string;
  /** @default 3 (the SDK default) */
  readonly maxAttempts?: number;
  /** Per-request socket timeout, so a hung call cannot eat the keeper's stop budget. @default 10000 */
  readonly requestTimeoutMs?: number;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/** `AWS_ENDPOINT_URL_<SERVICE>` suffixes (the SDK's service ids, upper case). */
export type Service = 'EC2' | 'ECS' | 'DYNAMODB' | 'EFS' | 'CLOUDWATCH_LOGS' | 'CLOUDWATCH' | 'S3';

/** The endpoint a service should use: explicit option, `AWS_ENDPOINT_URL_<SVC>`, `AWS_ENDPOINT_URL`. */
export function resolveEndpoint(service: Service, options: ClientOptions = {}): string | undefined {
  if (options.endpoint) return options.endpoint;
  const env = options.env ?? process.env;
  const specific = env[`AWS_ENDPOINT_URL_${service}`];
  if (specific) return specific;
  return env.AWS_ENDPOINT_URL || undefined;
}

/** Region, endpoint, retries and timeouts for one client of `service` (createClients, and the migrate command's extra clients). */
export function baseConfig(service: Service, options: ClientOptions) {
  const endpoint = resolveEndpoint(service, options);
  return {
    ...(options.region ? { region: options.region } : {}),
    ...(endpoint ? { endpoint } : {}),
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: { requestTimeout: options.requestTimeoutMs ?? 10_000, connectionTimeout: 5_000 },
  };
}

export function createClients(options: ClientOptions = {}): AwsClients {
  return {
    ec2: new EC2Client(baseConfig('EC2', options)),
    ecs: new ECSClient(baseConfig('ECS', options)),
    dynamodb: new DynamoDBClient(baseConfig('DYNAMODB', options)),
  };
}

/**
 * The S3 client of the handoff's delta (the keeper only). Not part of `createClients`: the
 * reconciler Lambda and the CLI bundle that, and esbuild cannot drop a client it constructs
 * (client-s3 alone bundles to ~590 KB minified). With an endpoint override (moto, a fixture),
 * path-style addressing: `<bucket>.127.0.0.1` does not resolve.
 */
export function createS3Client(options: ClientOptions = {}): S3Client {
  const config = baseConfig('S3', options);
  return new S3Client({ ...config, ...('endpoint' in config ? { forcePathStyle: true } : {}) });
}
