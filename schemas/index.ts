export * from './common.js';
export * from './span.js';
export * from './traces.js';
