/** `PointerPort` over SSM Parameter Store: the snapshot id the service should launch from. */
import { GetParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { POINTER_NONE } from '../config/names.js';
import type { PointerPort } from '../continuity/ports.js';
import { isAwsError, SSM_ERRORS } from './errors.js';

export class SsmPointerAdapter implements PointerPort {
  public constructor(
    private readonly client: SSMClient,
    public readonly parameterName: string,
  ) {}

  public async getPointer(): Promise<string | undefined> {
    try {
      const res = await this.client.send(new GetParameterCommand({ Name: this.parameterName }));
      const value = res.Parameter?.Value?.trim();
      return !value || value === POINTER_NONE ? undefined : value;
    } catch (e) {
      if (isAwsError(e, SSM_ERRORS.parameterNotFound)) return undefined;
      throw e;
    }
  }

  public async putPointer(snapshotId: string): Promise<void> {
    await this.client.send(
      new PutParameterCommand({ Name: this.parameterName, Value: snapshotId, Type: 'String', Overwrite: true }),
    );
  }
}
