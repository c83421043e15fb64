// S3DeltaPort against moto_server's S3 (moto 5 serves S3 on the single AWS_ENDPOINT_URL with
// path-style addressing, which createS3Client turns on for an endpoint override): ship → apply
// through a real bucket, refusals before the home is touched, and the deadline.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { appendFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutBucketEncryptionCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/aws/clients.js';
import type { DeltaRef } from '../../src/continuity/ports.js';
import { DeltaError } from '../../src/keeper/delta-archive.js';
import { S3DeltaPort, type S3DeltaPortOptions } from '../../src/keeper/delta.js';
import { motoUrl, uniqueLineage } from '../aws/moto.js';
import { buildJenkinsHome, bytes, comparable, copyTree, cutoffNow, diffTrees, readTree, saveAtomic } from './delta-tree.js';

let dir = '';
let staging = '';
let s3: S3Client;
const bucket = uniqueLineage('handoff');
const soon = (ms = 60_000): Date => new Date(Date.now() + ms);
const isDeltaError = (code: string) => (e: unknown) => e instanceof DeltaError && e.code === code;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'delta-s3-'));
  staging = join(dir, 'staging');
  await mkdir(staging);
  s3 = createS3Client({ endpoint: motoUrl(), region: 'us-east-1', maxAttempts: 1 });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A home changed after the cutoff and the base it was copied from. */
async function changedHome(name: string): Promise<{ home: string; base: string; cutoff: Date }> {
  const home = join(dir, name, 'home');
  const base = join(dir, name, 'base');
  await buildJenkinsHome(home, 2 * 1024 * 1024);
  await copyTree(home, base);
  const cutoff = await cutoffNow();
  await saveAtomic(join(home, 'jobs', 'alpha', 'config.xml'), '<project>changed</project>\n');
  await rm(join(home, 'jobs', 'beta', 'builds', '1'), { recursive: true });
  await appendFile(join(home, 'big.bin'), bytes(100_000, 4));
  await writeFile(join(home, 'jobs', 'gamma', 'builds', '3', 'new-artifact'), bytes(1000, 1));
  return { home, base, cutoff };
}

