// How the bucket store packs what it knows into the words of its columns: chunk slots, span
// flags, the root words a root span keeps in its unused parent-id words, and the search summary
// rows derived from them. The span writer maintains these words, search and the reader decode
// them; keeping the layout in one place keeps them agreeing.

// Span index → (chunk, slot): a bucket's columns come in chunks of SPAN_CHUNK spans (span-bucket.ts).
export const SPAN_CHUNK_BITS = 14;
export const SPAN_CHUNK = 1 << SPAN_CHUNK_BITS;
export const SPAN_CHUNK_MASK = SPAN_CHUNK - 1;

// Span flags (SpanChunk.flags).
export const FLAG_ERROR = 1;
export const FLAG_HAS_PARENT = 2;
/** The span carried `"tags": {}`; spans with tags keep their JSON text in the bucket's tag arena. */
export const FLAG_EMPTY_TAGS = 4;
/** The span has been held together with its parent: its dependency edge is counted. */
export const FLAG_LINKED = 8;

// Root words. A root span has no parent id, so its four `parentId` words hold what search needs
// to know about its trace, kept up to date as the trace's spans arrive, at no cost in memory:
/** Exact bits of the trace's services (endpoint-table.ts). */
export const ROOT_SERVICES = 0;
/** Exact bits of the trace's operation names. */
export const ROOT_OPERATIONS = 1;
/** STATE_* flags and the number of spans whose parent has not arrived. */
export const ROOT_STATE = 2;
/** Bloom bits of services (low 16) and operation names (high 16) past the exact ones. */
export const ROOT_BLOOM = 3;
/** Some span of the trace failed. */
export const STATE_ERROR = 0x80000000;
/**
 * Some span of the trace starts before this root (or has left the window): spans may age out
 * while the root is listed, so the words and the trace's counters may overstate; queries
 * recompute such traces from their spans.
 */
export const STATE_EARLY = 0x40000000;
/** The trace has held another parentless span: which root is listed is decided per query. */
export const STATE_MULTI = 0x20000000;
export const STATE_MISSING_MASK = 0x1fffffff;

// The search summary (search-summary.ts): per sorted root position, the low 16 service bits
// and low 16 operation bits of the root words, and one word packed from the rest, so that a
// search reads 8 contiguous bytes per root instead of a cache line of parent-id words. It is a
// cache, derived from the root words and the root's columns, and rebuilt only for buckets whose
// roots changed since the last search.
/** Root duration_ms, or SUMMARY_DURATION_MASK for that much or more. */
export const SUMMARY_DURATION_MASK = 0xffff;
export const SUMMARY_ROOT_SERVICE_SHIFT = 16;
/** Root service id, or SUMMARY_ROOT_SERVICE_MASK for that id or a higher one. */
export const SUMMARY_ROOT_SERVICE_MASK = 0xfff;
export const SUMMARY_ERROR = 1 << 28;
export const SUMMARY_PARTIAL = 1 << 29;
/** STATE_EARLY or STATE_MULTI. */
export const SUMMARY_RECOMPUTE = 1 << 30;
/** The trace has names past the exact mask bits (ROOT_BLOOM is not 0). */
export const SUMMARY_BLOOM = 1 << 31;

/** Root-word states that send a row to factsOf (trace-facts.ts): the words may overstate. */
export const STATE_RECOMPUTE = (STATE_EARLY | STATE_MULTI) >>> 0;
/** Services and operation names with a bit in the search summary's first word (16 each). */
export const SUMMARY_NAMES = 16;

/** Durations at or above this many ns keep their exact end time in `SpanBucket.longEnds`. */
export const LONG_DURATION = 0xffffffff;
