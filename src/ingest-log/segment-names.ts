// Segment files are named by the minute their records were appended in (the injectable clock's
// Unix minute) and a sequence number that tells apart the segments of one minute written by
// different processes (a restart within a minute starts a new file, it never appends to one a
// crash may have torn): `<minute>-<sequence>.seg`.
//
// A record appended in minute A holds spans (and logs) starting at most FUTURE_SKEW after its
// append time, so before minute A + 1 + skew; the window keeps a span while start >= now − W.
// So once the current minute is at least A + W + skew + 1, nothing in the segment can be in the
// window and it is deleted whole.

import { FUTURE_SKEW_MS, MS_PER_MINUTE } from '../store/window.js';

export interface SegmentName {
  minute: number;
  sequence: number;
  file: string;
}

const PATTERN = /^(\d{1,15})-(\d{1,9})\.seg$/;

export function segmentFile(minute: number, sequence: number): string {
  return `${minute}-${sequence}.seg`;
}

export function parseSegmentFile(file: string): SegmentName | undefined {
  const match = PATTERN.exec(file);
  if (match === null) return undefined;
  return { minute: Number(match[1]), sequence: Number(match[2]), file };
}

/** Oldest first: by minute, then by sequence. */
export function compareSegments(a: SegmentName, b: SegmentName): number {
  return a.minute - b.minute || a.sequence - b.sequence;
}

const SKEW_MINUTES = Math.ceil(FUTURE_SKEW_MS / MS_PER_MINUTE);

/** Whether a segment appended in `minute` can hold nothing still in the window at `nowMs`. */
export function segmentExpired(minute: number, nowMs: number, windowMinutes: number): boolean {
  return Math.floor(nowMs / MS_PER_MINUTE) >= minute + windowMinutes + SKEW_MINUTES + 1;
}

export function minuteOf(ms: number): number {
  return Math.floor(ms / MS_PER_MINUTE);
}