describe('S3 delta port (moto S3)', () => {
  test('ship uploads the archive with its SHA-256; apply onto the base gives the home back', async () => {
    const { home, base, cutoff } = await changedHome('round-trip');
    const port = new S3DeltaPort({ client: s3, bucket, tmpDir: staging, encryption: 'AES256' });
    const key = `${uniqueLineage('ci')}/snap-0123456789abcdef0.delta`;
    const ref = await port.ship(home, cutoff, key, soon());
    assert.equal(ref.key, key);
    assert.match(ref.sha256, /^[0-9a-f]{64}$/);
    assert.ok(ref.files >= 5, `packed ${ref.files}`);
    // The SHA-256 went up as the object's checksum (S3 checks the bytes against it on receipt).
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
    await object.Body?.transformToByteArray();
    assert.equal(object.ContentLength, ref.bytes);
    assert.equal(object.ServerSideEncryption, 'AES256');
    assert.equal(object.ChecksumSHA256, Buffer.from(ref.sha256, 'hex').toString('base64'));
    await port.apply(base, ref, soon());
    const diff = diffTrees(comparable(await readTree(home)), comparable(await readTree(base)));
    assert.deepEqual(diff, [], diff.join('\n'));
    assert.deepEqual(await readdir(staging), [], 'no staged archive is left behind');
  });

  const KEY = 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555';
  const encryptions: Array<[string, S3DeltaPortOptions['encryption'], { sse: string; key?: string }]> = [
    ["none named: the bucket's default (here SSE-KMS with the home key) applies, not overridden", undefined, { sse: 'aws:kms', key: KEY }],
    ['a KMS key configured: SSE-KMS with that key', { kmsKeyId: KEY }, { sse: 'aws:kms', key: KEY }],
    ['AES256 named: SSE-S3', 'AES256', { sse: 'AES256' }],
  ];
  for (const [what, encryption, expected] of encryptions) {
    test(`upload encryption, ${what}`, async () => {
      const { home, cutoff } = await changedHome(`sse-${expected.sse}-${encryption === undefined}`);
      const kmsBucket = uniqueLineage('handoff-kms');
      await s3.send(new CreateBucketCommand({ Bucket: kmsBucket }));
      await s3.send(
        new PutBucketEncryptionCommand({
          Bucket: kmsBucket,
          ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KEY }, BucketKeyEnabled: true }] },
        }),
      );
      const port = new S3DeltaPort({ client: s3, bucket: kmsBucket, tmpDir: staging, ...(encryption ? { encryption } : {}) });
      const ref = await port.ship(home, cutoff, `${uniqueLineage('ci')}/snap-sse.delta`, soon());
      const head = await s3.send(new HeadObjectCommand({ Bucket: kmsBucket, Key: ref.key }));
      assert.equal(head.ServerSideEncryption, expected.sse);
      assert.equal(head.SSEKMSKeyId, expected.key);
    });
  }

  describe('refusals before the home is touched', () => {
    let base = '';
    let ref: DeltaRef;
    let port: S3DeltaPort;
    before(async () => {
      const h = await changedHome('refusals');
      base = h.base;
      port = new S3DeltaPort({ client: s3, bucket, tmpDir: staging });
      ref = await port.ship(h.home, h.cutoff, `${uniqueLineage('ci')}/snap-refusals.delta`, soon());
    });

    const cases: Array<[string, () => DeltaRef, string]> = [
      ['a ref with another SHA-256', () => ({ ...ref, sha256: ref.sha256.replace(/^./, (c) => (c === '0' ? '1' : '0')) }), 'digest'],
      ['a ref with another size', () => ({ ...ref, bytes: ref.bytes + 1 }), 'digest'],
      ['a key that does not exist', () => ({ ...ref, key: `${ref.key}.missing` }), 'io'],
      ['an object replaced under the key', () => ref, 'digest'],
    ];
    for (const [what, makeRef, code] of cases) {
      test(`${what} is refused (${code}) and the base is left as it was`, async () => {
        if (what.startsWith('an object replaced')) {
          await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${ref.key}.other`, Body: 'x' }));
          ref = { ...ref, key: `${ref.key}.other` };
        }
        const before = await readTree(base);
        await assert.rejects(port.apply(base, makeRef(), soon()), isDeltaError(code));
        assert.deepEqual(await readTree(base), before);
      });
    }

    test('a deadline already passed rejects ship and apply at once (aborted), base untouched', async () => {
      const before = await readTree(base);
      await assert.rejects(port.ship(base, new Date(), `${ref.key}.late`, new Date(Date.now() - 1)), isDeltaError('aborted'));
      await assert.rejects(port.apply(base, ref, new Date(Date.now() - 1)), isDeltaError('aborted'));
      assert.deepEqual(await readTree(base), before);
    });
  });

  describe('an S3 that does not answer', () => {
    let server: Server;
    let hung: S3Client;
    before(async () => {
      server = createServer(() => undefined); // accepts, never answers
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      hung = createS3Client({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, region: 'us-east-1', maxAttempts: 1, requestTimeoutMs: 60_000 });
    });
    after(() => {
      server.closeAllConnections();
      server.close();
    });

    test('the deadline aborts a hung upload and a hung download with code aborted', async () => {
      const { home, base, cutoff } = await changedHome('hung');
      const port = new S3DeltaPort({ client: hung, bucket, tmpDir: staging });
      await assert.rejects(port.ship(home, cutoff, 'ci/snap-hung.delta', soon(1500)), (e: unknown) => isDeltaError('aborted')(e) && /deadline/.test(String(e)));
      const ref: DeltaRef = { key: 'ci/snap-hung.delta', sha256: '0'.repeat(64), bytes: 1, files: 1 };
      const before = await readTree(base);
      await assert.rejects(port.apply(base, ref, soon(500)), isDeltaError('aborted'));
      assert.deepEqual(await readTree(base), before);
      assert.deepEqual(await readdir(staging), []);
    });
  });
});
