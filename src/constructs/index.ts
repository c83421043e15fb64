export * from './errors.js';
export * from './controller-image.js';
export * from './jenkins-controller.js';
export * from './jenkins-agents.js';
export * from './home-continuity.js';
export * from './jenkins-state.js';
export * from './jenkins-on-fargate.js';
