// The internal wire forms: what a store answers survives encoding and decoding exactly (int64
// text, sketches bin for bin), and answers a peer must not be trusted with are refused, each
// with a PeerAnswerError rather than a wrong merge or an exception of another kind.
import { describe, expect, it } from 'vitest';
import {
  decodeDependencies,
  decodeLatency,
  decodeStoreStats,
  decodeTrace,
  decodeTraceList,
  encodeDependencies,
  encodeLatency,
  encodeStoreStats,
  encodeTrace,
  encodeTraceList,
  PeerAnswerError,
} from '../../src/cluster/peer-wire.js';
import { ReferenceStore } from '../../src/store/reference-store.js';
import { ManualClock } from '../../src/time/clock.js';
import { plainDependencies, plainLatency, T0, toSpan } from '../store/differential-commands.js';
import { applySpans } from '../support/store.js';

function filledStore(): ReferenceStore {
  const clock = new ManualClock(T0);
  const store = new ReferenceStore(clock, 2);
  const spans = [];
  for (let trace = 0; trace < 5; trace++) {
    for (let span = 0; span < 4; span++) {
      spans.push(
        toSpan(
          {
            trace,
            span,
            parent: span === 0 ? null : span - 1,
            offsetMs: -trace * 7000 - span,
            subNs: 999_999 - trace,
            // Long and zero durations: bins far apart and the zero bin, max_ns past 2^53.
            durationNs: [0n, 1n, 4_294_967_296n, 9_000_000_000_000_000_123n][span]!,
            error: (trace + span) % 3 === 0,
            tags: span === 2 ? (JSON.parse('{"__proto__":"x","a\\"b":"é"}') as Record<string, string>) : undefined,
            service: trace + span,
            operation: span,
          },
          clock.nowMs(),
          'narrow',
          'tidy',
        ),
      );
    }
  }
  applySpans(store, spans);
  return store;
}

const wire = (text: string): unknown => JSON.parse(text);

describe('peer wire forms', () => {
  it('carry a store\'s answers exactly', async () => {
    const store = filledStore();
    const list = store.listTraces({ limit: 3 });
    expect(list.traces.length).toBe(3);
    expect(decodeTraceList(wire(encodeTraceList(list)), 3)).toEqual(list);
    const id = list.traces[0]!.trace_id;
    const detail = store.getTrace(id);
    expect(detail?.spans.some((s) => s.tags !== undefined && Object.hasOwn(s.tags, '__proto__'))).toBe(true);
    expect(decodeTrace(wire(encodeTrace(detail)), id)).toEqual(detail);
    expect(decodeTrace(wire(encodeTrace(undefined)), id)).toBeUndefined();
    const latency = store.latency({});
    expect(latency.endpoints.length).toBeGreaterThan(3);
    expect(plainLatency(decodeLatency(wire(encodeLatency(latency))))).toEqual(plainLatency(latency));
    const dependencies = store.dependencies({});
    expect(dependencies.links.length).toBeGreaterThan(0);
    expect(plainDependencies(decodeDependencies(wire(encodeDependencies(dependencies))))).toEqual(plainDependencies(dependencies));
    expect(decodeStoreStats(wire(encodeStoreStats(store.stats())))).toEqual(store.stats());
  });

  it('refuse answers that would merge wrongly or allocate without bound', () => {
    const store = filledStore();
    const list = wire(encodeTraceList(store.listTraces({ limit: 3 }))) as { traces: Array<Record<string, unknown>>; total: number };
    const latency = wire(encodeLatency(store.latency({}))) as { endpoints: Array<{ stats: Record<string, unknown> }>; after: string };
    const id = store.listTraces({ limit: 1 }).traces[0]!.trace_id;
    const trace = wire(encodeTrace(store.getTrace(id))) as { trace: { spans: Array<Record<string, unknown>> } };
    const copy = <T>(v: T): T => structuredClone(v);
    const refusals: Array<[string, () => unknown]> = [
      ['not an object', () => decodeTraceList('<html>', 3)],
      ['more traces than the limit', () => decodeTraceList(list, 2)],
      ['a page out of order', () => decodeTraceList({ ...list, traces: [...list.traces].reverse() }, 3)],
      ['a total below the page', () => decodeTraceList({ ...list, total: 1 }, 3)],
      ['a start time past int64', () => decodeTraceList({ ...copy(list), traces: [{ ...list.traces[0], start_time: '9223372036854775808' }] }, 3)],
      ['a start time as a number', () => decodeTraceList({ ...copy(list), traces: [{ ...list.traces[0], start_time: 1 }] }, 3)],
      ['a missing more', () => decodeTraceList({ total: list.total, traces: list.traces }, 3)],
      ['another trace', () => decodeTrace(trace, '00000000-0000-4000-8000-000000000000')],
      ['an uppercase span id', () => decodeTrace({ trace: { ...trace.trace, spans: [{ ...trace.trace.spans[0], span_id: String(trace.trace.spans[0]!.span_id).toUpperCase() }] } }, id)],
      ['a bin past any duration', () => decodeLatency({ ...latency, endpoints: [{ ...latency.endpoints[0], stats: { spans: 1, errors: 0, max_ns: 1, zeros: 0, bins: [[99_999_999, 1]] } }] })],
      ['bins out of order', () => decodeLatency({ ...latency, endpoints: [{ ...latency.endpoints[0], stats: { spans: 2, errors: 0, max_ns: 1, zeros: 0, bins: [[9, 1], [3, 1]] } }] })],
      ['counts that do not add up', () => decodeLatency({ ...latency, endpoints: [{ ...latency.endpoints[0], stats: { spans: 5, errors: 0, max_ns: 1, zeros: 0, bins: [[3, 1]] } }] })],
      ['more errors than spans', () => decodeLatency({ ...latency, endpoints: [{ ...latency.endpoints[0], stats: { spans: 1, errors: 2, max_ns: 1, zeros: 1, bins: [] } }] })],
      ['an empty bin', () => decodeLatency({ ...latency, endpoints: [{ ...latency.endpoints[0], stats: { spans: 1, errors: 0, max_ns: 1, zeros: 1, bins: [[3, 0]] } }] })],
      ['a range bound with a leading zero', () => decodeLatency({ ...latency, after: `0${latency.after}` })],
      ['negative counts', () => decodeStoreStats({ spans: -1, traces: 0, buckets: 0 })],
    ];
    for (const [what, decode] of refusals) expect(decode, what).toThrow(PeerAnswerError);
  });
});
