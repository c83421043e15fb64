import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { deploymentNames } from '../config/names.js';
import { RECORD_TABLE } from '../continuity/record.js';
import { JenkinsEcsConstructError } from './errors.js';

/**
 * Logical id of the lineage record table. Part of the contract: a new id would make CloudFormation
 * create a second table with the same name (and fail), or, after a RETAIN delete, orphan it.
 */
export const RECORD_TABLE_LOGICAL_ID = 'RecordTable';

export interface JenkinsStateProps extends StackProps {
  /** Deployment name (config `name`); the stack and table names derive from it. */
  readonly deploymentName: string;
}

/**
 * The deployment's state stack: the lineage record table (docs/design/lineage-record.md), and
 * nothing that ever changes.
 *
 * Where the record lives, and why here: the record must outlive every life cycle of the main
 * stack (a failed first create and its retry, teardown and redeploy under the same name, the
 * main stack deleted and re-created) without anyone deleting or importing anything by hand.
 * - In the main stack, a RETAINed table survives the stack's deletion, but the next create of the
 *   stack then fails ("already exists") unless every such deploy passes
 *   `cdk deploy --import-existing-resources`; cdk.json cannot set that flag (the cdk CLI reads it
 *   from the command line only), so forgetting it once is a failed deploy. Rejected.
 * - Here, in a stack the teardown never deletes (README "Teardown": `cdk destroy <main stack>`),
 *   the table simply stays; termination protection makes CloudFormation refuse a delete of this
 *   stack, and the table is RETAINed with deletion protection on top, so even a forced delete
 *   keeps the data. Should this stack ever be re-created around a surviving table, the table's
 *   fixed name and DeletionPolicy Retain are exactly what `--import-existing-resources` needs to
 *   adopt it (the one case that needs a flag, and it deletes nothing). Chosen.
 * The main stack reaches the table by its fixed name (deploymentNames(name).recordTable), never
 * through an export, so neither stack blocks the other's updates.
 *
 * v0.1 kept the SSM pointer parameter here. It is gone from the template; CloudFormation retains
 * the parameter of an existing deployment (it was RETAINed) and nothing reads it at deploy time.
 */
export class JenkinsState extends Stack {
  /** Name of the lineage record table, `jenkins-ecs-<name>-lineage`. */
  public readonly recordTableName: string;
  public readonly recordTable: dynamodb.Table;

  constructor(scope: Construct, id: string, props: JenkinsStateProps) {
    const names = deploymentNames(props.deploymentName);
    if (props.stackName !== undefined && props.stackName !== names.stateStack) {
      throw new JenkinsEcsConstructError(
        `JenkinsState: stackName "${props.stackName}" differs from "${names.stateStack}"; the CLI finds the state stack by that name, so leave stackName unset`,
      );
    }
    super(scope, id, {
      description: `jenkins-ecs ${props.deploymentName}: continuity state (lineage record table). Deploy before the main stack; never delete it.`,
      // Teardown deletes the main stack only; this one holds the lineage (see the docblock).
      terminationProtection: true,
      ...props,
      stackName: names.stateStack,
    });
    this.recordTableName = names.recordTable;
    this.recordTable = new dynamodb.Table(this, 'RecordTable', {
      tableName: names.recordTable,
      partitionKey: { name: RECORD_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      // A handful of writes per snapshot interval: on demand costs cents.
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      // The item holds snapshot and task ids only, no secret: the AWS owned key is enough
      // (DynamoDB encrypts every table at rest).
      encryption: dynamodb.TableEncryption.DEFAULT,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    (this.recordTable.node.defaultChild as dynamodb.CfnTable).overrideLogicalId(RECORD_TABLE_LOGICAL_ID);
  }
}
