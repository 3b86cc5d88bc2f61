// The answer to a batch the ingest log could not make durable (ENOSPC, EIO): 503 + Retry-After
// with reason `storage`, counted with the gate's refusals. Nothing of the batch was kept, so the
// client's retry is safe; eviction deletes old segments every minute, so a full disk frees
// itself as the window moves, and ingest resumes without a restart.

import type { FastifyReply } from 'fastify';
import { StorageError } from '../ingest-log/segment-log.js';
import type { IngestKind, RefusalGate } from './admission/refusal-gate.js';

export const STORAGE_RETRY_AFTER_SEC = 10;

/** A plain boolean, not a type guard: narrowing a FastifyError by it would leave `never` behind. */
export function isStorageError(error: unknown): boolean {
  return error instanceof StorageError;
}

export function storageRefusalMessage(error: unknown): string {
  return `${(error as StorageError).message}; nothing of this batch was kept, retry in ${STORAGE_RETRY_AFTER_SEC} s`;
}

/** Counts the refusal and sets the status and Retry-After; the caller sends the body. */
export function refuseForStorage(gate: RefusalGate, kind: IngestKind, reply: FastifyReply): FastifyReply {
  gate.countRefusal(kind, 'storage');
  return reply.code(503).header('retry-after', String(STORAGE_RETRY_AFTER_SEC));
}
