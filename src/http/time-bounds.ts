// `after` / `before` query parameters as the client wrote them. Validation coerces query values
// to doubles, which hold 15–17 digits; a nanosecond time has 19, so the exact text is captured
// before validation and read back by the handler.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { compareNs, nonNegativeInt64FromText, type NsText } from '../time/nanos.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** `after` / `before` as the client wrote them, before validation coerced them to doubles. */
    rawTimeBounds: { after?: unknown; before?: unknown } | null;
  }
}

/** A 400 whose message names the parameter. */
export class QueryError extends Error {
  readonly statusCode = 400;
}

/** Decorates the plugin's requests; use the hook as the routes' preValidation. */
export function registerTimeBounds(app: FastifyInstance): void {
  app.decorateRequest('rawTimeBounds', null);
}

export async function captureTimeBounds(request: FastifyRequest): Promise<void> {
  const query = request.query as Record<string, unknown>;
  request.rawTimeBounds = { after: query.after, before: query.before };
}

function exactBound(raw: unknown, name: string): NsText | undefined {
  if (raw === undefined) return undefined;
  const exact = typeof raw === 'string' ? nonNegativeInt64FromText(raw) : undefined;
  if (exact === undefined) throw new QueryError(`${name} must be a non-negative integer number of nanoseconds`);
  return exact;
}

/** The exact bounds of the request; 400 unless after < before when both are given. */
export function timeBounds(request: FastifyRequest): { after: NsText | undefined; before: NsText | undefined } {
  const after = exactBound(request.rawTimeBounds?.after, 'after');
  const before = exactBound(request.rawTimeBounds?.before, 'before');
  if (after !== undefined && before !== undefined && compareNs(after, before) >= 0) {
    throw new QueryError('after must be less than before');
  }
  return { after, before };
}
