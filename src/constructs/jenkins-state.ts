import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { deploymentNames, POINTER_NONE } from '../config/names.js';
import { RECORD_TABLE } from '../continuity/record.js';
import { JenkinsEcsConstructError } from './errors.js';

/**
 * Logical id of the pointer parameter. Part of the contract: a new id would make CloudFormation
 * create a second parameter with the same name (and fail), or, after a RETAIN delete, orphan it.
 */
export const POINTER_LOGICAL_ID = 'Pointer';

/** Logical id of the lineage record table; part of the contract for the same reason. */
export const RECORD_TABLE_LOGICAL_ID = 'RecordTable';

/**
 * Fixed description of the pointer parameter. Never change it: any property change makes
 * CloudFormation update the parameter, which writes the template value `none` over the live
 * pointer and sends the next deploy back to the seed (or an empty home).
 */
const POINTER_DESCRIPTION =
  'jenkins-ecs pointer: snapshot id the controller service launches its home from. Written by the reconciler and restore only.';

export interface JenkinsStateProps extends StackProps {
  /** Deployment name (config `name`); the stack and parameter names derive from it. */
  readonly deploymentName: string;
}

/**
 * The deployment's state stack: the lineage record table (docs/design/lineage-record.md) and the
 * v0.1 pointer parameter, and nothing that ever changes.
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
 * The pointer parameter is v0.1's deploy-time pointer: created with the sentinel `none`, written
 * by the reconciler and the restore command only, RETAINed, its template never changing (see
 * POINTER_DESCRIPTION).
 */
export class JenkinsState extends Stack {
  /** Name of the pointer parameter, `/jenkins-ecs/<name>/pointer`. */
  public readonly pointerParameterName: string;
  /** Name of the lineage record table, `jenkins-ecs-<name>-lineage`. */
  public readonly recordTableName: string;
  public readonly recordTable: dynamodb.Table;

  constructor(scope: Construct, id: string, props: JenkinsStateProps) {
    const names = deploymentNames(props.deploymentName);
    if (props.tags !== undefined) {
      throw new JenkinsEcsConstructError(
        'JenkinsState: tags are not allowed; a tag change updates the pointer parameter, and an update writes "none" over the live pointer',
      );
    }
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
    this.pointerParameterName = names.pointerParameter;

    const pointer = new ssm.StringParameter(this, 'Pointer', {
      parameterName: names.pointerParameter,
      stringValue: POINTER_NONE,
      description: POINTER_DESCRIPTION,
      tier: ssm.ParameterTier.STANDARD,
    });
    pointer.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const cfnPointer = pointer.node.defaultChild as ssm.CfnParameter;
    cfnPointer.overrideLogicalId(POINTER_LOGICAL_ID);
    // Tags.of(app).add(...) anywhere would otherwise reach this resource and update it (see above).
    cfnPointer.addPropertyDeletionOverride('Tags');
  }
}
