export * from './clients.js';
export * from './ec2-adapter.js';
export * from './ecs-adapter.js';
export * from './errors.js';
export * from './record-adapter.js';
