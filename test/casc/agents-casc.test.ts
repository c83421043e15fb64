import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse } from 'yaml';
import {
  AGENT_CONTAINER_NAME,
  AGENT_ENV,
  AgentsCascError,
  cascVariables,
  planAgentClouds,
  renderAgentsCasc,
  unknownPluginKeys,
} from '../../src/config/agents-casc.js';
import { ECS_CLOUD_KEYS, ECS_TEMPLATE_ENTRY_KEYS, ECS_TEMPLATE_KEYS } from '../../src/config/amazon-ecs-keys.js';
import type { AgentConfig } from '../../src/config/types.js';

const linux: AgentConfig = { label: 'linux', cpu: 1024, memoryMiB: 2048, image: 'jenkins/inbound-agent:latest-jdk21', capacity: 'spot', maxAgents: 10 };
const large: AgentConfig = { label: 'build.large', cpu: 4096, memoryMiB: 8192, image: 'jenkins/inbound-agent:latest-jdk21', capacity: 'on-demand', maxAgents: 3 };

type Obj = Record<string, unknown>;
interface Cloud extends Obj {
  templates: Obj[];
}

function clouds(yamlText: string): Cloud[] {
  const doc = parse(yamlText) as { jenkins: { clouds: { ecs: Cloud }[] } };
  return doc.jenkins.clouds.map((c) => c.ecs);
}

