// The gRPC errors an OTLP export call ends with. A refusal the client should retry is UNAVAILABLE
// with a google.rpc.RetryInfo in the `grpc-status-details-bin` trailer: the OTLP spec
// ("OTLP/gRPC Throttling") has clients retry UNAVAILABLE with backoff, and wait the RetryInfo delay
// when the server sends one, the gRPC twin of the Retry-After the HTTP paths send.

import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { encodeStatusWithRetryInfo } from '../otlp/protobuf-codec.js';
import type { Refusal } from '../http/admission/admission-control.js';

export const STATUS_DETAILS_TRAILER = 'grpc-status-details-bin';

function serviceError(code: status, details: string, metadata = new Metadata()): ServiceError {
  return Object.assign(new Error(details), { code, details, metadata });
}

/** UNAVAILABLE, retry after `retryAfterSec`; nothing of the request was kept. */
export function unavailable(message: string, retryAfterSec: number): ServiceError {
  const metadata = new Metadata();
  metadata.set(STATUS_DETAILS_TRAILER, encodeStatusWithRetryInfo(status.UNAVAILABLE, message, retryAfterSec));
  return serviceError(status.UNAVAILABLE, message, metadata);
}

/**
 * An admission refusal. Refusals are built once per reason and load level (admission-control.ts),
 * so their errors are cached the same way: a refusal must cost as little as possible.
 */
const refusalErrors = new WeakMap<Refusal, ServiceError>();
export function refused(refusal: Refusal): ServiceError {
  let error = refusalErrors.get(refusal);
  if (error === undefined) {
    error = unavailable(refusal.message, refusal.retryAfterSec);
    refusalErrors.set(refusal, error);
  }
  return error;
}

/** INVALID_ARGUMENT naming what is wrong with the message; not retryable. */
export function invalidArgument(message: string): ServiceError {
  return serviceError(status.INVALID_ARGUMENT, message);
}

export function internal(): ServiceError {
  return serviceError(status.INTERNAL, 'internal error');
}
