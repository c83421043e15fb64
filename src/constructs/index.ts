export * from './errors.js';
export * from './controller-image.js';
export * from './jenkins-controller.js';
export * from './jenkins-on-fargate.js';
