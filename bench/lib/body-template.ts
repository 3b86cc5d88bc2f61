// Pre-built request bodies with unique ids at almost no client cost: a body is built once as a
// Buffer, the byte offsets of every id's last 12 hex digits are recorded, and each request copies
// the template and writes a fresh counter into those digits. The client then costs a memcpy per
// request, so the collector, not the load generator, is what a benchmark measures.
//
// Times are written afresh too, from the clock at each request (plus the request's sequence in
// the nanoseconds), as real clients stamp them. Bodies that all repeat one set of start times
// would be a load no client sends: every new root would tie with thousands of earlier ones.

import { SpanBodyFactory } from './span-bodies.js';

const HEX = Buffer.from('0123456789abcdef');

export class BodyTemplate {
  readonly spans: number;
  private readonly template: Buffer;
  /** Offsets of the 12-hex-digit tail of each distinct id, and which id group each belongs to. */
  private readonly slots: Array<{ offset: number; group: number }> = [];
  private readonly groups: number;
  private sequence = 0;
  /** Offsets of each 19-digit start_time / end_time, and its distance in ns from the template's now. */
  private readonly times: Array<{ offset: number; deltaNs: number }> = [];

  constructor(run: string, spansPerBody: number, withTags: boolean, nowNs: bigint) {
    const factory = new SpanBodyFactory({ run, spansPerBody, withTags });
    const { body, spans } = factory.next(nowNs);
    this.spans = spans;
    this.template = Buffer.from(body);
    // Ids look like `${run}-0000-4000-8000-${12 hex}`; equal ids (a parent and its reference)
    // share a group so that parent links survive the rewrite.
    const marker = `${run}-0000-4000-8000-`;
    const groupOf = new Map<string, number>();
    let at = body.indexOf(marker);
    while (at >= 0) {
      const tailOffset = at + marker.length;
      const tail = body.slice(tailOffset, tailOffset + 12);
      let group = groupOf.get(tail);
      if (group === undefined) {
        group = groupOf.size;
        groupOf.set(tail, group);
      }
      this.slots.push({ offset: tailOffset, group });
      at = body.indexOf(marker, tailOffset);
    }
    this.groups = groupOf.size;
    for (const match of body.matchAll(/"(?:start|end)_time":(\d{19})[,}]/g)) {
      this.times.push({ offset: match.index + match[0].length - 20, deltaNs: Number(BigInt(match[1]!) - nowNs) });
    }
  }

  /** A copy of the template with ids no earlier call produced. */
  next(): Buffer {
    const out = Buffer.from(this.template);
    const base = this.sequence++ * this.groups;
    for (const { offset, group } of this.slots) {
      let n = base + group;
      for (let d = 11; d >= 0; d--) {
        out[offset + d] = HEX[n & 15]!;
        n = Math.floor(n / 16);
      }
    }
    const nowMs = Date.now();
    const sec = Math.floor(nowMs / 1000);
    const nanos = (nowMs - sec * 1000) * 1_000_000 + (this.sequence % 1_000_000);
    for (const { offset, deltaNs } of this.times) {
      let n = nanos + deltaNs;
      const carry = Math.floor(n / 1e9);
      n -= carry * 1e9;
      writeDigits(out, offset, 10, sec + carry);
      writeDigits(out, offset + 10, 9, n);
    }
    return out;
  }
}

/** Writes `value` as `width` decimal digits, zero-padded, at `offset`. */
function writeDigits(out: Buffer, offset: number, width: number, value: number): void {
  for (let d = width - 1; d >= 0; d--) {
    out[offset + d] = 48 + (value % 10);
    value = Math.floor(value / 10);
  }
}
