// The answer to a batch the ingest log could not make durable (ENOSPC, EIO): 503 + Retry-After
// with reason `storage`, counted with the gate's refusals and in the body the gate's own refusals
// have on that route. Nothing of the batch was kept, so the client's retry is safe; eviction
// deletes old segments every minute, so a full disk frees itself as the window moves, and ingest
// resumes without a restart.
//
// The one place a StorageError is turned into an answer: the routes let it through to their
// error handler, and every error handler of an ingest route is wrapped in this one; the gRPC
// server answers the same refusal as UNAVAILABLE.

import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { StorageError } from '../ingest-log/segment-log.js';
import type { Refusal } from './admission/admission-control.js';
import type { RefusalGate } from './admission/refusal-gate.js';

const STORAGE_RETRY_AFTER_SEC = 10;

type ErrorHandler = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => unknown;

/** The refusal (reason `storage`) that answers `error`, when it is the ingest log's StorageError. */
export function storageRefusalOf(error: unknown): Refusal | undefined {
  if (!(error instanceof StorageError)) return undefined;
  return { reason: 'storage', retryAfterSec: STORAGE_RETRY_AFTER_SEC, message: `${error.message}; nothing of this batch was kept, retry in ${STORAGE_RETRY_AFTER_SEC} s` };
}

/** `handler`, answering a StorageError of an ingest route first, as a refusal (reason `storage`). */
export function withStorageRefusal<H extends ErrorHandler>(gate: RefusalGate, handler: H): H {
  return ((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const refusal = storageRefusalOf(error);
    if (refusal !== undefined && gate.refuseRouted(refusal, request, reply)) return reply;
    return handler(error, request, reply);
  }) as H;
}