describe('amazon-ecs JCasC fragment from agents[]', () => {
  const text = renderAgentsCasc('ci', [linux, large]);
  const [spot, onDemand] = clouds(text) as [Cloud, Cloud];

  test('parses as YAML with one ecs cloud per agent template, named after its label', () => {
    assert.equal(clouds(text).length, 2);
    assert.equal(spot.name, 'jenkins-ecs-ci-linux');
    assert.equal(onDemand.name, 'jenkins-ecs-ci-build_large');
    assert.equal(spot.templates.length, 1);
    assert.equal(spot.templates[0]?.label, 'linux');
    assert.equal(onDemand.templates[0]?.label, 'build.large');
  });

  test('maxAgents is enforced per cloud, and each cloud has numExecutors 1 (0 breaks provisioning)', () => {
    assert.equal(spot.maxAgents, 10);
    assert.equal(onDemand.maxAgents, 3);
    assert.equal(spot.numExecutors, 1);
    assert.equal(onDemand.numExecutors, 1);
    assert.equal(spot.retainAgents, false);
  });

  test('every cloud, template and list-entry key belongs to the plugin key set', () => {
    assert.deepEqual(unknownPluginKeys(parse(text)), []);
    for (const c of clouds(text)) {
      for (const k of Object.keys(c)) assert.ok(ECS_CLOUD_KEYS.has(k), `cloud key ${k}`);
      for (const t of c.templates) {
        for (const [k, v] of Object.entries(t)) {
          assert.ok(ECS_TEMPLATE_KEYS.has(k), `template key ${k}`);
          const entryKeys = ECS_TEMPLATE_ENTRY_KEYS[k];
          if (Array.isArray(v)) {
            assert.ok(entryKeys, `list key ${k} has a known entry shape`);
            for (const e of v as Obj[]) for (const ek of Object.keys(e)) assert.ok(entryKeys.has(ek), `${k} entry key ${ek}`);
          }
        }
      }
    }
  });

  test('the key check reports a key the plugin does not know', () => {
    const doc = parse(text) as { jenkins: { clouds: { ecs: Cloud }[] } };
    const first = doc.jenkins.clouds[0]?.ecs as Cloud;
    first.webSocket = true;
    (first.templates[0] as Obj).environment = [];
    (first.templates[0] as Obj).environments = [{ name: 'A', value: 'b' }, { key: 'X' }];
    assert.deepEqual(unknownPluginKeys(doc).sort(), [
      'clouds[0].templates[0].environment',
      'clouds[0].templates[0].environments[1].key',
      'clouds[0].webSocket',
    ]);
  });

  test('a spot template launches through the FARGATE_SPOT capacity provider, on-demand through launchType FARGATE', () => {
    const s = spot.templates[0] as Obj;
    const o = onDemand.templates[0] as Obj;
    assert.deepEqual(s.capacityProviderStrategies, [{ provider: 'FARGATE_SPOT', base: 0, weight: 1 }]);
    assert.equal(s.launchType, undefined);
    assert.equal(o.launchType, 'FARGATE');
    assert.equal(o.capacityProviderStrategies, undefined);
  });

  test('templates are Fargate Linux x86_64 in awsvpc mode with private networking', () => {
    for (const c of [spot, onDemand]) {
      const t = c.templates[0] as Obj;
      assert.equal(t.platformVersion, 'LATEST');
      assert.equal(t.operatingSystemFamily, 'LINUX');
      assert.equal(t.cpuArchitecture, 'X86_64');
      assert.equal(t.networkMode, 'awsvpc');
      assert.equal(t.assignPublicIp, false);
      assert.equal(t.remoteFSRoot, '/home/jenkins/agent');
      assert.equal(t.subnets, `\${${AGENT_ENV.subnets}}`);
      assert.equal(t.securityGroups, `\${${AGENT_ENV.securityGroups}}`);
    }
  });

  test('each template runs the task definition the stack defines: its family as taskDefinitionOverride, container "agent"', () => {
    const plans = planAgentClouds('ci', [linux, large]);
    for (const [c, plan] of [[spot, plans[0]], [onDemand, plans[1]]] as const) {
      const t = c.templates[0] as Obj;
      assert.equal(t.taskDefinitionOverride, plan?.family);
      assert.equal(t.agentContainerName, AGENT_CONTAINER_NAME);
    }
  });

  test('container and size settings live in the task definition, not the template (the plugin ignores them with an override)', () => {
    for (const c of clouds(text)) {
      const t = c.templates[0] as Obj;
      for (const k of ['image', 'cpu', 'memory', 'executionRole', 'taskrole', 'logDriver', 'logDriverOptions', 'environments', 'memoryReservation', 'privileged']) {
        assert.equal(k in t, false, k);
      }
    }
  });

  test('agents connect over WebSocket: no tunnel, no JENKINS_URL, jenkinsUrl from the environment', () => {
    for (const c of clouds(text)) {
      assert.equal('tunnel' in c, false);
      assert.equal(c.jenkinsUrl, `\${${AGENT_ENV.jenkinsUrl}}`);
    }
    assert.doesNotMatch(text, /JENKINS_URL\b(?!})/);
  });

  test('the cluster and region are deploy-time values', () => {
    assert.equal(spot.cluster, `\${${AGENT_ENV.clusterArn}}`);
    assert.equal(spot.regionName, `\${${AGENT_ENV.region}}`);
  });

  test('the fragment references exactly the shared variables', () => {
    assert.deepEqual(cascVariables(text), [...Object.values(AGENT_ENV)].sort());
  });

  test('task definition families are <cloud>-agent, the name the plugin would have registered', () => {
    assert.deepEqual(
      planAgentClouds('ci', [linux, large]).map((p) => p.family),
      ['jenkins-ecs-ci-linux-agent', 'jenkins-ecs-ci-build_large-agent'],
    );
  });

  test('labels that differ only in punctuation are refused: they would share a cloud and a family', () => {
    assert.throws(() => renderAgentsCasc('ci', [linux, { ...linux, label: 'build.large' }, { ...linux, label: 'build_large' }]), (e: unknown) => {
      assert.ok(e instanceof AgentsCascError);
      assert.match(e.message, /"build\.large" and "build_large" map to the same cloud name "jenkins-ecs-ci-build_large"/);
      return true;
    });
  });

  test('a label too long for a plugin cloud name is refused with the limit in the message', () => {
    assert.throws(() => renderAgentsCasc('ci', [{ ...linux, label: 'x'.repeat(120) }]), /at most 127 characters/);
  });

  test('no agents render an empty cloud list', () => {
    assert.deepEqual(clouds(renderAgentsCasc('ci', [])), []);
  });

  test('any valid agents[] renders plugin-valid YAML with one cloud per template (property)', () => {
    const agentArb = fc.record({
      label: fc.stringMatching(/^[A-Za-z0-9_.-]{1,40}$/),
      cpu: fc.constantFrom(256, 512, 1024, 2048, 4096),
      memoryMiB: fc.constantFrom(512, 1024, 2048, 8192),
      image: fc.constantFrom('jenkins/inbound-agent:latest-jdk21', '123456789012.dkr.ecr.us-east-1.amazonaws.com/agents:1'),
      capacity: fc.constantFrom('spot' as const, 'on-demand' as const),
      maxAgents: fc.integer({ min: 1, max: 100 }),
    });
    const agentsArb = fc.uniqueArray(agentArb, { minLength: 1, maxLength: 5, selector: (a) => a.label.replace(/[^A-Za-z0-9_-]/g, '_').toUpperCase().replace(/-/g, '_') });
    fc.assert(
      fc.property(agentsArb, (agents) => {
        const out = renderAgentsCasc('ci', agents);
        const doc: unknown = parse(out);
        assert.deepEqual(unknownPluginKeys(doc), []);
        const cs = clouds(out);
        assert.equal(cs.length, agents.length);
        cs.forEach((c, i) => assert.equal(c.maxAgents, agents[i]?.maxAgents));
      }),
      { numRuns: 100 },
    );
  });
});
