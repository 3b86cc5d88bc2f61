// Zipkin v2 JSON request bodies (POST /api/v2/spans) for the ingest benchmark, built like
// body-template.ts builds POST /spans bodies: once as a Buffer, then each request copies it and
// writes fresh ids and times into recorded offsets, so the client costs a memcpy and a few digit
// writes per request and the collector, not the load generator, is what is measured.
//
// The traces have the shape of span-bodies.ts's (a SERVER root and 1–4 CLIENT children across
// five services, two tags each); ids are 32-hex trace ids and 16-hex span ids whose last 12
// digits are a counter, times are epoch µs from the clock at each request.

const SERVICES = ['checkout', 'inventory', 'payment', 'shipping', 'notification'] as const;
const OPERATIONS = ['place_order', 'reserve_stock', 'charge_card', 'create_label', 'send_email'] as const;
const HEX = Buffer.from('0123456789abcdef');
/** 12 hex digits, rewritten per request; the id's leading digits stay as written. */
const SLOT = '000000000000';

export class ZipkinBodyTemplate {
  readonly spans: number;
  private readonly template: Buffer;
  private readonly slots: Array<{ offset: number; group: number }> = [];
  private readonly groups: number;
  /** Offsets of each 16-digit µs timestamp, and its distance from the request's now. */
  private readonly times: Array<{ offset: number; deltaUs: number }> = [];
  private sequence = 0;

  /** `run`: 8 hex digits that keep this run's ids apart from any other's. */
  constructor(run: string, spansPerBody: number) {
    const parts: string[] = [];
    // Placeholders: {G<n>} for id group n's 12-digit slot, {T<delta>} for a timestamp.
    let group = 0;
    let spans = 0;
    let counter = 0;
    while (spans < spansPerBody) {
      const trace = `${run}000000000000{G${group++}}`;
      const root = `0001{G${group++}}`;
      const children = 1 + (counter++ % 4);
      const rootDelta = -((counter * 7919) % 1_000_000);
      const endpoint = (i: number) => `"localEndpoint":{"serviceName":"${SERVICES[i % SERVICES.length]}"}`;
      const tags = '"tags":{"http.method":"POST","region":"eu-west-1"}';
      parts.push(`{"traceId":"${trace}","id":"${root}","name":"${OPERATIONS[counter % OPERATIONS.length]}","kind":"SERVER","timestamp":{T${rootDelta}},"duration":${50_000 + ((counter * 7919) % 450_000)},${endpoint(counter)},${tags}}`);
      spans++;
      for (let c = 0; c < children && spans < spansPerBody; c++) {
        parts.push(`{"traceId":"${trace}","id":"0001{G${group++}}","parentId":"${root}","name":"${OPERATIONS[(counter + c + 1) % OPERATIONS.length]}","kind":"CLIENT","timestamp":{T${rootDelta + (c + 1) * 5000}},"duration":20000,${endpoint(counter + c + 1)},${tags}}`);
        spans++;
      }
    }
    this.spans = spans;
    const text = `[${parts.join(',')}]`;
    // Placeholders become fixed-width text; offsets are taken on the final text, left to right.
    let out = '';
    let last = 0;
    for (const match of text.matchAll(/\{G(\d+)\}|\{T(-?\d+)\}/g)) {
      out += text.slice(last, match.index);
      if (match[1] !== undefined) {
        this.slots.push({ offset: Buffer.byteLength(out), group: Number(match[1]) });
        out += SLOT;
      } else {
        this.times.push({ offset: Buffer.byteLength(out), deltaUs: Number(match[2]) });
        out += '0'.repeat(16);
      }
      last = match.index + match[0].length;
    }
    out += text.slice(last);
    this.template = Buffer.from(out);
    this.groups = group;
  }

  /** A copy of the template with ids no earlier call produced, stamped with the current time. */
  next(): Buffer {
    const out = Buffer.from(this.template);
    const base = this.sequence++ * this.groups;
    for (const { offset, group } of this.slots) {
      let n = base + group + 1; // + 1: never an all-zero id
      for (let d = 11; d >= 0; d--) {
        out[offset + d] = HEX[n & 15]!;
        n = Math.floor(n / 16);
      }
    }
    const nowUs = Date.now() * 1000 + (this.sequence % 1000);
    for (const { offset, deltaUs } of this.times) {
      let n = nowUs + deltaUs;
      for (let d = 15; d >= 0; d--) {
        out[offset + d] = 48 + (n % 10);
        n = Math.floor(n / 10);
      }
    }
    return out;
  }
}
