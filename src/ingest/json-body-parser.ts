// application/json bodies: JSON.parse, then the int64 scan (int64-json.ts). The default Fastify
// parser is replaced because it rounds 19-digit integers and rejects `__proto__` keys, which the
// contract allows as ordinary tag names (JSON.parse makes them own properties, never prototypes).

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { scanSpanTimeLiterals, type SpanTimeLiterals } from './int64-json.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Literal text of spans[i].start_time / end_time from the JSON body, when it had any. */
    spanTimeLiterals: SpanTimeLiterals | null;
  }
}

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
  // JSON only: anything else (text/plain included, which Fastify parses by default) is a 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request: FastifyRequest, body, done) => {
    const text = body as string;
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
