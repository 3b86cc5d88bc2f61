// OTLP/JSON → OtlpTraceRequest.
//
// The proto3 JSON mapping with OTLP's deviations (opentelemetry-proto docs/specification.md,
// "JSON Protobuf Encoding"): lowerCamelCase keys, trace and span ids as hex strings, enums as
// integers, unknown fields ignored, 64-bit integers as decimal strings or numbers. Numbers keep
// their literal digits (codec/exact-json.ts), so 19-digit times and int64 attribute values are exact.
//
// What is a 400 here: text that is not JSON, or JSON whose values do not fit the message types
// (a string where an array belongs, "abc" as a time). Values that fit the types but cannot become
// a Traced span (ids of the wrong length, all-zero ids, end before start) are not decoding errors:
// the mapper rejects those spans one by one, and the rest of the request is stored.

import { int64FromJsonNumber } from '../time/nanos.js';
import { parseExactJson, JsonSyntaxError, type ExactJson } from '../codec/exact-json.js';
import {
  OtlpDecodeError,
  UINT64_MAX,
  type AnyValueView,
  type OtlpAttribute,
  type OtlpResourceSpans,
  type OtlpScopeSpans,
  type OtlpSpan,
  type OtlpTraceRequest,
} from './otlp-request.js';
import { tooManySpans } from './request-limits.js';

type JsonObject = Record<string, unknown>;

const SPAN_KIND_NAMES = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS_CODE_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];
const ANY_VALUE_FIELDS = ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] as const;

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function fail(path: string, what: string): never {
  throw new OtlpDecodeError(`${path} ${what}`);
}

/** Compares canonical non-negative decimal texts. */
function exceeds(digits: string, limit: string): boolean {
  return digits.length !== limit.length ? digits.length > limit.length : digits > limit;
}

/** Reads OTLP/JSON values by path; json-logs-request.ts reads log records with the same readers. */
export class JsonRequestReader {
  constructor(protected readonly json: ExactJson) {}

  /** A field's value; null counts as absent, as in the proto3 JSON mapping. */
  protected field(object: JsonObject, key: string): unknown {
    const value = object[key];
    return value === null ? undefined : value;
  }

