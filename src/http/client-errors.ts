// Answers on a connection that Node gives up on: a request not whole within REQUEST_TIMEOUT_MS
// (headers or body), or bytes that are not HTTP. Fastify never sees these requests, so the answer
// is written on the socket, in the API's error shape, and the connection is closed: what is left
// of a timed-out body would otherwise be read as the next request.

import type { Socket } from 'node:net';
import type { ServerResponse } from 'node:http';

function rawResponse(status: number, reason: string, message: string): Buffer {
  const body = JSON.stringify({ error: message });
  return Buffer.from(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** Fastify's `clientErrorHandler`: the same statuses as Node's own (400, 408, 413, 431). */
export function clientErrorHandler(requestTimeoutMs: number): (error: NodeJS.ErrnoException, socket: Socket) => void {
  const timedOut = rawResponse(408, 'Request Timeout', `the request did not arrive whole within ${requestTimeoutMs} ms (REQUEST_TIMEOUT_MS); the connection is closed`);
  const headersTooLarge = rawResponse(431, 'Request Header Fields Too Large', 'the request headers are too large');
  const chunkExtensionsTooLarge = rawResponse(413, 'Payload Too Large', 'the chunk extensions of the request body are too large');
  const malformed = rawResponse(400, 'Bad Request', 'malformed HTTP request');
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    // Node's rule too: nothing is written into a response already under way (a 413 sent before
    // a slow body was drained, say), which the client would read as garbage after it.
    const current = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (socket.writable && (current == null || !current.headersSent)) {
      switch (error.code) {
        case 'ERR_HTTP_REQUEST_TIMEOUT':
          socket.write(timedOut);
          break;
        case 'HPE_HEADER_OVERFLOW':
          socket.write(headersTooLarge);
          break;
        case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
          socket.write(chunkExtensionsTooLarge);
          break;
        default:
          socket.write(malformed);
      }
    }
    socket.destroy(error);
  };
}
