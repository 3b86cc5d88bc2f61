// Where ingest is refused: on the raw Node request, before Fastify routes it, builds its request
// and reply objects or reads a byte of the body. Under overload most requests may be refused, and
// every microsecond a refusal costs is taken from the batches that get in (with `s` the cost of an
// accepted batch and `r` that of a refusal, an offered rate λ leaves (1 − λ·r) / (s − r) batches a
// second to accept). So a refusal writes a body encoded once per message, and is counted in plain
// integers that /metrics reads at scrape time; nothing is decoded or logged per refusal.
//
// Admitted ingest requests are read whole, then wait their turn in the ingest queue (preParsing
// hook, before the body parser), so that their parsing and storing is the work the queue paces;
// one that waited too long is refused there, still unparsed.
//
// Every ingest body counts against the in-flight budget (inflight-bodies.ts) until it is answered:
// a declared length is held, or refused, here before the body is read; a chunked body is counted
// as the parser reads it, and refused (closing the connection) when it no longer fits.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest, preParsingHookHandler, RequestPayload } from 'fastify';
import { encodingOf, RpcCode, statusBody } from '../../otlp/otlp-body.js';
import { REFUSAL_REASONS, type AdmissionControl, type Refusal, type RefusalReason } from './admission-control.js';
import { BodyReplay } from './body-replay.js';
import type { InflightBodies } from './inflight-bodies.js';

export type IngestKind = 'spans' | 'otlp' | 'logs';

const INGEST_PATHS = new Map<string, IngestKind>([
  ['/spans', 'spans'],
  ['/v1/traces', 'otlp'],
  // OTLP logs: counted with the logs (their budget is the log store's), answered as OTLP.
  ['/v1/logs', 'logs'],
  ['/logs', 'logs'],
  // Zipkin v2 JSON: refused and counted like POST /spans, whose {"error"} body it shares.
  ['/api/v2/spans', 'spans'],
]);

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/** OTLP/HTTP paths answer refusals with a google.rpc.Status in the request's encoding. */
const OTLP_PATHS = new Set(['/v1/traces', '/v1/logs']);

/** Refusals by path kind and reason since the last scrape. */
export type RefusalTally = Record<IngestKind, Record<RefusalReason, number>>;

interface EncodedRefusal {
  json?: Buffer;
  otlpJson?: Buffer;
  otlpProtobuf?: Buffer;
}

export class RefusalGate {
  private readonly tally: RefusalTally = {
    spans: zeroCounts(),
    otlp: zeroCounts(),
    logs: zeroCounts(),
  };
  private readonly encoded = new WeakMap<Refusal, EncodedRefusal>();
  /** Set while every ingest request is refused whatever the load (the replay at start-up). */
  private unavailable: Refusal | undefined;

  constructor(
    private readonly admission: AdmissionControl,
    /** CORS_ORIGIN: every origin, or these; refusals carry the same CORS headers as answers. */
    private readonly corsOrigin: true | readonly string[],
    /** The largest body of each kind (MAX_BODY_BYTES, MAX_LOG_BODY_BYTES): one announced larger is left to Fastify's 413, unread. */
    private readonly bodyLimits: Readonly<Record<IngestKind, number>>,
    /** MAX_INFLIGHT_BODY_BYTES and the bytes held against it. */
    readonly inflight: InflightBodies,
  ) {}

  /** Refuses all ingest with `refusal` until called again with undefined. */
  setUnavailable(refusal: Refusal | undefined): void {
    this.unavailable = refusal;
  }

  /** Counts a refusal answered outside the gate (the gRPC server's), beside the gate's own. */
  countRefusal(kind: IngestKind, reason: RefusalReason): void {
    this.tally[kind][reason]++;
  }

  /** Why ingest of `kind` is refused now, or undefined; `countRefusal` is the caller's to call. */
  refusalNow(kind: IngestKind): Refusal | undefined {
    return this.unavailable ?? this.admission.check(kind !== 'logs');
  }

