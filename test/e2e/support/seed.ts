// Traces for the end-to-end tests and the screenshots, posted through the real POST /spans.
//
// `knownTrace` has a hand-checked critical path (test/web/critical-path.test.ts walks the same
// shape); `shopTraffic` is a deterministic mix of e-commerce requests over a few minutes, with a
// few errors and a partial trace. Services that start traces (checkout, search, login) never
// appear as children, so filtering on them means the same with or without the search extension.

export interface SeedSpan {
  trace_id: string;
  span_id: string;
  parent_span_id?: string;
  service: string;
  operation: string;
  /** Exact nanoseconds. */
  start: bigint;
  end: bigint;
  status: 'ok' | 'error';
  tags?: Record<string, string>;
}

const MS = 1_000_000n;

/** A deterministic UUID from two numbers; the first group is mixed so that short ids differ. */
export function seedUuid(kind: number, n: number): string {
  const hex = n.toString(16).padStart(12, '0');
  const head = (Math.imul(n + 1, 0x9e3779b1) ^ Math.imul(kind, 0x85ebca6b)) >>> 0;
  return `${head.toString(16).padStart(8, '0')}-5eed-4000-8000-${hex}`;
}

/** Small deterministic PRNG (mulberry32), so every run seeds the same traces. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface KnownTrace {
  traceId: string;
  spans: SeedSpan[];
  /** Span ids on the critical path. */
  critical: string[];
  orphanId: string;
  errorId: string;
  /** Everything except the orphan. */
  treeIds: string[];
}

/**
 * checkout place_order (400 ms): inventory (10–110, with two sequential db calls), then payment
 * (120–380: fraud check, then bank authorisation); notification and shipping run in parallel and
 * finish early (shipping fails); a cache span names a parent that never arrives.
 */
export function knownTrace(startMs: number, seq = 1): KnownTrace {
  const traceId = seedUuid(0xa11ce, seq);
  const t0 = BigInt(startMs) * MS;
  const id = (n: number): string => seedUuid(0xb0b, seq * 100 + n);
  const at = (ms: number): bigint => t0 + BigInt(ms) * MS;
  const mk = (n: number, parent: number | undefined, service: string, operation: string, s: number, e: number, extra: Partial<SeedSpan> = {}): SeedSpan => ({
    trace_id: traceId,
    span_id: id(n),
    parent_span_id: parent === undefined ? undefined : parent < 0 ? seedUuid(0xdead, seq) : id(parent),
    service,
    operation,
    start: at(s),
    end: at(e),
    status: 'ok',
    ...extra,
  });
  const spans = [
    mk(1, undefined, 'checkout', 'place_order', 0, 400, { tags: { 'http.method': 'POST', 'http.route': '/orders', order_id: 'ord_4242' } }),
    mk(2, 1, 'inventory', 'reserve_stock', 10, 110),
    mk(3, 2, 'postgres', 'SELECT stock', 20, 60, { tags: { 'db.statement': 'SELECT qty FROM stock WHERE sku = $1' } }),
    mk(4, 2, 'redis', 'SET reservation', 65, 100),
    mk(5, 1, 'payment', 'charge', 120, 380, { tags: { amount: '129.90', currency: 'EUR' } }),
    mk(6, 5, 'fraud', 'score', 130, 200),
    mk(7, 5, 'bank', 'authorize', 210, 370, { tags: { 'peer.service': 'acme-bank' } }),
    mk(8, 1, 'notification', 'send_email', 150, 250),
    mk(9, 1, 'shipping', 'quote', 260, 300, { status: 'error', tags: { error: 'carrier timeout' } }),
    mk(10, -1, 'cache', 'warm', 50, 90),
  ];
  return {
    traceId,
    spans,
    critical: [1, 2, 3, 4, 5, 6, 7].map(id),
    orphanId: id(10),
    errorId: id(9),
    treeIds: [1, 2, 3, 4, 5, 6, 7, 8, 9].map(id),
  };
}

export interface Traffic {
  spans: SeedSpan[];
  traceIds: string[];
  /** Trace ids by root service. */
  byRoot: Map<string, string[]>;
  /** Traces with at least one error span. */
  failed: Set<string>;
}

/**
 * `count` traces spread evenly over [fromMs, toMs): mostly checkouts (inventory, payment, and
 * sometimes shipping and notification), some searches and logins. About 1 in 15 fails. Trace
 * `firstIndex + i` always gets the same ids, so separate calls need separate index ranges.
 */
