// Emitter-shaped traces (tools/emit/traffic.ts) built straight as store input, fast enough to
// feed millions of traces in-process: a root of 50–500 ms and 1–4 children in a random tree over
// the emitter's catalogue, 5% of spans failed, seeded, no BigInt on the hot path.

import type { IngestSpan } from '../../src/store/trace-store.js';
import { nsFromParts } from '../../src/time/nanos.js';

export const CATALOGUE: ReadonlyArray<readonly [string, string]> = [
  ['checkout', 'place_order'],
  ['checkout', 'validate_cart'],
  ['inventory', 'reserve_stock'],
  ['inventory', 'check_availability'],
  ['payment', 'charge_card'],
  ['payment', 'refund'],
  ['shipping', 'create_label'],
  ['shipping', 'quote_rates'],
  ['notification', 'send_email'],
  ['notification', 'send_sms'],
];

export const ERROR_RATE = 0.05;

export interface SyntheticTrace {
  traceId: string;
  spans: IngestSpan[];
  rootDurationMs: number;
  error: boolean;
}

export interface SyntheticOptions {
  seed?: number;
  /** Tags on the root: none (the memory target's shape) or a user id among `users`. */
  userTags?: { users: number };
  /** Id prefix (8 hex digits), to tell runs apart. */
  run?: number;
}

const HEX = '0123456789abcdef';

function hex(n: number, digits: number): string {
  let out = '';
  for (let i = 0; i < digits; i++) {
    out = HEX[n % 16]! + out;
    n = Math.floor(n / 16);
  }
  return out;
}

export class SyntheticTraces {
  private state: number;
  private next = 0;
  private readonly run: string;

  constructor(private readonly options: SyntheticOptions = {}) {
    this.state = (options.seed ?? 1) >>> 0 || 1;
    this.run = hex(options.run ?? 0x5e7c, 8);
  }

  /** xorshift32, in [0, 1). */
  random(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 4294967296;
  }

  private id(kind: number, n: number): string {
    return `${this.run}-${hex(kind, 4)}-4${hex(n >>> 24, 3)}-8${hex((n >>> 12) & 0xfff, 3)}-${hex(n & 0xfff, 4)}${hex(n * 7919, 8)}`;
  }

  /** A trace whose root starts at `startSec` s + `startNs` ns (unix). */
  trace(startSec: number, startNs: number): SyntheticTrace {
    const n = this.next++;
    const traceId = this.id(0, n);
    const rootDurationNs = 50_000_000 + Math.floor(this.random() * 450_000_000);
    const spans: IngestSpan[] = [];
    const starts: number[] = [0];
    const durations: number[] = [rootDurationNs];
    const ids: string[] = [this.id(1, n)];
    let error = false;
    const rootKind = CATALOGUE[Math.floor(this.random() * CATALOGUE.length)]!;
    const rootError = this.random() < ERROR_RATE;
    error ||= rootError;
    spans.push({
      traceId,
      spanId: ids[0]!,
      parentSpanId: undefined,
      service: rootKind[0],
      operation: rootKind[1],
      startTime: nsFromParts(startSec, startNs),
      endTime: at(startSec, startNs, rootDurationNs),
      error: rootError,
      tags: this.options.userTags === undefined ? undefined : { 'http.method': 'POST', 'user.id': `u${Math.floor(this.random() * this.options.userTags.users)}` },
    });
    const children = 1 + Math.floor(this.random() * 4);
    for (let k = 1; k <= children; k++) {
      const parent = Math.floor(this.random() * k);
      const kind = CATALOGUE[Math.floor(this.random() * CATALOGUE.length)]!;
      const offset = starts[parent]! + Math.floor((this.random() * durations[parent]!) / 2);
      const duration = Math.floor(this.random() * (starts[parent]! + durations[parent]! - offset));
      const failed = this.random() < ERROR_RATE;
      error ||= failed;
      ids.push(this.id(1 + k, n));
      starts.push(offset);
      durations.push(duration);
      spans.push({
        traceId,
        spanId: ids[k]!,
        parentSpanId: ids[parent]!,
        service: kind[0],
        operation: kind[1],
        startTime: at(startSec, startNs, offset),
        endTime: at(startSec, startNs, offset + duration),
        error: failed,
        tags: undefined,
      });
    }
    return { traceId, spans, rootDurationMs: Math.floor(rootDurationNs / 1e6), error };
  }
}

function at(sec: number, ns: number, plusNs: number): string {
  const total = ns + plusNs;
  const carry = Math.floor(total / 1e9);
  return nsFromParts(sec + carry, total - carry * 1e9);
}
