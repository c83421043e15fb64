/**
 * Raised by jenkins-ecs constructs when their props cannot produce a working deployment.
 * Messages name the prop, show the value received and say how to fix it.
 * (aws-cdk-lib's own ValidationError is internal, so the constructs use this one.)
 */
export class JenkinsEcsConstructError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JenkinsEcsConstructError';
  }
}