  /** Answers 503 and returns true when an ingest request is refused; false lets it through. */
  tryRefuse(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST') return false;
    const kind = INGEST_PATHS.get(pathOf(req));
    if (kind === undefined) return false;
    const refusal = this.refusalNow(kind);
    if (refusal !== undefined) {
      this.respond(kind, refusal, req, res);
      return true;
    }
    // A body announced over its limit is answered 413 unread, and an unread body holds nothing.
    const length = Number(req.headers['content-length']);
    if (length > 0 && length <= this.bodyLimits[kind]) {
      const hold = new BodyHold(this.inflight, req, res);
      if (!hold.add(length)) {
        this.respond(kind, this.inflight.refusal, req, res);
        return true;
      }
    }
    return false;
  }

  /**
   * The preParsing hook of an ingest route: the body is read (socket reads are cheap next to
   * parsing), then the request waits its turn in the ingest queue and is parsed from memory when
   * released. A body still arriving when released would be parsed and stored in the poll phase,
   * outside the queue's budget, ahead of the queries it must not delay. Bodies without a length,
   * or announced over the limit, wait unread and are left to Fastify's own checks.
   */
  waitTurn(kind: IngestKind): preParsingHookHandler {
    return (request: FastifyRequest, reply: FastifyReply, payload, done) => {
      const refuseOverdue = () => {
        reply.hijack();
        this.respond(kind, this.admission.overdueRefusal, request.raw, reply.raw);
      };
      const length = Number(request.headers['content-length']);
      if (!(length > 0 && length <= this.bodyLimits[kind])) {
        const chunked = request.headers['content-length'] === undefined;
        this.admission.waitTurn((overdue) => {
          if (overdue) return refuseOverdue();
          done(null, chunked ? this.counted(kind, request, reply, payload) : payload);
        });
        return;
      }
      const chunks: Buffer[] = [];
      let received = 0;
      const onData = (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
      };
      const onEnd = () => {
        payload.removeListener('data', onData);
        payload.removeListener('error', onError);
        const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received);
        this.admission.waitTurn((overdue) => {
          if (overdue) return refuseOverdue();
          // Fastify reads only on/removeListener/resume and receivedEncodedLength of it (body-replay.ts).
          done(null, new BodyReplay(body, received) as unknown as RequestPayload);
        });
      };
      const onError = (error: Error) => {
        payload.removeListener('data', onData);
        payload.removeListener('end', onEnd);
        // Aborted by the client, or closed at REQUEST_TIMEOUT_MS after its 408: no one is left to
        // answer, and answering would only log a failure of the collector's own.
        if (request.raw.destroyed) return;
        done(error);
      };
      payload.on('data', onData);
      payload.once('end', onEnd);
      payload.once('error', onError);
    };
  }

  /**
   * A chunked body, counted against the in-flight budget as the parser reads it. One that no
   * longer fits is refused and its connection closed, since the rest of it is still to come.
   */
  private counted(kind: IngestKind, request: FastifyRequest, reply: FastifyReply, payload: Readable): Readable {
    const hold = new BodyHold(this.inflight, request.raw, reply.raw);
    const counter = new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        if (hold.add(chunk.length)) return callback(null, chunk);
        // The rest of the body is read and dropped until the connection closes after the answer:
        // closing on unread bytes would reset the connection, and the answer with it.
        payload.unpipe(counter);
        payload.resume();
        reply.hijack();
        this.respond(kind, this.inflight.refusal, request.raw, reply.raw, true);
        // The parser is left waiting for an end that never comes; it goes with the request.
        callback();
      },
    });
    // An abort ends nothing here either: the request and its parser are dropped together.
    return payload.pipe(counter);
  }

  /** Refusals since the last call, by kind and reason; the counts start again from zero. */
  drain(kind: IngestKind, add: (reason: RefusalReason, count: number) => void): void {
    const counts = this.tally[kind];
    for (const reason of REFUSAL_REASONS) {
      if (counts[reason] > 0) add(reason, counts[reason]);
      counts[reason] = 0;
    }
  }

  /**
   * Answers, through Fastify, a request of an ingest route refused after it was admitted (the
   * ingest log could not make its batch durable): counted, and with the body and Retry-After a
   * refusal at the gate has. False for a request of no ingest route.
   */
  refuseRouted(refusal: Refusal, request: FastifyRequest, reply: FastifyReply): boolean {
    const path = request.routeOptions.url ?? '';
    const kind = INGEST_PATHS.get(path);
    if (kind === undefined) return false;
    this.tally[kind][refusal.reason]++;
    const { contentType, body } = this.body(path, refusal, request.headers['content-type']);
    void reply.code(503).header('retry-after', String(refusal.retryAfterSec)).type(contentType).send(body);
    return true;
  }

  /** The body of a refusal on `path` (OTLP paths answer a google.rpc.Status), encoded once per refusal and encoding. */
  private body(path: string, refusal: Refusal, requestContentType: string | undefined): { contentType: string; body: Buffer } {
    let encoded = this.encoded.get(refusal);
    if (encoded === undefined) {
      encoded = {};
      this.encoded.set(refusal, encoded);
    }
    if (!OTLP_PATHS.has(path)) return { contentType: 'application/json; charset=utf-8', body: (encoded.json ??= Buffer.from(JSON.stringify({ error: refusal.message }))) };
    // OTLP/HTTP: 503 with a google.rpc.Status in the request's encoding; SDKs retry it.
    if (encodingOf(requestContentType) === 'protobuf') return { contentType: 'application/x-protobuf', body: (encoded.otlpProtobuf ??= Buffer.from(statusBody('protobuf', RpcCode.UNAVAILABLE, refusal.message))) };
    return { contentType: 'application/json', body: (encoded.otlpJson ??= Buffer.from(statusBody('json', RpcCode.UNAVAILABLE, refusal.message))) };
  }

  private respond(kind: IngestKind, refusal: Refusal, req: IncomingMessage, res: ServerResponse, closeConnection = false): void {
    this.tally[kind][refusal.reason]++;
    const { contentType, body } = this.body(pathOf(req), refusal, req.headers['content-type']);
    const headers: string[] = ['content-type', contentType, 'content-length', String(body.length), 'retry-after', String(refusal.retryAfterSec)];
    const origin = req.headers.origin;
    if (origin !== undefined) {
      const allowed = this.corsOrigin === true ? '*' : this.corsOrigin.includes(origin) ? origin : undefined;
      if (allowed !== undefined) headers.push('access-control-allow-origin', allowed, 'access-control-expose-headers', 'retry-after');
      if (this.corsOrigin !== true) headers.push('vary', 'Origin');
    }
    if (closeConnection) headers.push('connection', 'close');
    res.writeHead(503, headers);
    res.end(body);
  }
}

