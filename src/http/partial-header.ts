// X-Traced-Partial: on an answer merged from several nodes (src/store/merged-store.ts), the
// sources that did not answer in time or answered garbage, comma-separated (peer URLs, or
// partitions). Absent on a whole answer, and always on a single node: clients that do not know it
// read the body as before, and the body alone is a valid answer from the sources that did answer.

import type { FastifyReply } from 'fastify';

export const PARTIAL_HEADER = 'x-traced-partial';

export function flagPartial(reply: FastifyReply, unavailable: readonly string[] | undefined): void {
  if (unavailable !== undefined && unavailable.length > 0) reply.header(PARTIAL_HEADER, unavailable.join(','));
}
