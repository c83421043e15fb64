/** The home-continuity protocol: plain data, ports, pure decisions and the port-driven procedures. */
export * from './model.js';
export * from './ports.js';
export * from './settings.js';
export * from './decisions.js';
export * from './retry.js';
export * from './keeper.js';
export * from './reconciler.js';
export * from './restore.js';
export * from './record.js';
export * from './transitions.js';
export * from './commit.js';
