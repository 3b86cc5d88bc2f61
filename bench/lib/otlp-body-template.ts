// OTLP/protobuf ExportTraceServiceRequest messages for the ingest benchmark (POST /v1/traces and
// the gRPC TraceService/Export), built like body-template.ts and zipkin-body-template.ts: encoded
// once, then each request copies the bytes and writes fresh ids and times at recorded offsets
// (ids and fixed64 times have fixed widths), so the load generator costs a memcpy per request.
//
// The traces have the shape of the Zipkin template's (a SERVER root and 1–4 CLIENT children across
// five services, two attributes each); the spans of each service sit in that service's
// ResourceSpans, as a fleet of SDKs would send them after a Collector's batching.

const SERVICES = ['checkout', 'inventory', 'payment', 'shipping', 'notification'] as const;
const OPERATIONS = ['place_order', 'reserve_stock', 'charge_card', 'create_label', 'send_email'] as const;

/** Bytes with the places to rewrite: `id` slots (6 counter bytes) and `time` slots (fixed64 ns). */
interface Encoded {
  bytes: Buffer;
  ids: Array<{ offset: number; group: number }>;
  times: Array<{ offset: number; deltaNs: bigint }>;
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

/** Concatenates parts, shifting their marks; a part may be plain bytes. */
function concat(parts: Array<Encoded | Buffer>): Encoded {
  const out: Encoded = { bytes: Buffer.alloc(0), ids: [], times: [] };
  const chunks: Buffer[] = [];
  let at = 0;
  for (const part of parts) {
    const e = Buffer.isBuffer(part) ? { bytes: part, ids: [], times: [] } : part;
    for (const id of e.ids) out.ids.push({ offset: id.offset + at, group: id.group });
    for (const t of e.times) out.times.push({ offset: t.offset + at, deltaNs: t.deltaNs });
    chunks.push(e.bytes);
    at += e.bytes.length;
  }
  out.bytes = Buffer.concat(chunks);
  return out;
}

/** A length-delimited field (wire type 2) holding `inner`. */
function field(number: number, inner: Encoded | Buffer): Encoded {
  const e = Buffer.isBuffer(inner) ? { bytes: inner, ids: [], times: [] } : inner;
  return concat([Buffer.from([(number << 3) | 2]), varint(e.bytes.length), e]);
}

const text = (s: string) => Buffer.from(s);
const keyValue = (key: string, value: string) => concat([field(1, text(key)), field(2, field(1, text(value)))]);

/** A 16-byte trace id (run, zeros, 6-byte slot) or an 8-byte span id (0x0001, 6-byte slot). */
function id(prefix: Buffer, group: number): Encoded {
  return { bytes: Buffer.concat([prefix, Buffer.alloc(6)]), ids: [{ offset: prefix.length, group }], times: [] };
}

function fixed64Time(fieldNumber: number, deltaNs: bigint): Encoded {
  return { bytes: Buffer.concat([Buffer.from([(fieldNumber << 3) | 1]), Buffer.alloc(8)]), ids: [], times: [{ offset: 1, deltaNs }] };
}

export class OtlpBodyTemplate {
  readonly spans: number;
  private readonly template: Buffer;
  private readonly ids: Encoded['ids'];
  private readonly times: Encoded['times'];
  private readonly groups: number;
  private sequence = 0;

  /** `run`: 8 hex digits that keep this run's ids apart from any other's. */
  constructor(run: string, spansPerBody: number) {
    const traceIdPrefix = Buffer.concat([Buffer.from(run, 'hex'), Buffer.alloc(6)]);
    const spanIdPrefix = Buffer.from([0, 1]);
    const byService: Encoded[][] = SERVICES.map(() => []);
    let group = 0;
    let spans = 0;
    let counter = 0;
    const attributes = concat([field(9, keyValue('http.method', 'POST')), field(9, keyValue('region', 'eu-west-1'))]);
    while (spans < spansPerBody) {
      const traceGroup = group++;
      const rootGroup = group++;
      const children = 1 + (counter++ % 4);
      const rootDelta = -BigInt((counter * 7919) % 1_000_000) * 1000n;
      const span = (spanGroup: number, parent: number | undefined, name: string, kind: number, startDelta: bigint, durationNs: bigint) =>
        concat([
          field(1, id(traceIdPrefix, traceGroup)),
          field(2, id(spanIdPrefix, spanGroup)),
          ...(parent === undefined ? [] : [field(4, id(spanIdPrefix, parent))]),
          field(5, text(name)),
          Buffer.from([6 << 3, kind]),
          fixed64Time(7, startDelta),
          fixed64Time(8, startDelta + durationNs),
          attributes,
        ]);
      byService[counter % SERVICES.length]!.push(span(rootGroup, undefined, OPERATIONS[counter % OPERATIONS.length]!, 2, rootDelta, BigInt(50_000 + ((counter * 7919) % 450_000)) * 1000n));
      spans++;
      for (let c = 0; c < children && spans < spansPerBody; c++) {
        const start = rootDelta + BigInt((c + 1) * 5000) * 1000n;
        byService[(counter + c + 1) % SERVICES.length]!.push(span(group++, rootGroup, OPERATIONS[(counter + c + 1) % OPERATIONS.length]!, 3, start, 20_000_000n));
        spans++;
      }
    }
    const resourceSpans = byService.flatMap((list, s) =>
      list.length === 0
        ? []
        : [field(1, concat([field(1, field(1, keyValue('service.name', SERVICES[s]!))), field(2, concat([field(1, field(1, text('bench'))), ...list.map((sp) => field(2, sp))]))]))],
    );
    const message = concat(resourceSpans);
    this.spans = spans;
    this.template = message.bytes;
    this.ids = message.ids;
    this.times = message.times;
    this.groups = group;
  }

  /** A copy of the template with ids no earlier call produced, stamped with the current time. */
  next(): Buffer {
    const out = Buffer.from(this.template);
    const base = this.sequence++ * this.groups;
    for (const { offset, group } of this.ids) out.writeUIntBE(base + group + 1, offset, 6); // + 1: never all zero
    const nowNs = BigInt(Date.now()) * 1_000_000n + BigInt(this.sequence % 1000);
    for (const { offset, deltaNs } of this.times) out.writeBigUInt64LE(nowNs + deltaNs, offset);
    return out;
  }
}
