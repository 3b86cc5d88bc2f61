import { describe, expect, it } from 'vitest';
import { getActiveSpan, suppressTracing, withSpan } from '../src/context.js';
import { InMemoryExporter } from '../src/exporter.js';
import { SimpleSpanProcessor, type SpanProcessor } from '../src/processor.js';
import { RecordingSpan, type ReadableSpan } from '../src/span.js';
import { NoopTracer, TracedTracer } from '../src/tracer.js';
import { firstItems } from './support/first-items.js';

function setup(service = 'checkout') {
  const exporter = new InMemoryExporter();
  const tracer = new TracedTracer({ service, processor: new SimpleSpanProcessor(exporter) });
  const finished = async (): Promise<readonly ReadableSpan[]> => {
    await tracer.forceFlush();
    return exporter.getFinishedSpans();
  };
  return { tracer, exporter, finished };
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe('context propagation', () => {
  it('keeps the span active across await and inside setTimeout / setImmediate callbacks', async () => {
    const { tracer } = setup();
    const seen: unknown[] = [];
    await tracer.startActiveSpan('outer', async (span) => {
      seen.push(getActiveSpan() === span);
      await tick();
      seen.push(getActiveSpan() === span);
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          seen.push(getActiveSpan() === span);
          resolve();
        }, 0),
      );
      await new Promise<void>((resolve) =>
        setImmediate(() => {
          seen.push(getActiveSpan() === span);
          resolve();
        }),
      );
      span.end();
    });
    expect(seen).toEqual([true, true, true, true]);
    expect(getActiveSpan()).toBeUndefined();
  });

  it('keeps concurrent requests apart', async () => {
    const { tracer, finished } = setup();
    const work = (name: string) =>
      tracer.startActiveSpan(name, async (span) => {
        await tick();
        const child = tracer.startSpan(`${name}.child`);
        await tick();
        child.end();
        span.end();
        return span;
      });
    const [a, b] = await Promise.all([work('a'), work('b')]);
    const spans = await finished();
    const childA = spans.find((s) => s.name === 'a.child')!;
    const childB = spans.find((s) => s.name === 'b.child')!;
    expect(childA.parentSpanUuid).toBe((a as RecordingSpan).spanUuid);
    expect(childB.parentSpanUuid).toBe((b as RecordingSpan).spanUuid);
    expect(childA.traceUuid).not.toBe(childB.traceUuid);
  });

  it('nests active spans into one trace and restores the outer one afterwards', async () => {
    const { tracer, finished } = setup();
    tracer.startActiveSpan('root', (root) => {
      tracer.startActiveSpan('child', (child) => {
        tracer.startSpan('grandchild').end();
        child.end();
      });
      expect(getActiveSpan()).toBe(root);
      root.end();
    });
    const [grandchild, child, root] = firstItems(await finished(), 3);
    expect(root.parentSpanUuid).toBeUndefined();
    expect(child.parentSpanUuid).toBe(root.spanUuid);
    expect(grandchild.parentSpanUuid).toBe(child.spanUuid);
    expect(new Set([root.traceUuid, child.traceUuid, grandchild.traceUuid]).size).toBe(1);
  });

  it('does not end the span for you (as in OpenTelemetry) and returns what fn returns', async () => {
    const { tracer, finished } = setup();
    let kept: RecordingSpan | undefined;
    const value = await tracer.startActiveSpan('op', async (span) => {
      kept = span as RecordingSpan;
      return 42;
    });
    expect(value).toBe(42);
    expect(kept?.isRecording()).toBe(true);
    expect(await finished()).toHaveLength(0);
  });

  it('honours explicit parents: a span, an extracted context, or null for a new trace', async () => {
    const { tracer, finished } = setup();
    const remote = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1, isRemote: true, traceState: 'k=v' };
    await tracer.startActiveSpan('active', async (active) => {
      const fromRemote = tracer.startSpan('from-remote', { parent: remote });
      expect(fromRemote.spanContext().traceState).toBe('k=v');
      fromRemote.end();
      tracer.startSpan('fresh', { parent: null }).end();
      active.end();
    });
    const spans = await finished();
    const fromRemote = spans.find((s) => s.name === 'from-remote')!;
    expect(fromRemote.traceUuid).toBe('4bf92f35-77b3-4da6-a3ce-929d0e0e4736');
    expect(fromRemote.parentSpanUuid).toBe('00000000-0000-0000-00f0-67aa0ba902b7');
    expect(fromRemote.parentIsRemote).toBe(true);
    const fresh = spans.find((s) => s.name === 'fresh')!;
    expect(fresh.parentSpanUuid).toBeUndefined();
    expect(fresh.traceUuid).not.toBe(spans.find((s) => s.name === 'active')!.traceUuid);
  });

  it('starts a new trace instead of adopting a malformed hand-built parent context', async () => {
    const { tracer, finished } = setup();
    tracer.startSpan('upper', { parent: { traceId: '4BF92F3577B34DA6A3CE929D0E0E4736', spanId: '00f067aa0ba902b7', traceFlags: 1 } }).end();
    tracer.startSpan('short', { parent: { traceId: 'abc', spanId: '00f067aa0ba902b7', traceFlags: 1 } }).end();
    for (const span of await finished()) {
      expect(span.parentSpanUuid).toBeUndefined();
      expect(span.traceUuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
  });

  it('uses a legacy full-UUID parent id verbatim', async () => {
    const { tracer, finished } = setup();
    tracer
      .startSpan('s', {
        parent: { traceId: '550e8400e29b41d4a716446655440000', spanId: '80b400c04fd430c8', traceFlags: 1, isRemote: true, tracedSpanId: '6ba7b810-9dad-11d1-80b4-00c04fd430c8' },
      })
      .end();
    expect((await finished())[0]?.parentSpanUuid).toBe('6ba7b810-9dad-11d1-80b4-00c04fd430c8');
  });

  it('records nothing while tracing is suppressed', async () => {
    const { tracer, finished } = setup();
    suppressTracing(() => {
      const span = tracer.startSpan('hidden');
      expect(span.isRecording()).toBe(false);
      span.end();
      tracer.startActiveSpan('hidden-too', (s) => s.end());
    });
    expect(await finished()).toHaveLength(0);
  });
});

