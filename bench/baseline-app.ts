// The bare CDK app the synth bench compares against: one ApplicationLoadBalancedFargateService,
// nothing else, written to $BASELINE_OUTDIR. Run the way `npm run synth` runs ours (tsx, one
// process, from spawn to exit).
import { App, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';

const app = new App({ outdir: process.env.BASELINE_OUTDIR ?? 'cdk.out.baseline' });
const stack = new Stack(app, 'Baseline');
new ecsPatterns.ApplicationLoadBalancedFargateService(stack, 'Service', {
  taskImageOptions: { image: ecs.ContainerImage.fromRegistry('jenkins/jenkins:lts-jdk21'), containerPort: 8080 },
  cpu: 2048,
  memoryLimitMiB: 4096,
});
app.synth();
