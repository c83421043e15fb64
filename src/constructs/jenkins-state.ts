import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { deploymentNames, POINTER_NONE } from '../config/names.js';
import { JenkinsEcsConstructError } from './errors.js';

/**
 * Logical id of the pointer parameter. Part of the contract: a new id would make CloudFormation
 * create a second parameter with the same name (and fail), or, after a RETAIN delete, orphan it.
 */
export const POINTER_LOGICAL_ID = 'Pointer';

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
 * The deployment's state stack: holds the pointer parameter, and nothing that ever changes.
 *
 * It exists apart from the main stack because the main stack reads the pointer through an
 * `AWS::SSM::Parameter::Value<String>` parameter, which CloudFormation resolves when it creates
 * a change set. The parameter must therefore exist before the main stack's first change set:
 * the main stack depends on this one, so `cdk deploy` deploys this one first.
 *
 * The parameter is created with the sentinel `none` and from then on belongs to the reconciler
 * and the restore command. Its template never changes (see POINTER_DESCRIPTION), and it is
 * RETAINed, so deleting the stack never loses the pointer. Re-creating the stack after a delete
 * therefore needs the old parameter removed by hand first (CloudFormation refuses to create a
 * parameter that already exists), which is the safe direction to fail in.
 */
export class JenkinsState extends Stack {
  /** Name of the pointer parameter, `/jenkins-ecs/<name>/pointer`. */
  public readonly pointerParameterName: string;

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
      description: `jenkins-ecs ${props.deploymentName}: continuity state (pointer parameter). Deploy before the main stack.`,
      ...props,
      stackName: names.stateStack,
    });
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
