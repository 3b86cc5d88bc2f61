// BodyReplay: how an ingest body read before its turn in the queue reaches Fastify again (the
// part of a stream Fastify reads: data and end after resume, once).
import { describe, expect, it } from 'vitest';
import { BodyReplay } from '../../src/http/admission/body-replay.js';

describe('BodyReplay, the body an ingest route read before its turn', () => {
  it('delivers the whole body once, then end, after resume and not before', async () => {
    const body = Buffer.from('{"spans":[]}');
    const replay = new BodyReplay(body, body.length);
    const events: string[] = [];
    replay.on('data', (chunk: Buffer) => events.push(`data ${chunk.toString()}`));
    replay.on('end', () => events.push('end'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual([]);
    replay.resume();
    replay.resume();
    expect(events).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['data {"spans":[]}', 'end']);
    expect(replay.receivedEncodedLength).toBe(body.length);
  });

  it('delivers nothing to listeners removed before it flows', async () => {
    const replay = new BodyReplay(Buffer.from('x'), 1);
    const seen: unknown[] = [];
    const onData = (chunk: unknown) => seen.push(chunk);
    replay.on('data', onData);
    replay.resume();
    replay.removeListener('data', onData);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([]);
  });
});
