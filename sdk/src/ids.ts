/**
 * Trace and span identifiers: the generator, and the one lossless mapping between W3C Trace
 * Context ids and Traced UUIDs. The mapping is the collector's own (src/codec/w3c-ids.ts, which
 * imports nothing but node built-ins), re-exported here so that SDK users and the collector's
 * OTLP ingest share one definition.
 */
import { randomFillSync } from 'node:crypto';
import { ALL_ZERO } from '../../src/codec/w3c-ids.js';

export {
  SPAN_UUID_PREFIX,
  isValidTraceId,
  isValidSpanId,
  isUuid,
  traceIdToUuid,
  uuidToTraceId,
  spanIdToUuid,
  uuidToSpanId,
  traceIdBytesToUuid,
  spanIdBytesToUuid,
  dashTraceId,
  dashSpanId,
  undashUuid,
} from '../../src/codec/w3c-ids.js';

/** Source of new ids, one per role as in OpenTelemetry; the tracer takes one as an option. */
export interface IdGenerator {
  /** 32 lowercase hex digits, never all zero. */
  generateTraceId(): string;
  /** 16 lowercase hex digits, never all zero. */
  generateSpanId(): string;
}

/** Fills a buffer with cryptographically strong random bytes (node:crypto's randomFillSync). */
export type RandomFill = (buffer: Buffer) => unknown;

const POOL_BYTES = 4096;

/**
 * Random ids from the operating system's CSPRNG (never Math.random).
 *
 * Hot path: one `randomFillSync` call costs about a microsecond regardless of size, so ids are cut
 * from a 4 KiB pool refilled every 256 trace ids / 512 span ids instead of one syscall per id.
 */
export class RandomIdGenerator implements IdGenerator {
  private readonly pool = Buffer.allocUnsafe(POOL_BYTES);
  private offset = POOL_BYTES;

  constructor(private readonly fill: RandomFill = randomFillSync) {}

  generateTraceId(): string {
    for (;;) {
      const id = this.take(16);
      if (!ALL_ZERO.test(id)) return id;
    }
  }

  generateSpanId(): string {
    for (;;) {
      const id = this.take(8);
      if (!ALL_ZERO.test(id)) return id;
    }
  }

  private take(bytes: number): string {
    if (this.offset + bytes > POOL_BYTES) {
      this.fill(this.pool);
      this.offset = 0;
    }
    const start = this.offset;
    this.offset += bytes;
    return this.pool.toString('hex', start, start + bytes);
  }
}
