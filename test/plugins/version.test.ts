// Jenkins version ordering (src/plugins/version.ts) against orderings Jenkins itself asserts
// (test/fixtures/jenkins/version-order.json names the upstream files), plus the forms the
// plugin lock meets.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compareVersions, isVersion, newest, satisfies } from '../../src/plugins/version.js';

const oracle = JSON.parse(readFileSync('test/fixtures/jenkins/version-order.json', 'utf8')) as {
  ascending: string[][];
  equal: [string, string][];
};

describe('compareVersions', () => {
  test('orders every upstream list oldest first, in both directions', () => {
    for (const list of oracle.ascending) {
      for (let i = 0; i < list.length; i++) {
        for (let j = i + 1; j < list.length; j++) {
          assert.ok(compareVersions(list[i]!, list[j]!) < 0, `${list[i]} < ${list[j]}`);
          assert.ok(compareVersions(list[j]!, list[i]!) > 0, `${list[j]} > ${list[i]}`);
        }
      }
    }
  });

  test('treats the upstream equal pairs as equal', () => {
    for (const [a, b] of oracle.equal) assert.equal(compareVersions(a, b), 0, `${a} = ${b}`);
  });

  test('plugin forms: continuous delivery, backports, wrapped libraries, LTS cores, plain numbers', () => {
    const ascending = [
      ['2100.vb_fd699d2a_09c', '2117.vc05a_0b_e6b_f4e'],
      ['1497.v6ea_e85a_ce970', '1497.1498.v1234abcd5678', '1502.v5c95e620ddfe'],
      ['4.5.14-208.v438351942757', '4.5.14-210.vabc', '4.5.15-1.v1'],
      ['1.12.529-406.vdeff15e5817d', '1.12.780-480.v4a_0819121a_9e'],
      ['2.387.3', '2.479.3', '2.541', '2.541.1', '2.568.2', '2.570'],
      ['1.9', '1.30', '1.49', '1.50'],
      ['3.2.8', '3.2.10'],
      ['4.1.4', '4.1.10', '4.2'],
      ['0.25', '0.49'],
      ['20251224-185.v0cc18490c62c', '20260101-1.vabc'],
    ];
    for (const list of ascending) {
      for (let i = 1; i < list.length; i++) assert.ok(compareVersions(list[i - 1]!, list[i]!) < 0, `${list[i - 1]} < ${list[i]}`);
    }
    // String order would put 1.9 after 1.49 and 2100.v… after 2117.v…'s peers: make sure it is not used.
    assert.ok(compareVersions('1.9', '1.49') < 0);
  });

  test('satisfies, newest and isVersion', () => {
    assert.ok(satisfies('1502.v5c95e620ddfe', '1415.v831096eb_5534'));
    assert.ok(satisfies('2.541.1', '2.541.1'));
    assert.ok(!satisfies('2.516.3', '2.541.1'));
    assert.equal(newest(['2.479.3', '2.541.1', '2.387.3']), '2.541.1');
    assert.equal(newest([]), undefined);
    assert.ok(isVersion('728.v902a_273b_8947'));
    for (const bad of ['', ' ', '2.0.*', '1 2']) assert.ok(!isVersion(bad), JSON.stringify(bad));
  });
});
