// Preload (`node --require`) for a collector run under valgrind, where start-up is 50–100 times
// slower: Fastify's 10 s plugin timeout would fail the start. Sets Fastify's default to 0 (no
// timeout) in the checkout being run (resolved from its working directory, so each checkout's
// own Fastify), without touching its node_modules. Changes nothing a request does.
const validator = require(require.resolve('fastify/lib/config-validator.js', { paths: [process.cwd()] }));
validator.defaultInitOptions.pluginTimeout = 0;
