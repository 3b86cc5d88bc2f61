// Request bodies for load generation: emitter-shaped traces with unique ids, built from a
// counter so a long run never repeats an id and the client spends little CPU per span.

const SERVICES = [
  ['checkout', 'place_order'],
  ['inventory', 'reserve_stock'],
  ['payment', 'charge_card'],
  ['shipping', 'create_label'],
  ['notification', 'send_email'],
  ['checkout', 'validate_cart'],
  ['inventory', 'check_stock'],
  ['payment', 'fraud_check'],
  ['shipping', 'quote_rates'],
  ['notification', 'send_sms'],
] as const;

/** A UUID-shaped id unique for (run, counter). */
function idFor(run: string, n: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return `${run}-0000-4000-8000-${hex}`;
}

export interface BodyFactoryOptions {
  /** 8 hex digits distinguishing this generator from others. */
  run: string;
  /** Spans per request body (at least). Emitter-shaped: 10, giving 10–14. */
  spansPerBody: number;
  /** Produce roots with no tags and children with none either (memory measurements). */
  withTags: boolean;
}

/** Creates bodies whose traces start at `nowNs()` (so they fall inside the window). */
export class SpanBodyFactory {
  private counter = 0;
  constructor(private readonly options: BodyFactoryOptions) {}

  /** One body and the number of spans in it. */
  next(nowNs: bigint): { body: string; spans: number } {
    const parts: string[] = [];
    let spans = 0;
    while (spans < this.options.spansPerBody) {
      const traceId = idFor(this.options.run, this.counter++);
      const rootId = idFor(this.options.run, this.counter++);
      const children = 1 + (this.counter % 4);
      const rootStart = nowNs - BigInt(this.counter % 1000) * 1_000_000n;
      const rootEnd = rootStart + 50_000_000n + BigInt((this.counter * 7919) % 450_000_000);
      const [svc, op] = SERVICES[this.counter % SERVICES.length]!;
      const tags = this.options.withTags ? ',"tags":{"http.method":"POST","region":"eu-west-1"}' : '';
      parts.push(
        `{"trace_id":"${traceId}","span_id":"${rootId}","service":"${svc}","operation":"${op}","start_time":${rootStart},"end_time":${rootEnd},"status":"ok"${tags}}`,
      );
      spans++;
      for (let c = 0; c < children; c++) {
        const [csvc, cop] = SERVICES[(this.counter + c + 1) % SERVICES.length]!;
        const start = rootStart + BigInt(c + 1) * 5_000_000n;
        const status = (this.counter + c) % 20 === 0 ? 'error' : 'ok';
        parts.push(
          `{"trace_id":"${traceId}","span_id":"${idFor(this.options.run, this.counter++)}","parent_span_id":"${rootId}","service":"${csvc}","operation":"${cop}","start_time":${start},"end_time":${start + 20_000_000n},"status":"${status}"${tags}}`,
        );
        spans++;
      }
    }
    return { body: `{"spans":[${parts.join(',')}]}`, spans };
  }
}