  protected object(value: unknown, path: string): JsonObject {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'must be an object');
    return value as JsonObject;
  }

  protected array(object: JsonObject, key: string, path: string): unknown[] {
    const value = this.field(object, key);
    if (value === undefined) return [];
    if (!Array.isArray(value)) fail(join(path, key), 'must be an array');
    return value;
  }

  protected string(object: JsonObject, key: string, path: string): string {
    const value = this.field(object, key);
    if (value === undefined) return '';
    if (typeof value !== 'string') fail(join(path, key), 'must be a string');
    return value;
  }

  /** A 64-bit integer as canonical decimal text, from a number (its exact literal) or a string. */
  protected integer64(object: JsonObject, key: string, path: string, signed: boolean): string {
    const value = this.field(object, key);
    if (value === undefined) return '0';
    const where = join(path, key);
    const expected = signed
      ? 'must be a 64-bit integer (a number or a decimal string)'
      : 'must be an unsigned 64-bit integer (a number or a decimal string)';
    let text: string;
    if (typeof value === 'number') text = this.json.numberText(object, key)!;
    // Strings hold plain decimal digits; numbers may use any integral JSON spelling (1.5e3).
    else if (typeof value === 'string' && /^-?\d{1,25}$/.test(value)) text = value;
    else return fail(where, expected);
    const exact = int64FromJsonNumber(text);
    if (exact === 'not-integer') fail(where, expected);
    if (exact !== 'out-of-range') {
      if (!signed && exact.startsWith('-')) fail(where, expected);
      return exact;
    }
    // Beyond int64: only an unsigned (fixed64) field may hold it, up to 2^64 - 1.
    if (signed || !/^\d+$/.test(text)) fail(where, expected);
    const digits = text.replace(/^0+(?=\d)/, '');
    if (exceeds(digits, UINT64_MAX)) fail(where, expected);
    return digits;
  }

  /** An enum or small integer: a number, a decimal string, or (leniently) the value's name. */
  protected enumValue(object: JsonObject, key: string, path: string, names: readonly string[]): number {
    const value = this.field(object, key);
    if (value === undefined) return 0;
    if (typeof value === 'number' && Number.isInteger(value)) return value;
    if (typeof value === 'string') {
      if (/^-?\d{1,10}$/.test(value)) return Number(value);
      const index = names.indexOf(value);
      if (index !== -1) return index;
    }
    return fail(join(path, key), `must be an integer enum value (0..${names.length - 1})`);
  }

  private double(object: JsonObject, key: string, path: string): number {
    const value = this.field(object, key);
    if (typeof value === 'number') return value;
    if (typeof value === 'string') {
      if (value === 'NaN') return NaN;
      if (value === 'Infinity') return Infinity;
      if (value === '-Infinity') return -Infinity;
      const parsed = value.trim() === '' ? NaN : Number(value);
      if (!Number.isNaN(parsed)) return parsed;
    }
    return fail(join(path, key), 'must be a number');
  }

  private bytes(object: JsonObject, key: string, path: string): string {
    const value = this.string(object, key, path);
    if (!/^[A-Za-z0-9+/\-_]*={0,2}$/.test(value)) fail(join(path, key), 'must be base64');
    // Re-encoded so that url-safe or unpadded input gives the same tag text as the standard form.
    return Buffer.from(value, 'base64').toString('base64');
  }

  anyValue(raw: unknown, path: string): AnyValueView {
    if (raw === undefined || raw === null) return { kind: 'empty' };
    const value = this.object(raw, path);
    let found: (typeof ANY_VALUE_FIELDS)[number] | undefined;
    for (const name of ANY_VALUE_FIELDS) {
      if (this.field(value, name) === undefined) continue;
      if (found !== undefined) fail(path, `sets both ${found} and ${name} (a oneof)`);
      found = name;
    }
    switch (found) {
      case undefined:
        return { kind: 'empty' };
      case 'stringValue':
        return { kind: 'string', value: this.string(value, found, path) };
      case 'boolValue': {
        const b = this.field(value, found);
        if (typeof b !== 'boolean') fail(`${path}.boolValue`, 'must be true or false');
        return { kind: 'bool', value: b };
      }
      case 'intValue':
        return { kind: 'int', value: this.integer64(value, found, path, true) };
      case 'doubleValue':
        return { kind: 'double', value: this.double(value, found, path) };
      case 'bytesValue':
        return { kind: 'bytes', base64: this.bytes(value, found, path) };
      case 'arrayValue': {
        const arrayPath = `${path}.arrayValue`;
        const values = this.array(this.object(value.arrayValue, arrayPath), 'values', arrayPath);
        return { kind: 'array', values: values.map((v, i) => this.anyValue(v, `${arrayPath}.values[${i}]`)) };
      }
      case 'kvlistValue': {
        const listPath = `${path}.kvlistValue`;
        const values = this.array(this.object(value.kvlistValue, listPath), 'values', listPath);
        return { kind: 'kvlist', values: this.keyValues(values, `${listPath}.values`) };
      }
    }
  }

  keyValues(list: unknown[], path: string): OtlpAttribute[] {
    const out: OtlpAttribute[] = new Array(list.length);
    for (let i = 0; i < list.length; i++) {
      const itemPath = `${path}[${i}]`;
      const kv = this.object(list[i], itemPath);
      out[i] = { key: this.string(kv, 'key', itemPath), value: this.anyValue(this.field(kv, 'value'), `${itemPath}.value`) };
    }
    return out;
  }

  span(raw: unknown, path: string): OtlpSpan {
    const span = this.object(raw, path);
    const statusRaw = this.field(span, 'status');
    const status = statusRaw === undefined ? undefined : this.object(statusRaw, `${path}.status`);
    let exceptionAttributes: OtlpAttribute[] | undefined;
    const events = this.array(span, 'events', path);
    for (let i = 0; i < events.length; i++) {
      const eventPath = `${path}.events[${i}]`;
      const event = this.object(events[i], eventPath);
      if (this.string(event, 'name', eventPath) === 'exception') {
        exceptionAttributes = this.keyValues(this.array(event, 'attributes', eventPath), `${eventPath}.attributes`);
      }
    }
    return {
      traceId: this.string(span, 'traceId', path),
      spanId: this.string(span, 'spanId', path),
      parentSpanId: this.string(span, 'parentSpanId', path),
      name: this.string(span, 'name', path),
      kind: this.enumValue(span, 'kind', path, SPAN_KIND_NAMES),
      startTimeUnixNano: this.integer64(span, 'startTimeUnixNano', path, false),
      endTimeUnixNano: this.integer64(span, 'endTimeUnixNano', path, false),
      statusCode: status === undefined ? 0 : this.enumValue(status, 'code', `${path}.status`, STATUS_CODE_NAMES),
      statusMessage: status === undefined ? '' : this.string(status, 'message', `${path}.status`),
      attributes: this.keyValues(this.array(span, 'attributes', path), `${path}.attributes`),
      exceptionAttributes,
    };
  }

  request(): OtlpTraceRequest {
    const root = this.object(this.json.value, 'the request body');
    const resourceSpans: OtlpResourceSpans[] = this.array(root, 'resourceSpans', '').map((raw, r) => {
      const rsPath = `resourceSpans[${r}]`;
      const rs = this.object(raw, rsPath);
      const resourceRaw = this.field(rs, 'resource');
      const resource = resourceRaw === undefined ? undefined : this.object(resourceRaw, `${rsPath}.resource`);
      const scopeSpans: OtlpScopeSpans[] = this.array(rs, 'scopeSpans', rsPath).map((rawScope, s) => {
        const ssPath = `${rsPath}.scopeSpans[${s}]`;
        const ss = this.object(rawScope, ssPath);
        return { spans: this.array(ss, 'spans', ssPath).map((rawSpan, k) => this.span(rawSpan, `${ssPath}.spans[${k}]`)) };
      });
      return {
        resourceAttributes:
          resource === undefined ? [] : this.keyValues(this.array(resource, 'attributes', `${rsPath}.resource`), `${rsPath}.resource.attributes`),
        scopeSpans,
      };
    });
    return { resourceSpans };
  }
}

