export * from './common.js';
export * from './span.js';
export * from './traces.js';
export * from './stats.js';
