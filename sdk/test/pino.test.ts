import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { withSpan } from '../src/context.js';
import { pinoTraceMixin } from '../src/pino.js';
import { NonRecordingSpan } from '../src/span.js';
import { TracedTracer } from '../src/tracer.js';
import { firstItems } from './support/first-items.js';

function logger() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { lines, log: pino({ mixin: pinoTraceMixin() }, sink) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('pinoTraceMixin', () => {
  it('adds trace_id and span_id (Traced UUID form) to lines logged inside a span, across await', async () => {
    const { lines, log } = logger();
    const tracer = new TracedTracer({ service: 'api' });
    let ids: { traceUuid: string; spanUuid: string } | undefined;
    await tracer.startActiveSpan('op', async (span) => {
      ids = span as unknown as { traceUuid: string; spanUuid: string };
      await new Promise((resolve) => setImmediate(resolve));
      log.info('inside');
      span.end();
    });
    log.info('outside');
    const [inside, outside] = firstItems(lines, 2);
    expect(inside).toMatchObject({ msg: 'inside', trace_id: ids!.traceUuid, span_id: ids!.spanUuid });
    expect(inside.trace_id).toMatch(UUID);
    expect(inside.span_id).toMatch(/^00000000-0000-0000-/);
    expect(outside.msg).toBe('outside');
    expect(outside).not.toHaveProperty('trace_id');
    expect(lines[1]).not.toHaveProperty('span_id');
  });

  it('uses an extracted remote context too, and honours custom keys', () => {
    const mixin = pinoTraceMixin({ traceIdKey: 'traceId', spanIdKey: 'spanId' });
    const remote = new NonRecordingSpan({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 });
    expect(withSpan(remote, mixin)).toEqual({
      traceId: '4bf92f35-77b3-4da6-a3ce-929d0e0e4736',
      spanId: '00000000-0000-0000-00f0-67aa0ba902b7',
    });
    expect(withSpan(new NonRecordingSpan(), mixin)).toEqual({});
  });
});
