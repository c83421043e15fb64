// Pointer adapter against moto_server's SSM.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { SsmPointerAdapter } from '../../src/aws/pointer-adapter.js';
import { POINTER_NONE } from '../../src/config/names.js';
import { motoClients, uniqueLineage } from './moto.js';

const { ssm } = motoClients();

describe('SsmPointerAdapter against moto', () => {
  test('a parameter that does not exist reads as no pointer', async () => {
    const pointer = new SsmPointerAdapter(ssm, `/jenkins-ecs/${uniqueLineage('absent')}/pointer`);
    assert.equal(await pointer.getPointer(), undefined);
  });

  test('the POINTER_NONE sentinel reads as no pointer', async () => {
    const name = `/jenkins-ecs/${uniqueLineage('none')}/pointer`;
    await ssm.send(new PutParameterCommand({ Name: name, Value: POINTER_NONE, Type: 'String' }));
    assert.equal(await new SsmPointerAdapter(ssm, name).getPointer(), undefined);
  });

  test('putPointer overwrites the sentinel and getPointer returns the snapshot id', async () => {
    const name = `/jenkins-ecs/${uniqueLineage('put')}/pointer`;
    await ssm.send(new PutParameterCommand({ Name: name, Value: POINTER_NONE, Type: 'String' }));
    const pointer = new SsmPointerAdapter(ssm, name);
    await pointer.putPointer('snap-0aaa');
    assert.equal(await pointer.getPointer(), 'snap-0aaa');
    await pointer.putPointer('snap-0bbb');
    assert.equal(await pointer.getPointer(), 'snap-0bbb');
    const raw = await ssm.send(new GetParameterCommand({ Name: name }));
    assert.equal(raw.Parameter?.Type, 'String');
  });

  test('putPointer creates the parameter when it does not exist yet', async () => {
    const pointer = new SsmPointerAdapter(ssm, `/jenkins-ecs/${uniqueLineage('create')}/pointer`);
    await pointer.putPointer('snap-0ccc');
    assert.equal(await pointer.getPointer(), 'snap-0ccc');
  });
});