/**
 * Whether the parsed body holds more than `maxItems` spans (or, with the logs keys, log records).
 * Containers of the wrong type count nothing here; the reader reports them.
 */
export function holdsMoreItemsThan(root: unknown, maxItems: number, keys: readonly [string, string, string] = ['resourceSpans', 'scopeSpans', 'spans']): boolean {
  const items = (container: unknown, key: string): unknown[] => {
    const value = typeof container === 'object' && container !== null ? (container as JsonObject)[key] : undefined;
    return Array.isArray(value) ? value : [];
  };
  let count = 0;
  for (const rs of items(root, keys[0])) {
    for (const ss of items(rs, keys[1])) {
      count += items(ss, keys[2]).length;
      if (count > maxItems) return true;
    }
  }
  return false;
}

/**
 * Decodes an OTLP/JSON ExportTraceServiceRequest; throws OtlpDecodeError with the field's path, or
 * when it holds more than `maxSpans` spans (counted before any span is read).
 */
export function decodeJsonTraceRequest(text: string, maxSpans: number): OtlpTraceRequest {
  const json = parseOtlpJson(text);
  if (holdsMoreItemsThan(json.value, maxSpans)) throw tooManySpans(maxSpans);
  return new JsonRequestReader(json).request();
}

/** The body as exact JSON; OtlpDecodeError when it is not JSON. */
export function parseOtlpJson(text: string): ExactJson {
  try {
    return parseExactJson(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new OtlpDecodeError(`the request body is not valid JSON: ${error.message}`);
    throw error;
  }
}
