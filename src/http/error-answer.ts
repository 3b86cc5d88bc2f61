// How the collector answers an error that a plugin does not answer itself: with the status the
// error carries (a 4xx or 5xx; anything else is a 500) and {"error": message}, where Fastify's
// own messages for the body limit, the media type and an empty body are rewritten to name the
// setting or the fix. A 5xx says only "internal error"; its details go to the log.

import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** The HTTP status an error is answered with. */
export function errorStatus(error: FastifyError): number {
  return error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
}

function errorMessage(error: FastifyError, maxBodyBytes: number): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `the request body is larger than the limit of ${maxBodyBytes} bytes (MAX_BODY_BYTES)`;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported content type: send the body as application/json';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'the request body is empty: send a JSON object';
    default:
      return error.message;
  }
}

/** The application's error handler (app.ts); plugins with answers of their own set theirs. */
export function answerErrors(maxBodyBytes: number): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => FastifyReply {
  return (error, request, reply) => {
    const status = errorStatus(error);
    if (status >= 500) {
      request.log.error({ err: error }, 'unhandled error');
      return reply.code(status).send({ error: 'internal error' });
    }
    return reply.code(status).send({ error: errorMessage(error, maxBodyBytes) });
  };
}
