// application/json bodies: JSON.parse, then the int64 scan (int64-json.ts). The default Fastify
// parser is replaced because it rounds 19-digit integers and rejects `__proto__` keys, which the
// contract allows as ordinary tag names (JSON.parse makes them own properties, never prototypes).

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { scanSpanTimeLiterals, type SpanTimeLiterals } from '../codec/int64-json.js';
import type { SpanBatch } from './span-batch.js';
import { parseSpanBatchFast } from './span-batch-fast.js';
import { utf8Problem } from '../codec/utf8-body.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Literal text of spans[i].start_time / end_time from the JSON body, when it had any. */
    spanTimeLiterals: SpanTimeLiterals | null;
    /** POST /spans bodies that the fast path parsed and validated in one pass. */
    fastSpans: SpanBatch | null;
  }
}

/** The body Fastify sees when the fast path has already produced `request.fastSpans`. */
export const FAST_PATH_BODY = Object.freeze({ fastPath: true });

/** A 4xx raised by body parsing. */
export class BodyError extends Error {
  constructor(
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
  }
}

export function registerJsonBodyParser(app: FastifyInstance): void {
  app.decorateRequest('spanTimeLiterals', null);
  app.decorateRequest('fastSpans', null);
  // JSON only: anything else (text/plain included, which Fastify parses by default) is a 415.
  app.removeAllContentTypeParsers();
  // As bytes: the POST /spans fast path reads bytes (span-batch-fast.ts); everything else decodes
  // the whole body, exactly as the string mode would have.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request: FastifyRequest, body, done) => {
    const bytes = body as Buffer;
    if (request.method === 'POST' && request.routeOptions.url === '/spans') {
      const spans = parseSpanBatchFast(bytes);
      if (spans !== undefined) {
        request.fastSpans = spans;
        done(null, FAST_PATH_BODY);
        return;
      }
    }
    // The fast path takes ASCII bodies only, so only bodies that reach this point can hold bytes
    // that are not UTF-8, which toString would store as U+FFFD.
    const problem = utf8Problem(bytes);
    if (problem !== undefined) {
      done(new BodyError(problem), undefined);
      return;
    }
    const text = bytes.toString('utf8');
    if (text.trim() === '') {
      done(new BodyError('the request body is empty: send a JSON object'), undefined);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      done(new BodyError(`the request body is not valid JSON: ${(error as Error).message}`), undefined);
      return;
    }
    request.spanTimeLiterals = scanSpanTimeLiterals(text);
    done(null, parsed);
  });
}
