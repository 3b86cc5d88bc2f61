// Pre-built request bodies with unique ids at almost no client cost: a body is built once as a
// Buffer, the byte offsets of every id's last 12 hex digits are recorded, and each request copies
// the template and writes a fresh counter into those digits. The client then costs a memcpy per
// request, so the collector, not the load generator, is what a benchmark measures.

import { SpanBodyFactory } from './span-bodies.js';

const HEX = Buffer.from('0123456789abcdef');

export class BodyTemplate {
  readonly spans: number;
  private readonly template: Buffer;
  /** Offsets of the 12-hex-digit tail of each distinct id, and which id group each belongs to. */
  private readonly slots: Array<{ offset: number; group: number }> = [];
  private readonly groups: number;
  private sequence = 0;

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
    return out;
  }
}
