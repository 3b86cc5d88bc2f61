// The body an ingest route's preParsing hook has read whole (refusal-gate.ts, waitTurn), handed
// back to Fastify as the payload stream it then reads. Fastify reads a preParsing hook's payload
// with on('data'), on('end'), on('error') and resume(), and compares `receivedEncodedLength` with
// the declared length (rawBody in fastify/lib/content-type-parser.js); every ingest route parses
// `parseAs: 'buffer'`, so that is all a payload here is asked for. A PassThrough did the same job
// at the cost of a Duplex stream and several process.nextTick jobs a request (resume, write, end,
// finish, read-more, close), for one chunk already in memory.
//
// The chunk is delivered in one process.nextTick job after resume(), as a PassThrough delivers
// it: the body is still parsed and stored right after the ingest queue's callback that released
// it, not inside it (ingest-queue.ts counts its turn budget between callbacks).

import { EventEmitter } from 'node:events';

export class BodyReplay extends EventEmitter {
  private body: Buffer | undefined;

  constructor(
    body: Buffer,
    /** The bytes received on the socket: what Fastify checks against content-length. */
    readonly receivedEncodedLength: number,
  ) {
    super();
    this.body = body;
  }

  /** Starts the flow: 'data' with the whole body, then 'end', once, in the next tick. */
  resume(): this {
    if (this.body !== undefined) process.nextTick(emitBody, this);
    return this;
  }

  /** Takes the body out, so that a second resume() delivers nothing. */
  take(): Buffer | undefined {
    const body = this.body;
    this.body = undefined;
    return body;
  }
}

function emitBody(replay: BodyReplay): void {
  const body = replay.take();
  if (body === undefined) return;
  replay.emit('data', body);
  replay.emit('end');
}
