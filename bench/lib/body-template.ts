// Pre-built request bodies with unique ids at almost no client cost: a body is built once as a
// Buffer, the byte offsets of every id's last 12 hex digits are recorded, and each request copies
// the template and writes a fresh counter into those digits. The client then costs a memcpy per
// request, so the collector, not the load generator, is what a benchmark measures.
//
// Times are written afresh too, from the clock at each request (plus the request's sequence in
// the nanoseconds), as real clients stamp them. Bodies that all repeat one set of start times
// would be a load no client sends: every new root would tie with thousands of earlier ones.

import { SpanBodyFactory } from './span-bodies.js';

const HEX_CODES = Uint8Array.from(Buffer.from('0123456789abcdef'));

export class BodyTemplate {
  readonly spans: number;
  private readonly template: Buffer;
  /** Offsets of the 12-hex-digit tail of each id, and which id group each belongs to. */
  private readonly slotOffsets: Int32Array;
  private readonly slotGroups: Int32Array;
  private readonly groups: number;
  private sequence = 0;
  /** Offsets of each 19-digit start_time / end_time, and its distance in ns from the template's now. */
  private readonly timeOffsets: Int32Array;
  private readonly timeDeltasNs: Float64Array;
  /** Scratch: the hex digits of each id group for the body being built. */
  private readonly hexDigits: Uint8Array;
  /** Scratch: the 10 digits of `secondsWritten`. */
  private readonly secondDigits = new Uint8Array(10);
  private secondsWritten = -1;

  constructor(run: string, spansPerBody: number, withTags: boolean, nowNs: bigint) {
    const factory = new SpanBodyFactory({ run, spansPerBody, withTags });
    const { body, spans } = factory.next(nowNs);
    this.spans = spans;
    this.template = Buffer.from(body);
    // Ids look like `${run}-0000-4000-8000-${12 hex}`; equal ids (a parent and its reference)
    // share a group so that parent links survive the rewrite.
    const marker = `${run}-0000-4000-8000-`;
    const groupOf = new Map<string, number>();
    const slots: Array<{ offset: number; group: number }> = [];
    let at = body.indexOf(marker);
    while (at >= 0) {
      const tailOffset = at + marker.length;
      const tail = body.slice(tailOffset, tailOffset + 12);
      let group = groupOf.get(tail);
      if (group === undefined) {
        group = groupOf.size;
        groupOf.set(tail, group);
      }
      slots.push({ offset: tailOffset, group });
      at = body.indexOf(marker, tailOffset);
    }
    this.groups = groupOf.size;
    this.hexDigits = new Uint8Array(this.groups * 12);
    this.slotOffsets = Int32Array.from(slots, (slot) => slot.offset);
    this.slotGroups = Int32Array.from(slots, (slot) => slot.group);
    const times = [...body.matchAll(/"(?:start|end)_time":(\d{19})[,}]/g)];
    this.timeOffsets = Int32Array.from(times, (match) => match.index + match[0].length - 20);
    this.timeDeltasNs = Float64Array.from(times, (match) => Number(BigInt(match[1]!) - nowNs));
  }

  /** A copy of the template with ids no earlier call produced. */
  next(): Buffer {
    const out = Buffer.from(this.template);
    const groups = this.groups;
    const base = this.sequence++ * groups;
    // Each group's 12 hex digits once, then copied into its slots, in typed arrays and local
    // variables: an open loop at twice a collector core's capacity spent 40% of the generator's
    // core here when every slot divided its own digits out.
    const hex = this.hexDigits;
    for (let group = 0; group < groups; group++) {
      const n = base + group;
      // Two 24-bit halves: the counter passes 2^32 in a long run, where `>>>` would wrap.
      let low = n % 0x1000000;
      let high = (n - low) / 0x1000000;
      const at = group * 12;
      for (let d = 11; d >= 6; d--) {
        hex[at + d] = HEX_CODES[low & 15]!;
        low >>>= 4;
      }
      for (let d = 5; d >= 0; d--) {
        hex[at + d] = HEX_CODES[high & 15]!;
        high >>>= 4;
      }
    }
    const slotOffsets = this.slotOffsets;
    const slotGroups = this.slotGroups;
    for (let i = 0; i < slotOffsets.length; i++) {
      const offset = slotOffsets[i]!;
      const from = slotGroups[i]! * 12;
      for (let d = 0; d < 12; d++) out[offset + d] = hex[from + d]!;
    }
    const nowMs = Date.now();
    const sec = Math.floor(nowMs / 1000);
    const nanos = (nowMs - sec * 1000) * 1_000_000 + (this.sequence % 1_000_000);
    const timeOffsets = this.timeOffsets;
    const timeDeltas = this.timeDeltasNs;
    const secondDigits = this.secondDigits;
    for (let i = 0; i < timeOffsets.length; i++) {
      const offset = timeOffsets[i]!;
      let n = nanos + timeDeltas[i]!;
      const carry = Math.floor(n / 1e9);
      n -= carry * 1e9;
      // The seconds are the same for nearly every time of a body: written once, then copied.
      if (sec + carry !== this.secondsWritten) {
        this.secondsWritten = sec + carry;
        writeDigits(secondDigits, 0, 10, this.secondsWritten);
      }
      for (let d = 0; d < 10; d++) out[offset + d] = secondDigits[d]!;
      // Under 1e9, so integer arithmetic: no floating division per digit.
      let nano = n | 0;
      for (let d = 18; d >= 10; d--) {
        out[offset + d] = 48 + (nano % 10);
        nano = (nano / 10) | 0;
      }
    }
    return out;
  }
}

/** Writes `value` as `width` decimal digits, zero-padded, at `offset`. */
function writeDigits(out: Uint8Array, offset: number, width: number, value: number): void {
  for (let d = width - 1; d >= 0; d--) {
    out[offset + d] = 48 + (value % 10);
    value = Math.floor(value / 10);
  }
}
