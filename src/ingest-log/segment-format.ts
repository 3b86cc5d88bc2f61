// The on-disk shape of a segment file and of each record in it.
//
//   header: the magic "TRACED" (6 bytes), u16 format version: 8 bytes
//   record: u32 payload length, u32 checksum of the payload, payload (record-codec.ts)
//
// All little-endian. The checksum is CRC-32 (the zlib/IEEE polynomial) from node's native
// zlib.crc32, present since Node 20.15: a CRC32C would need a JS table loop, several times
// slower on the request's path, and CRC-32 detects the same torn writes and bit flips.
// The length comes first so a reader knows where the next record starts; the checksum covers
// the payload only, so a damaged length is caught by the checksum of the bytes it points at.

import { crc32 } from 'node:zlib';

export const SEGMENT_MAGIC = Buffer.from('TRACED', 'latin1');
export const SEGMENT_VERSION = 1;
export const HEADER_BYTES = 8;
export const FRAME_HEADER_BYTES = 8;
/**
 * Longest payload a reader accepts. A batch is at most MAX_BODY_BYTES of JSON (1 GiB at most)
 * and its record is smaller than its body; a length beyond this is damage, not data.
 */
export const MAX_RECORD_BYTES = 1024 * 1024 * 1024;

export function segmentHeader(): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  SEGMENT_MAGIC.copy(header, 0);
  header.writeUInt16LE(SEGMENT_VERSION, 6);
  return header;
}

export type HeaderCheck = { ok: true } | { ok: false; problem: string };

/** Whether `bytes` (the file's first HEADER_BYTES, or fewer when the file is shorter) open a segment this build reads. */
export function checkHeader(bytes: Buffer): HeaderCheck {
  if (bytes.length === 0) return { ok: false, problem: 'empty file' };
  if (bytes.length < HEADER_BYTES) return { ok: false, problem: `file of ${bytes.length} bytes, shorter than a segment header` };
  if (!bytes.subarray(0, 6).equals(SEGMENT_MAGIC)) return { ok: false, problem: 'not a segment file (bad magic)' };
  const version = bytes.readUInt16LE(6);
  if (version !== SEGMENT_VERSION) {
    return { ok: false, problem: version > SEGMENT_VERSION ? `format version ${version}, newer than this build reads (${SEGMENT_VERSION})` : `unknown format version ${version}` };
  }
  return { ok: true };
}

export function checksum(buffer: Buffer, start: number, end: number): number {
  return crc32(buffer.subarray(start, end));
}