export function shopTraffic(count: number, fromMs: number, toMs: number, seed = 7, firstIndex = 0): Traffic {
  const random = rng(seed);
  const spans: SeedSpan[] = [];
  const traceIds: string[] = [];
  const byRoot = new Map<string, string[]>();
  const failed = new Set<string>();
  const between = (a: number, b: number): number => a + random() * (b - a);
  for (let i = 0; i < count; i++) {
    const traceId = seedUuid(0x7aff1c, firstIndex + i);
    traceIds.push(traceId);
    const startMs = fromMs + ((toMs - fromMs) * (i + random() * 0.5)) / count;
    const t0 = BigInt(Math.floor(startMs)) * MS + BigInt(Math.floor(random() * 1e6));
    let n = 0;
    const add = (parent: SeedSpan | undefined, service: string, operation: string, offMs: number, durMs: number, fail = false): SeedSpan => {
      const s: SeedSpan = {
        trace_id: traceId,
        span_id: seedUuid(0x5ba9, (firstIndex + i) * 64 + n++),
        parent_span_id: parent?.span_id,
        service,
        operation,
        start: t0 + BigInt(Math.round(offMs * 1e6)),
        end: t0 + BigInt(Math.round((offMs + durMs) * 1e6)),
        status: fail ? 'error' : 'ok',
      };
      spans.push(s);
      return s;
    };
    const kind = random();
    const failing = random() < 1 / 15;
    if (failing) failed.add(traceId);
    let root: string;
    if (kind < 0.6) {
      root = 'checkout';
      const slow = random() < 0.1 ? between(300, 900) : 0;
      const inv = between(15, 60);
      const pay = between(40, 160) + slow;
      const total = 5 + inv + pay + 10;
      const r = add(undefined, 'checkout', random() < 0.8 ? 'place_order' : 'apply_coupon', 0, total, false);
      const i1 = add(r, 'inventory', 'reserve_stock', 3, inv);
      add(i1, 'postgres', 'SELECT stock', 4, inv * 0.6);
      const p = add(r, 'payment', 'charge', 5 + inv, pay, failing);
      add(p, 'bank', 'authorize', 8 + inv, pay * 0.8, failing);
      if (random() < 0.5) add(r, 'shipping', 'quote', 5 + inv, between(10, 40));
      if (random() < 0.4) add(r, 'notification', 'send_email', total - 8, 6);
    } else if (kind < 0.85) {
      root = 'search';
      const q = between(8, 70);
      const r = add(undefined, 'search', 'query', 0, q + 4, false);
      add(r, 'catalog', 'lookup', 2, q, failing);
    } else {
      root = 'login';
      const d = between(20, 90);
      const r = add(undefined, 'login', 'authenticate', 0, d + 6, false);
      add(r, 'users', 'verify_password', 3, d, failing);
    }
    byRoot.set(root, [...(byRoot.get(root) ?? []), traceId]);
  }
  return { spans, traceIds, byRoot, failed };
}

/** The POST /spans body, with times written as exact integer literals. */
export function spansBody(spans: readonly SeedSpan[]): string {
  const items = spans.map((s) => {
    let out = `{"trace_id":"${s.trace_id}","span_id":"${s.span_id}"`;
    if (s.parent_span_id !== undefined) out += `,"parent_span_id":"${s.parent_span_id}"`;
    out += `,"service":${JSON.stringify(s.service)},"operation":${JSON.stringify(s.operation)}`;
    out += `,"start_time":${s.start},"end_time":${s.end},"status":"${s.status}"`;
    if (s.tags !== undefined) out += `,"tags":${JSON.stringify(s.tags)}`;
    return out + '}';
  });
  return `{"spans":[${items.join(',')}]}`;
}

/** Posts spans in batches of 500; children before parents in every other batch. */
export async function postSpans(baseUrl: string, spans: readonly SeedSpan[]): Promise<void> {
  for (let i = 0; i < spans.length; i += 500) {
    const batch = spans.slice(i, i + 500);
    const ordered = (i / 500) % 2 === 0 ? batch : [...batch].reverse();
    const response = await fetch(`${baseUrl}/spans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: spansBody(ordered),
    });
    if (response.status !== 202) throw new Error(`POST /spans answered ${response.status}: ${await response.text()}`);
  }
}