describe('spans', () => {
  it('writes the span with service, name, kind and exact ns times', async () => {
    const { tracer, finished } = setup('inventory');
    const span = tracer.startSpan('reserve', { kind: 'client', startTimeNs: 1713484800000000001n, tags: { n: 1 } });
    span.end(1713484800150000003n);
    const [s] = firstItems(await finished(), 1);
    expect(s).toMatchObject({ service: 'inventory', name: 'reserve', kind: 'client', status: 'ok' });
    expect(s.startTimeNs).toBe(1713484800000000001n);
    expect(s.endTimeNs).toBe(1713484800150000003n);
    expect(s.tags).toEqual({ 'span.kind': 'client', n: '1' });
  });

  it('takes real time from the anchored clock: now, and end >= start', async () => {
    const { tracer, finished } = setup();
    const before = BigInt(Date.now()) * 1_000_000n;
    tracer.startSpan('timed').end();
    const [s] = firstItems(await finished(), 1);
    expect(s.startTimeNs >= before - 5_000_000n).toBe(true);
    expect(s.startTimeNs <= BigInt(Date.now() + 5) * 1_000_000n).toBe(true);
    expect(s.endTimeNs >= s.startTimeNs).toBe(true);
  });

  it('stringifies tag values', async () => {
    const { tracer, finished } = setup();
    tracer
      .startSpan('t')
      .setTag('n', 42)
      .setTag('b', false)
      .setTag('big', 2n ** 70n)
      .setTag('o', { a: [1] })
      .setTag('u', undefined)
      .setTag('__proto__', 'safe')
      .end();
    const [s] = firstItems(await finished(), 1);
    expect({ ...s.tags }).toEqual({ n: '42', b: 'false', big: '1180591620717411303424', o: '{"a":[1]}', u: 'undefined', ['__proto__']: 'safe' });
  });

  it('keeps within the contract: 50 tags, 1024-character values, 256-character names', async () => {
    const { tracer, finished } = setup();
    const span = tracer.startSpan('x'.repeat(300));
    for (let i = 0; i < 60; i++) span.setTag(`k${i}`, i);
    span.setTag('k0', 'y'.repeat(2000)); // overwriting an existing key is still allowed
    span.setTag('emoji', '😀'.repeat(600));
    span.end();
    const [s] = firstItems(await finished(), 1);
    expect(Object.keys(s.tags)).toHaveLength(50);
    expect(s.tags.k0).toHaveLength(1024);
    expect(s.name).toHaveLength(256);
  });

  it('drops a tag whose key is longer than the collector takes (256 characters)', async () => {
    const { tracer, finished } = setup();
    tracer.startSpan('t').setTag('k'.repeat(257), 'x').setTag('k'.repeat(256), 'kept').end();
    const [s] = firstItems(await finished(), 1);
    expect(Object.keys(s.tags)).toEqual(['k'.repeat(256)]);
  });

  it('cuts a value without splitting a surrogate pair', async () => {
    const { tracer, finished } = setup();
    tracer.startSpan('t').setTag('v', 'a' + '😀'.repeat(600)).end();
    const [s] = firstItems(await finished(), 1);
    expect(s.tags.v?.length).toBe(1023);
    expect(s.tags.v?.endsWith('😀')).toBe(true);
  });

  it('recordException sets error and the exception tags', async () => {
    const { tracer, finished } = setup();
    tracer.startSpan('a').recordException(new TypeError('bad input')).end();
    tracer.startSpan('b').recordException('plain string').end();
    const [a, b] = firstItems(await finished(), 2);
    expect(a.status).toBe('error');
    expect(a.tags).toMatchObject({ 'exception.type': 'TypeError', 'exception.message': 'bad input' });
    expect(b.tags).toMatchObject({ 'exception.type': 'string', 'exception.message': 'plain string' });
  });

  it('end() is idempotent and freezes the span', async () => {
    const { tracer, finished } = setup();
    const span = tracer.startSpan('once', { startTimeNs: 10n ** 18n });
    span.end(10n ** 18n + 5n);
    span.end(10n ** 18n + 9n);
    span.setTag('late', 1).setStatus('error').updateName('renamed');
    const spans = await finished();
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({ name: 'once', status: 'ok', endTimeNs: 10n ** 18n + 5n });
    expect(spans[0]!.tags.late).toBeUndefined();
  });

  it('never lets a throwing processor reach application code', () => {
    const broken: SpanProcessor = {
      onStart: () => { throw new Error('start'); },
      onEnd: () => { throw new Error('end'); },
      forceFlush: () => Promise.reject(new Error('flush')),
      shutdown: () => Promise.reject(new Error('shutdown')),
    };
    const tracer = new TracedTracer({ service: 's', processor: broken });
    expect(() => tracer.startSpan('x').end()).not.toThrow();
    return expect(Promise.all([tracer.forceFlush(), tracer.shutdown()])).resolves.toBeDefined();
  });

  it('rejects a missing or over-long service name at construction', () => {
    expect(() => new TracedTracer({ service: '' })).toThrow(RangeError);
    expect(() => new TracedTracer({ service: 's'.repeat(257) })).toThrow(RangeError);
  });
});

describe('NoopTracer', () => {
  it('records nothing but keeps the parent context for propagation', () => {
    const tracer = new NoopTracer();
    const remote = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 };
    const span = tracer.startSpan('x', { parent: remote });
    expect(span.isRecording()).toBe(false);
    expect(span.spanContext()).toBe(remote);
    withSpan(span, () => expect(tracer.startSpan('y').spanContext().traceId).toBe(remote.traceId));
  });
});
