// The peer client against servers that misbehave in each way a peer can: every question rejects
// with a PeerAnswerError, within the deadline, and nothing else escapes (no crash, no late timer).
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PeerClient } from '../../src/cluster/peer-client.js';
import { PeerAnswerError } from '../../src/cluster/peer-wire.js';

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url!.split('?')[0];
    if (path === '/internal/v1/store-stats') {
      // Headers at once, then a body that never ends.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"spans":');
    } else if (path === '/internal/v1/latency') {
      res.writeHead(500).end('{"error":"internal error"}');
    } else if (path === '/internal/v1/dependencies') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d])); // {"\xff"}: not UTF-8
    } else {
      // A body larger than the client's cap, declared and streamed.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"total":0,"more":false,"traces":[],"pad":"${'x'.repeat(4096)}"}`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('PeerClient', () => {
  it('rejects a body that stalls after its headers at the deadline', async () => {
    const client = new PeerClient({ baseUrl: base, timeoutMs: 200 });
    await expect(client.stats()).rejects.toThrow(/no whole answer within 200 ms/);
    client.close();
  });

  it('rejects an error status, bytes that are not UTF-8, and an answer past the size cap', async () => {
    const client = new PeerClient({ baseUrl: base, timeoutMs: 2000, maxAnswerBytes: 1024 });
    await expect(client.latency({})).rejects.toThrow(/answered 500/);
    await expect(client.dependencies({})).rejects.toThrow(/not UTF-8/);
    await expect(client.listTraces({ limit: 1 })).rejects.toThrow(/more than 1024/);
    client.close();
  });

  it('rejects a URL it cannot ask, and an address where nothing listens, as PeerAnswerErrors', async () => {
    const https = new PeerClient({ baseUrl: 'https://127.0.0.1:1', timeoutMs: 200 });
    await expect(https.getTrace('00000000-0000-4000-8000-000000000001')).rejects.toBeInstanceOf(PeerAnswerError);
    const closed = new PeerClient({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 2000 });
    await expect(closed.listTraces({ limit: 1 })).rejects.toBeInstanceOf(PeerAnswerError);
    // Outlive the deadlines: a timer left behind would fire into a settled question.
    await new Promise((resolve) => setTimeout(resolve, 300));
  });
});
