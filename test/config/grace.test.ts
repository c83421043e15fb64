// The controller's health-check grace period derived from the home size (issue 10.8).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { controllerGraceSeconds, MAX_GRACE_SECONDS, MIN_GRACE_SECONDS } from '../../src/config/grace.js';

describe('controllerGraceSeconds', () => {
  test('a 50 GiB home: the full-copy snapshot budget (~16 min reported for 50 GB) + the reconciler schedule + a boot', () => {
    // 50 GiB x 20 s = 1000 s, + 300 s + 600 s.
    assert.equal(controllerGraceSeconds(50), 1900);
    // The reported first 50 GB snapshot (~16 min) plus a 5-minute reconciler delay fits, with a boot left over.
    assert.ok(controllerGraceSeconds(50) - 16 * 60 - 300 >= 600);
  });

  test('grows with the home and never falls below the v0.1 floor or above the cap', () => {
    assert.equal(controllerGraceSeconds(1), MIN_GRACE_SECONDS + 300);
    assert.ok(controllerGraceSeconds(200) > controllerGraceSeconds(50));
    assert.equal(controllerGraceSeconds(16384), MAX_GRACE_SECONDS);
    for (const size of [1, 10, 50, 100, 500, 1000, 16384]) assert.ok(controllerGraceSeconds(size) >= MIN_GRACE_SECONDS);
  });
});
