// A JetStream message of the spans stream: the ingest-log records (ingest-log/record-codec.ts) of
// one or more batches of one partition, each as u32 length (LE) + payload. Requests that arrive
// together share a message (span-publisher.ts), so a small batch does not cost a broker round
// trip of its own; a batch's spans of one partition are one record, so a trace's part of a batch
// is in the log whole or not at all. JetStream checks what it stores; no checksum is added here.

import { RecordFormatError, type ByteWriter } from '../ingest-log/byte-buffers.js';
import { decodeRecord, type DecodedRecord } from '../ingest-log/record-codec.js';

/** Appends one framed record, written by `encode`, to `out`. */
export function appendRecord(out: ByteWriter, encode: (out: ByteWriter) => void): void {
  out.reserve(4);
  const at = out.length;
  out.length += 4;
  encode(out);
  out.buffer.writeUInt32LE(out.length - at - 4, at);
}

/** Every record of a message, in order. Throws RecordFormatError on a frame that does not fit. */
export function* recordsOf(data: Uint8Array): Generator<DecodedRecord> {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  while (at < buffer.length) {
    if (at + 4 > buffer.length) throw new RecordFormatError(`message ends inside a frame at byte ${at}`);
    const length = buffer.readUInt32LE(at);
    if (at + 4 + length > buffer.length) throw new RecordFormatError(`frame at byte ${at} runs ${at + 4 + length - buffer.length} bytes past the message`);
    yield decodeRecord(buffer, at + 4, at + 4 + length);
    at += 4 + length;
  }
}

