// Zipkin's proto3 ListOfSpans (POST /api/v2/spans as application/x-protobuf) → the same span
// objects the JSON body holds, so that one schema (schemas/zipkin.ts) and one mapping
// (map-spans.ts) serve both encodings.
//
// A reader of its own rather than protobufjs: protobufjs decodes strings with replacement, which
// would store an invalid name as U+FFFD and answer 202, and its errors name byte offsets, not
// fields. The wire format is openzipkin/zipkin-api's zipkin.proto (package zipkin.proto3):
//   ListOfSpans  1 spans (Span, repeated)
//   Span         1 trace_id bytes (8 or 16)   2 parent_id bytes (8)   3 id bytes (8)
//                4 kind enum (1 CLIENT, 2 SERVER, 3 PRODUCER, 4 CONSUMER)   5 name string
//                6 timestamp fixed64 µs   7 duration uint64 µs   8 local_endpoint   9 remote_endpoint
//                10 annotations (repeated)   11 tags map<string, string>   12 debug bool   13 shared bool
//   Endpoint     1 service_name string   2 ipv4 bytes (4)   3 ipv6 bytes (16)   4 port int32
//   Annotation   1 timestamp fixed64 µs   2 value string
// Zero and empty values are absent, as proto3 and zipkin.proto say. Unknown fields are skipped.

import { isUtf8 } from 'node:buffer';

/** Why a body is not a ListOfSpans this collector can read, naming the field. */
export class ZipkinProtoError extends Error {}

const KINDS = ['', 'CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER'] as const;

/** A bounded view of the body; every read checks its end. */
class WireReader {
  constructor(
    private readonly buf: Buffer,
    public pos: number,
    private readonly end: number,
    private readonly where: string,
  ) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  private truncated(): never {
    throw new ZipkinProtoError(`${this.where || 'the request body'}: truncated protobuf`);
  }

  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.end) this.truncated();
      const byte = this.buf[this.pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result & 0xffffffffffffffffn;
    }
    throw new ZipkinProtoError(`${this.where || 'the request body'}: malformed varint`);
  }

  fixed64(): bigint {
    if (this.end - this.pos < 8) this.truncated();
    const value = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return value;
  }

  /** A length-delimited field: its [start, end) in the body. */
  delimited(): [number, number] {
    const length = this.varint();
    if (length > BigInt(this.end - this.pos)) this.truncated();
    const start = this.pos;
    this.pos += Number(length);
    return [start, this.pos];
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.fixed64();
    else if (wireType === 2) this.delimited();
    else if (wireType === 5) {
      if (this.end - this.pos < 4) this.truncated();
      this.pos += 4;
    } else throw new ZipkinProtoError(`${this.where || 'the request body'}: unsupported protobuf wire type ${wireType}`);
  }

  /** The next field's number and wire type. */
  tag(): [number, number] {
    const key = Number(this.varint());
    if (key >>> 3 === 0) throw new ZipkinProtoError(`${this.where || 'the request body'}: invalid protobuf field number 0`);
    return [key >>> 3, key & 7];
  }

  sub(range: [number, number], where: string): WireReader {
    return new WireReader(this.buf, range[0], range[1], where);
  }

  bytes([start, end]: [number, number]): Buffer {
    return this.buf.subarray(start, end);
  }

  string(range: [number, number], field: string): string {
    const bytes = this.bytes(range);
    if (!isUtf8(bytes)) throw new ZipkinProtoError(`${field}: not valid UTF-8`);
    return bytes.toString('utf8');
  }
}

function expectWireType(actual: number, expected: number, field: string): void {
  if (actual !== expected) throw new ZipkinProtoError(`${field}: wrong protobuf wire type ${actual} (expected ${expected})`);
}

/** µs as a JSON-safe number, or why not (the schema's limit, said for the protobuf field). */
function micros(value: bigint, field: string): number | undefined {
  if (value === 0n) return undefined;
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipkinProtoError(`${field} must be <= ${Number.MAX_SAFE_INTEGER}`);
  return Number(value);
}

function idHex(bytes: Buffer, field: string, lengths: readonly number[]): string | undefined {
  if (bytes.length === 0) return undefined;
  if (!lengths.includes(bytes.length)) throw new ZipkinProtoError(`${field} must be ${lengths.join(' or ')} bytes, got ${bytes.length}`);
  return bytes.toString('hex');
}

function ipv6Text(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':');
}

function readEndpoint(r: WireReader, where: string): Record<string, unknown> {
  const endpoint: Record<string, unknown> = {};
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === 1) {
      expectWireType(wire, 2, `${where}.serviceName`);
      const name = r.string(r.delimited(), `${where}.serviceName`);
      if (name !== '') endpoint.serviceName = name;
    } else if (field === 2 || field === 3) {
      const name = field === 2 ? 'ipv4' : 'ipv6';
      expectWireType(wire, 2, `${where}.${name}`);
      const bytes = r.bytes(r.delimited());
      if (bytes.length === 0) continue;
      if (bytes.length !== (field === 2 ? 4 : 16)) throw new ZipkinProtoError(`${where}.${name} must be ${field === 2 ? 4 : 16} bytes, got ${bytes.length}`);
      endpoint[name] = field === 2 ? [...bytes].join('.') : ipv6Text(bytes);
    } else if (field === 4) {
      expectWireType(wire, 0, `${where}.port`);
      // int32: a negative port arrives sign-extended; the schema refuses it by range.
      const port = BigInt.asIntN(32, r.varint());
      if (port !== 0n) endpoint.port = Number(port);
    } else r.skip(wire);
  }
  return endpoint;
}

