// Fixtures for the HTTP contract tests (test/http/contract-*.test.ts): one 19-digit time with
// non-zero low digits, span builders that give each trace and span a recognisable id, and the
// checks the tests repeat on answers (202 counts, the error message, a trace read by id).

import { expect } from 'vitest';
import type { Api, JsonObject, WireSpanInput } from './http.js';
import { uuid } from './spans.js';

/** 2024-04-19T00:00:00.123456789Z: 19 digits, non-zero low digits, 10 minutes before the clock. */
export const T = '1713484800123456789';
export const WINDOW_MINUTES = 30;

export function add(ns: string, delta: bigint): string {
  return (BigInt(ns) + delta).toString();
}
export const traceId = (n: number): string => uuid(n, 0xa);
export const spanId = (n: number): string => uuid(n, 0xb);

export function root(n: number, start: string, extra: Partial<WireSpanInput> = {}): WireSpanInput {
  return { trace_id: traceId(n), span_id: spanId(n * 100), start_time: start, ...extra };
}
export function child(n: number, k: number, start: string, extra: Partial<WireSpanInput> = {}): WireSpanInput {
  return { trace_id: traceId(n), span_id: spanId(n * 100 + k), parent_span_id: spanId(n * 100), start_time: start, ...extra };
}

export function errorOf(res: { json: unknown }): string {
  const body = res.json as { error?: unknown };
  expect(typeof body.error).toBe('string');
  return body.error as string;
}

export async function expectAccepted(api: Api, spans: WireSpanInput[], accepted = spans.length, discarded = 0): Promise<void> {
  const res = await api.postSpans(spans);
  expect(res.status, res.text).toBe(202);
  expect(res.json).toEqual({ status: 'ok', accepted, discarded });
}

export async function traceDetail(api: Api, id: string): Promise<{ trace_id: string; spans: JsonObject[] }> {
  const res = await api.get(`/traces/${id}`);
  expect(res.status, res.text).toBe(200);
  return res.json as unknown as { trace_id: string; spans: JsonObject[] };
}

/**
 * For an afterEach: closes the collector a test started, if it started one. `forget` clears the
 * variable that held it first, so a later test that starts none does not close it again.
 */
export async function closeStarted(api: Api | undefined, forget: () => void): Promise<void> {
  forget();
  await api?.close();
}
