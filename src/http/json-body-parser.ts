// application/json bodies of every route without a parser of its own: UTF-8 checked, then
// JSON.parse. The default Fastify parser is replaced because it rounds 19-digit integers and
// rejects `__proto__` keys, which the contract allows as ordinary tag names (JSON.parse makes
// them own properties, never prototypes). POST /spans, POST /logs and OTLP register their own
// parsers in their plugins' scopes; POST /spans decodes the bodies its fast path declines here.

import type { FastifyInstance } from 'fastify';
import { utf8Problem } from '../codec/utf8-body.js';

/** A 4xx raised by body parsing. */
export class BodyError extends Error {
  constructor(
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
  }
}

/** A JSON body's text and value. */
export interface JsonBody {
  text: string;
  value: unknown;
}

/** The body decoded and parsed, or the BodyError that refuses it. */
export function decodeJsonBody(bytes: Buffer): JsonBody | BodyError {
  // As bytes, so that a body that is not UTF-8 is refused: toString would store U+FFFD.
  const problem = utf8Problem(bytes);
  if (problem !== undefined) return new BodyError(problem);
  const text = bytes.toString('utf8');
  if (text.trim() === '') return new BodyError('the request body is empty: send a JSON object');
  try {
    return { text, value: JSON.parse(text) as unknown };
  } catch (error) {
    return new BodyError(`the request body is not valid JSON: ${(error as Error).message}`);
  }
}

export function registerJsonBodyParser(app: FastifyInstance): void {
  // JSON only: anything else (text/plain included, which Fastify parses by default) is a 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    const decoded = decodeJsonBody(body as Buffer);
    if (decoded instanceof BodyError) done(decoded, undefined);
    else done(null, decoded.value);
  });
}