function zeroCounts(): Record<RefusalReason, number> {
  return { memory: 0, heap: 0, queue_delay: 0, queue_timeout: 0, inflight_bytes: 0, storage: 0, replaying: 0 };
}

/**
 * Bytes of one request's body held against the in-flight budget, released once: when its answer
 * is sent, or when its connection closes first. A pipelined response waiting behind another one
 * gets no 'close' of its own when the connection dies, hence the socket's.
 */
class BodyHold {
  private bytes = 0;
  private released = false;
  private readonly socket: IncomingMessage['socket'];

  constructor(
    private readonly bodies: InflightBodies,
    req: IncomingMessage,
    res: ServerResponse,
  ) {
    this.socket = req.socket;
    res.once('close', this.release);
    this.socket.once('close', this.release);
  }

  /** Holds `bytes` more; false (holding nothing more, and releasing the rest) when they do not fit. */
  add(bytes: number): boolean {
    if (this.released) return false;
    if (this.bodies.tryHold(bytes)) {
      this.bytes += bytes;
      return true;
    }
    this.release();
    return false;
  }

  private readonly release = (): void => {
    if (this.released) return;
    this.released = true;
    this.bodies.release(this.bytes);
    this.bytes = 0;
    this.socket.removeListener('close', this.release);
  };
}
