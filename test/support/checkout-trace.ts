// A four-span checkout trace with a failed payment, for store tests: a root, two children and
// a grandchild, 5 s before `nowMs`, with tags on two spans (one empty).
import type { IngestSpan } from '../../src/store/trace-store.js';
import { nsAt, span, uuid } from './spans.js';

export const CHECKOUT_TRACE = uuid(1, 0x7ace);

/** Root uuid(10) at nowMs − 5 s; children uuid(11), uuid(12) (error); grandchild uuid(13) under uuid(12). */
export function checkoutTrace(nowMs: number): IngestSpan[] {
  const t0 = nsAt(nowMs - 5000, 123_456_789n);
  const at = (ms: number): string => (BigInt(t0) + BigInt(ms) * 1_000_000n).toString();
  return [
    span({ traceId: CHECKOUT_TRACE, spanId: uuid(10), startTime: t0, endTime: at(480), service: 'checkout', operation: 'place_order' }),
    span({ traceId: CHECKOUT_TRACE, spanId: uuid(11), parentSpanId: uuid(10), startTime: at(20), endTime: at(100), service: 'inventory', operation: 'reserve_stock' }),
    span({ traceId: CHECKOUT_TRACE, spanId: uuid(12), parentSpanId: uuid(10), startTime: at(110), endTime: at(400), service: 'payment', operation: 'charge_card', error: true, tags: { 'http.status': '502' } }),
    span({ traceId: CHECKOUT_TRACE, spanId: uuid(13), parentSpanId: uuid(12), startTime: at(120), endTime: at(390), service: 'payment', operation: 'call_gateway', tags: {} }),
  ];
}
