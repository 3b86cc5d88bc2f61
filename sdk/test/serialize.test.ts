import { describe, expect, it } from 'vitest';
import { InMemoryExporter } from '../src/exporter.js';
import { SimpleSpanProcessor } from '../src/processor.js';
import { encodeIngestRequest, encodeSpan } from '../src/serialize.js';
import { TracedTracer } from '../src/tracer.js';
import { firstItems } from './support/first-items.js';

describe('Traced wire encoding', () => {
  it('writes the contract fields, times as bare int64 digits, tags only when present', async () => {
    const exporter = new InMemoryExporter();
    const tracer = new TracedTracer({ service: 'check"out', processor: new SimpleSpanProcessor(exporter) });
    const remote = { traceId: '550e8400e29b41d4a716446655440000', spanId: '80b400c04fd430c8', traceFlags: 1, isRemote: true };
    tracer.startSpan('place\norder', { parent: remote, startTimeNs: 9223372036854775000n, tags: { order_id: 'ord_123' } }).end(9223372036854775807n);
    tracer.startSpan('root', { parent: null, startTimeNs: 1713484800000000000n }).end(1713484800150000000n);
    await tracer.forceFlush();
    const [child, root] = firstItems(exporter.getFinishedSpans(), 2);

    const childJson = encodeSpan(child);
    expect(childJson).toBe(
      `{"trace_id":"550e8400-e29b-41d4-a716-446655440000","span_id":"${child.spanUuid}",` +
        `"parent_span_id":"00000000-0000-0000-80b4-00c04fd430c8","service":"check\\"out","operation":"place\\norder",` +
        `"start_time":9223372036854775000,"end_time":9223372036854775807,"status":"ok","tags":{"order_id":"ord_123"}}`,
    );
    expect(JSON.parse(childJson)).toMatchObject({ service: 'check"out', operation: 'place\norder' });

    const rootJson = encodeSpan(root);
    expect(rootJson).not.toContain('parent_span_id');
    expect(rootJson).not.toContain('tags');

    const body = encodeIngestRequest([child, root]);
    expect(body).toBe(`{"spans":[${childJson},${rootJson}]}`);
    expect((JSON.parse(body) as { spans: unknown[] }).spans).toHaveLength(2);
  });
});
