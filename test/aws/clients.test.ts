import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClients, createS3Client, resolveEndpoint } from '../../src/aws/clients.js';

describe('client factory endpoints', () => {
  test('an explicit endpoint wins over the environment', () => {
    assert.equal(resolveEndpoint('ECS', { endpoint: 'http://127.0.0.1:1', env: { AWS_ENDPOINT_URL_ECS: 'http://x', AWS_ENDPOINT_URL: 'http://y' } }), 'http://127.0.0.1:1');
  });

  test('a per-service AWS_ENDPOINT_URL_<SVC> wins over AWS_ENDPOINT_URL for that service only', () => {
    const env = { AWS_ENDPOINT_URL_ECS: 'http://127.0.0.1:2', AWS_ENDPOINT_URL: 'http://127.0.0.1:3' };
    assert.equal(resolveEndpoint('ECS', { env }), 'http://127.0.0.1:2');
    assert.equal(resolveEndpoint('EC2', { env }), 'http://127.0.0.1:3');
  });

  test('no endpoint in options or environment leaves the SDK default', () => {
    assert.equal(resolveEndpoint('DYNAMODB', { env: {} }), undefined);
  });

  test('createClients aims every client at the given endpoint and region', async () => {
    const clients = createClients({ endpoint: 'http://127.0.0.1:4', region: 'eu-west-1' });
    for (const c of [clients.ec2, clients.ecs, clients.dynamodb]) {
      assert.equal(await c.config.region(), 'eu-west-1');
      const ep = await c.config.endpoint!();
      assert.equal(ep.hostname, '127.0.0.1');
      assert.equal(ep.port, 4);
    }
  });

  test('the S3 client uses path-style addressing with an endpoint override (moto), virtual-hosted style against AWS', async () => {
    const local = createS3Client({ endpoint: 'http://127.0.0.1:5', region: 'eu-west-1' });
    assert.equal(local.config.forcePathStyle, true);
    assert.equal((await local.config.endpoint!()).port, 5);
    assert.equal(createS3Client({ region: 'eu-west-1', env: {} }).config.forcePathStyle, false);
  });
});
