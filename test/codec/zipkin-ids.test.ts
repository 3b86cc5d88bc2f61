import { describe, expect, it } from 'vitest';
import {
  isZipkinTraceId,
  sharedSpanIdToUuid,
  uuidToZipkinSpanId,
  uuidToZipkinTraceId,
  zipkinSpanIdToUuid,
  zipkinTraceIdToUuid,
  zipkinTraceIdToW3c,
} from '../../src/codec/zipkin-ids.js';
import { traceIdToUuid } from '../../src/codec/w3c-ids.js';

describe('Zipkin/B3 ids ↔ Traced UUIDs', () => {
  it('maps a 128-bit trace id as W3C does, and back', () => {
    expect(zipkinTraceIdToUuid('463AC35C9F6413AD48485A3953BB6124')).toBe('463ac35c-9f64-13ad-4848-5a3953bb6124');
    expect(zipkinTraceIdToUuid('463ac35c9f6413ad48485a3953bb6124')).toBe(traceIdToUuid('463ac35c9f6413ad48485a3953bb6124'));
    expect(uuidToZipkinTraceId('463ac35c-9f64-13ad-4848-5a3953bb6124')).toBe('463ac35c9f6413ad48485a3953bb6124');
  });

  it('left-pads a 64-bit trace id, and writes a zero upper half back as 16 digits', () => {
    expect(zipkinTraceIdToW3c('48485a3953bb6124')).toBe('000000000000000048485a3953bb6124');
    expect(zipkinTraceIdToUuid('48485a3953bb6124')).toBe('00000000-0000-0000-4848-5a3953bb6124');
    expect(zipkinTraceIdToUuid('000000000000000048485a3953bb6124')).toBe('00000000-0000-0000-4848-5a3953bb6124');
    expect(uuidToZipkinTraceId('00000000-0000-0000-4848-5a3953bb6124')).toBe('48485a3953bb6124');
  });

  it.each(['', '48485a3953bb612', '48485a3953bb61240', '463ac35c9f6413ad48485a3953bb612', 'g8485a3953bb6124', '0000000000000000', '0'.repeat(32)])(
    'refuses trace id %j',
    (id) => {
      expect(isZipkinTraceId(id)).toBe(false);
      expect(zipkinTraceIdToUuid(id)).toBeUndefined();
    },
  );

  it('maps span ids as W3C does; the server half of a shared span gets upper bits 1', () => {
    expect(zipkinSpanIdToUuid('6B221D5BC9E6496C')).toBe('00000000-0000-0000-6b22-1d5bc9e6496c');
    expect(sharedSpanIdToUuid('6b221d5bc9e6496c')).toBe('00000000-0000-0001-6b22-1d5bc9e6496c');
    expect(uuidToZipkinSpanId('00000000-0000-0000-6b22-1d5bc9e6496c')).toEqual({ id: '6b221d5bc9e6496c', shared: false });
    expect(uuidToZipkinSpanId('00000000-0000-0001-6b22-1d5bc9e6496c')).toEqual({ id: '6b221d5bc9e6496c', shared: true });
    expect(zipkinSpanIdToUuid('0000000000000000')).toBeUndefined();
    expect(sharedSpanIdToUuid('6b221d5bc9e6496')).toBeUndefined();
  });

  it('writes any stored UUID toward Zipkin, a full random one by its low 64 bits', () => {
    expect(uuidToZipkinSpanId('9f1c2b3a-4d5e-4f60-8a7b-6c5d4e3f2a1b')).toEqual({ id: '8a7b6c5d4e3f2a1b', shared: false });
    expect(uuidToZipkinSpanId('00000000-0000-0000-0000-000000000000')).toEqual({ id: '0000000000000000', shared: false });
    expect(uuidToZipkinTraceId('00000000-0000-0000-0000-000000000000')).toBe('0000000000000000');
    expect(uuidToZipkinSpanId('not-a-uuid')).toBeUndefined();
  });
});
