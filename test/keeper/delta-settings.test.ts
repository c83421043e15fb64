// The keeper's handoff settings (docs/design/handoff.md): the bucket turns the S3 delta port on
// (src/keeper/run.ts passes it to the Keeper); the KMS key id only with a bucket.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KEEPER_ENV } from '../../src/continuity/settings.js';
import { KeeperSettingsError, readKeeperSettings } from '../../src/keeper/settings.js';

const REQUIRED = { JENKINS_ECS_LINEAGE: 'ci', JENKINS_ECS_RECORD_TABLE: 'jenkins-ecs-ci-lineage', ECS_CONTAINER_METADATA_URI_V4: 'http://169.254.170.2/v4/x' };

describe('keeper handoff settings', () => {
  test('without a bucket there is no handoff (the final snapshot path only)', () => {
    assert.equal(readKeeperSettings(REQUIRED).handoff, undefined);
    assert.equal(readKeeperSettings({ ...REQUIRED, [KEEPER_ENV.handoffBucket]: '' }).handoff, undefined);
  });

  test('a bucket turns the handoff on, with the bucket default encryption unless a KMS key id is given', () => {
    assert.deepEqual(readKeeperSettings({ ...REQUIRED, JENKINS_ECS_HANDOFF_BUCKET: 'jenkins-ecs-ci-handoff-123456789012-eu-west-1' }).handoff, {
      bucket: 'jenkins-ecs-ci-handoff-123456789012-eu-west-1',
    });
    const key = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';
    assert.deepEqual(readKeeperSettings({ ...REQUIRED, JENKINS_ECS_HANDOFF_BUCKET: 'b-1.x', JENKINS_ECS_HANDOFF_KMS_KEY_ID: key }).handoff, { bucket: 'b-1.x', kmsKeyId: key });
  });

  test('a KMS key id without a bucket, and a bucket name S3 would refuse, are reported together with the other problems', () => {
    assert.throws(
      () => readKeeperSettings({ ...REQUIRED, JENKINS_ECS_LINEAGE: '', JENKINS_ECS_HANDOFF_KMS_KEY_ID: 'k' }),
      (e: unknown) => e instanceof KeeperSettingsError && e.problems.length === 2 && e.problems.some((p) => /JENKINS_ECS_HANDOFF_KMS_KEY_ID is set but JENKINS_ECS_HANDOFF_BUCKET is not/.test(p)),
    );
    for (const bad of ['Upper', 'a', 'under_score', `${'x'.repeat(64)}`, '-lead']) {
      assert.throws(
        () => readKeeperSettings({ ...REQUIRED, JENKINS_ECS_HANDOFF_BUCKET: bad }),
        (e: unknown) => e instanceof KeeperSettingsError && e.problems.length === 1 && e.problems[0]!.includes(`"${bad}"`),
        bad,
      );
    }
  });
});
