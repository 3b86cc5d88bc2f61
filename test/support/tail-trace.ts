// The trace the tail-sampling tests post: a root in service checkout lasting `rootMs` (plus
// `extraNs`), and two children in payment, the first failing when `error` is set. Ids are
// `uuid(n, traceSalt)` for the trace and `uuid(n * 10 + k, spanSalt)` for its spans.
import type { WireSpanInput } from './http.js';
import { uuid } from './spans.js';

export interface TailTraceOptions {
  n: number;
  startNs: bigint;
  rootMs: number;
  traceSalt: number;
  spanSalt: number;
  error?: boolean;
  extraNs?: bigint;
}

export function tailTrace(o: TailTraceOptions): WireSpanInput[] {
  const traceId = uuid(o.n, o.traceSalt);
  const root = uuid(o.n * 10, o.spanSalt);
  const spans: WireSpanInput[] = [{ trace_id: traceId, span_id: root, service: 'checkout', operation: 'pay', start_time: o.startNs.toString(), end_time: (o.startNs + BigInt(o.rootMs) * 1_000_000n + (o.extraNs ?? 0n)).toString() }];
  for (let k = 1; k <= 2; k++) {
    spans.push({
      trace_id: traceId,
      span_id: uuid(o.n * 10 + k, o.spanSalt),
      parent_span_id: root,
      service: 'payment',
      operation: 'charge',
      start_time: (o.startNs + BigInt(k) * 1_000_000n).toString(),
      end_time: (o.startNs + BigInt(k + 3) * 1_000_000n).toString(),
      status: o.error === true && k === 1 ? 'error' : 'ok',
    });
  }
  return spans;
}
