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

import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import type { FastifyReply, FastifyRequest, preParsingHookHandler } from 'fastify';
import { encodingOf, RpcCode, statusBody } from '../../otlp/otlp-body.js';
import { REFUSAL_REASONS, type AdmissionControl, type Refusal, type RefusalReason } from './admission-control.js';

export type IngestKind = 'spans' | 'otlp' | 'logs';

const INGEST_PATHS = new Map<string, IngestKind>([
  ['/spans', 'spans'],
  ['/v1/traces', 'otlp'],
  ['/logs', 'logs'],
]);

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

  constructor(
    private readonly admission: AdmissionControl,
    /** CORS_ORIGIN: every origin, or these; refusals carry the same CORS headers as answers. */
    private readonly corsOrigin: true | readonly string[],
    /** MAX_BODY_BYTES: a body announced larger is left to Fastify's 413, unread. */
    private readonly maxBodyBytes: number,
  ) {}

  /** Answers 503 and returns true when an ingest request is refused; false lets it through. */
  tryRefuse(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST') return false;
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const kind = INGEST_PATHS.get(query < 0 ? url : url.slice(0, query));
    if (kind === undefined) return false;
    const refusal = this.admission.check(kind !== 'logs');
    if (refusal === undefined) return false;
    this.respond(kind, refusal, req, res);
    return true;
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
      if (!(length > 0 && length <= this.maxBodyBytes)) {
        this.admission.waitTurn((overdue) => (overdue ? refuseOverdue() : done(null, payload)));
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
          const replay = new PassThrough() as PassThrough & { receivedEncodedLength: number };
          replay.receivedEncodedLength = received;
          replay.end(body);
          done(null, replay);
        });
      };
      const onError = (error: Error) => {
        payload.removeListener('data', onData);
        payload.removeListener('end', onEnd);
        done(error);
      };
      payload.on('data', onData);
      payload.once('end', onEnd);
      payload.once('error', onError);
    };
  }

  /** Refusals since the last call, by kind and reason; the counts start again from zero. */
  drain(kind: IngestKind, add: (reason: RefusalReason, count: number) => void): void {
    const counts = this.tally[kind];
    for (const reason of REFUSAL_REASONS) {
      if (counts[reason] > 0) add(reason, counts[reason]);
      counts[reason] = 0;
    }
  }

  private respond(kind: IngestKind, refusal: Refusal, req: IncomingMessage, res: ServerResponse): void {
    this.tally[kind][refusal.reason]++;
    let encoded = this.encoded.get(refusal);
    if (encoded === undefined) {
      encoded = {};
      this.encoded.set(refusal, encoded);
    }
    let contentType = 'application/json; charset=utf-8';
    let body: Buffer;
    if (kind !== 'otlp') {
      body = encoded.json ??= Buffer.from(JSON.stringify({ error: refusal.message }));
    } else if (encodingOf(req.headers['content-type']) === 'protobuf') {
      // OTLP/HTTP: 503 with a google.rpc.Status in the request's encoding; SDKs retry it.
      contentType = 'application/x-protobuf';
      body = encoded.otlpProtobuf ??= Buffer.from(statusBody('protobuf', RpcCode.UNAVAILABLE, refusal.message));
    } else {
      contentType = 'application/json';
      body = encoded.otlpJson ??= Buffer.from(statusBody('json', RpcCode.UNAVAILABLE, refusal.message));
    }
    const headers: string[] = ['content-type', contentType, 'content-length', String(body.length), 'retry-after', String(refusal.retryAfterSec)];
    const origin = req.headers.origin;
    if (origin !== undefined) {
      const allowed = this.corsOrigin === true ? '*' : this.corsOrigin.includes(origin) ? origin : undefined;
      if (allowed !== undefined) headers.push('access-control-allow-origin', allowed, 'access-control-expose-headers', 'retry-after');
      if (this.corsOrigin !== true) headers.push('vary', 'Origin');
    }
    res.writeHead(503, headers);
    res.end(body);
  }
}

function zeroCounts(): Record<RefusalReason, number> {
  return { memory: 0, heap: 0, queue_delay: 0, queue_timeout: 0 };
}
