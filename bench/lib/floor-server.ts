// Bench worker: the floor under the ingest figures. The same load generator, against servers
// that do less than the collector: `node` reads the body and answers 202 (node:http alone);
// `fastify` also routes and JSON.parses it (Fastify's defaults), storing nothing. What the
// collector adds on top of these is its own cost; what they cost is the machine's and Node's.

import { createServer } from 'node:http';
import Fastify from 'fastify';

const [kind, portText] = process.argv.slice(2) as ['node' | 'fastify', string];
const port = Number(portText);
const answer = '{"status":"ok","accepted":0,"discarded":0}';

if (kind === 'node') {
  const server = createServer((request, response) => {
    request.on('data', () => {});
    request.on('end', () => {
      response.writeHead(202, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
      response.end(answer);
    });
  });
  server.listen(port, '127.0.0.1', () => process.send?.({ ready: port }));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
} else {
  const app = Fastify({ bodyLimit: 10 * 1024 * 1024 });
  app.post('/spans', async (request, reply) => {
    const spans = (request.body as { spans?: unknown[] }).spans;
    return reply.code(202).send({ status: 'ok', accepted: Array.isArray(spans) ? spans.length : 0, discarded: 0 });
  });
  await app.listen({ port, host: '127.0.0.1' });
  process.send?.({ ready: port });
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}
