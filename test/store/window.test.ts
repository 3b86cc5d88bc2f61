// The window's arithmetic (window.ts), shared by every store: where a span falls, and the whole
// minutes statistics cover.
import { describe, expect, it } from 'vitest';
import { SpanBatch } from '../../src/ingest/span-batch.js';
import { FUTURE, futureLimit, IN_WINDOW, STALE, statsWindow, windowEdge, windowPlace } from '../../src/store/window.js';
import { span, uuid } from '../support/spans.js';

/** 12:00:30 — the window edge sits in the middle of a minute. */
const NOW = Date.UTC(2026, 10, 21, 12, 0, 30);
const MINUTE_NS = 60_000_000_000n;
const nowNs = BigInt(NOW) * 1_000_000n;
const ns = (msFromNow: number): string => (nowNs + BigInt(msFromNow) * 1_000_000n).toString();
const minuteNs = (unixMinute: number): string => (BigInt(unixMinute) * MINUTE_NS).toString();
const NOW_MINUTE = Math.floor(NOW / 60_000);

describe('windowPlace', () => {
  it('places a start at the edge and at the future limit inside, and a nanosecond beyond either outside', () => {
    const edgeNs = nowNs - 30n * MINUTE_NS;
    const futureNs = nowNs + 5n * MINUTE_NS;
    const starts = [edgeNs, edgeNs - 1n, futureNs, futureNs + 1n].map(String);
    const batch = SpanBatch.fromSpans([...starts.map((startTime, n) => span({ traceId: uuid(n), spanId: uuid(n), startTime })), span({ traceId: uuid(9), spanId: uuid(9), startTime: '-1', endTime: '0' })]);
    const places = [0, 1, 2, 3, 4].map((i) => windowPlace(batch, i, windowEdge(NOW, 30), futureLimit(NOW)));
    expect(places).toEqual([IN_WINDOW, STALE, IN_WINDOW, FUTURE, STALE]);
  });
});

describe('statsWindow', () => {
  it('aligns after down and before up to minutes, inside the window and up to the future limit', () => {
    const w = statsWindow(NOW, 30);
    // Edge 11:30:30 → first whole minute 11:31; future limit 12:05:30 → minutes through 12:05.
    expect(w.fromMinute).toBe(NOW_MINUTE - 29);
    expect(w.toMinute).toBe(NOW_MINUTE + 6);
    expect(w.elapsedSeconds).toBe(29 * 60 + 30);
    const aligned = statsWindow(NOW, 30, ns(-10 * 60_000 + 1), ns(-5 * 60_000 + 1));
    expect([aligned.fromMinute, aligned.toMinute]).toEqual([NOW_MINUTE - 10, NOW_MINUTE - 4]);
    const exact = statsWindow(NOW, 30, minuteNs(NOW_MINUTE - 10), minuteNs(NOW_MINUTE - 5));
    expect([exact.fromMinute, exact.toMinute, exact.elapsedSeconds]).toEqual([NOW_MINUTE - 10, NOW_MINUTE - 5, 300]);
    const old = statsWindow(NOW, 30, '0', minuteNs(NOW_MINUTE - 60));
    expect(old.toMinute).toBe(old.fromMinute);
    expect(old.elapsedSeconds).toBe(0);
  });
});