function readAnnotation(r: WireReader, where: string): Record<string, unknown> {
  const annotation: Record<string, unknown> = {};
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === 1) {
      expectWireType(wire, 1, `${where}.timestamp`);
      annotation.timestamp = micros(r.fixed64(), `${where}.timestamp`) ?? 0;
    } else if (field === 2) {
      expectWireType(wire, 2, `${where}.value`);
      annotation.value = r.string(r.delimited(), `${where}.value`);
    } else r.skip(wire);
  }
  annotation.timestamp ??= 0;
  annotation.value ??= '';
  return annotation;
}

function readTag(r: WireReader, where: string, tags: Record<string, string>): void {
  let key = '';
  let value = '';
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === 1 || field === 2) {
      expectWireType(wire, 2, `${where}.tags`);
      const text = r.string(r.delimited(), field === 1 ? `${where}.tags: a key` : `${where}.tags`);
      if (field === 1) key = text;
      else value = text;
    } else r.skip(wire);
  }
  // defineProperty: a "__proto__" key stays an ordinary tag.
  Object.defineProperty(tags, key, { value, enumerable: true, writable: true, configurable: true });
}

function readSpan(r: WireReader, where: string): Record<string, unknown> {
  const span: Record<string, unknown> = {};
  const annotations: Array<Record<string, unknown>> = [];
  const tags: Record<string, string> = {};
  let hasTags = false;
  while (!r.done) {
    const [field, wire] = r.tag();
    switch (field) {
      case 1:
      case 2:
      case 3: {
        const name = field === 1 ? 'traceId' : field === 2 ? 'parentId' : 'id';
        expectWireType(wire, 2, `${where}.${name}`);
        const hex = idHex(r.bytes(r.delimited()), `${where}.${name}`, field === 1 ? [8, 16] : [8]);
        if (hex !== undefined) span[name] = hex;
        break;
      }
      case 4: {
        expectWireType(wire, 0, `${where}.kind`);
        const kind = r.varint();
        if (kind > 4n) throw new ZipkinProtoError(`${where}.kind must be one of: 0, 1 (CLIENT), 2 (SERVER), 3 (PRODUCER), 4 (CONSUMER)`);
        if (kind !== 0n) span.kind = KINDS[Number(kind)];
        break;
      }
      case 5: {
        expectWireType(wire, 2, `${where}.name`);
        const name = r.string(r.delimited(), `${where}.name`);
        if (name !== '') span.name = name;
        break;
      }
      case 6:
        expectWireType(wire, 1, `${where}.timestamp`);
        span.timestamp = micros(r.fixed64(), `${where}.timestamp`);
        break;
      case 7:
        expectWireType(wire, 0, `${where}.duration`);
        span.duration = micros(r.varint(), `${where}.duration`);
        break;
      case 8:
      case 9: {
        const name = field === 8 ? 'localEndpoint' : 'remoteEndpoint';
        expectWireType(wire, 2, `${where}.${name}`);
        span[name] = readEndpoint(r.sub(r.delimited(), `${where}.${name}`), `${where}.${name}`);
        break;
      }
      case 10: {
        const at = `${where}.annotations[${annotations.length}]`;
        expectWireType(wire, 2, at);
        annotations.push(readAnnotation(r.sub(r.delimited(), at), at));
        break;
      }
      case 11:
        expectWireType(wire, 2, `${where}.tags`);
        readTag(r.sub(r.delimited(), `${where}.tags`), where, tags);
        hasTags = true;
        break;
      case 12:
      case 13: {
        const name = field === 12 ? 'debug' : 'shared';
        expectWireType(wire, 0, `${where}.${name}`);
        if (r.varint() !== 0n) span[name] = true;
        break;
      }
      default:
        r.skip(wire);
    }
  }
  for (const key of Object.keys(span)) if (span[key] === undefined) delete span[key];
  if (annotations.length > 0) span.annotations = annotations;
  if (hasTags) span.tags = tags;
  return span;
}

/**
 * The spans of a ListOfSpans body, shaped as Zipkin v2 JSON spans (not yet schema-checked), or a
 * ZipkinProtoError naming the field. More than `maxSpans` spans is an error found before any span
 * is decoded.
 */
export function decodeListOfSpans(body: Buffer, maxSpans: number): Array<Record<string, unknown>> {
  const top = new WireReader(body, 0, body.length, '');
  const ranges: Array<[number, number]> = [];
  while (!top.done) {
    const [field, wire] = top.tag();
    if (field !== 1) {
      top.skip(wire);
      continue;
    }
    expectWireType(wire, 2, `[${ranges.length}]`);
    ranges.push(top.delimited());
    if (ranges.length > maxSpans) {
      throw new ZipkinProtoError(`the request holds more than ${maxSpans} spans, the limit (MAX_OTLP_SPANS_PER_REQUEST)`);
    }
  }
  return ranges.map((range, i) => readSpan(top.sub(range, `[${i}]`), `[${i}]`));
}
