// One OTLP/gRPC Export call, trace or logs, through the same steps as the HTTP ingest paths:
//
//   1. admission: refused now (memory, heap, shed share, replay) → UNAVAILABLE + RetryInfo, counted
//      with the refusal gate's other refusals; the message is not decoded;
//   2. its bytes held against MAX_INFLIGHT_BODY_BYTES until answered;
//   3. a turn in the ingest queue, which paces HTTP ingest too (too long a wait: queue_timeout);
//   4. decode (INVALID_ARGUMENT naming the field), export through the durable writer
//      (http/otlp-export.ts; a StorageError is UNAVAILABLE, retry in 10 s), then OK with the
//      partial_success: an OK answer means the batch is in the ingest log. The mapping rejects
//      spans and records one by one, as on the HTTP path; when it can take none of a message's
//      (ids of the wrong length, …), the answer is INVALID_ARGUMENT with the same reasons.
//
// grpc-js has by then read the whole message, undone gzip and enforced the size limit
// (RESOURCE_EXHAUSTED beyond it), and hands over the raw bytes: the service definitions'
// deserializers are the identity, so the one protobuf decoder is the HTTP path's.

import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import type { AdmissionControl } from '../http/admission/admission-control.js';
import type { IngestKind, RefusalGate } from '../http/admission/refusal-gate.js';
import { storageRefusalOf } from '../http/storage-refusal.js';
import type { ExportOutcome } from '../http/otlp-export.js';
import { OtlpBodyError } from '../otlp/otlp-body.js';
import { OtlpDecodeError } from '../otlp/otlp-request.js';
import { internal, invalidArgument, refused, unavailable } from './grpc-status.js';

export interface ExportCallSteps {
  kind: IngestKind;
  gate: RefusalGate;
  admission: AdmissionControl;
  /** A refusal of this kind's own (the log budget; it counts itself), checked in its turn; undefined admits. */
  budgetProblem?: () => Promise<{ message: string; retryAfterSec: number } | undefined>;
  /** Decodes, stores and says what was not kept; throws OtlpDecodeError or StorageError. */
  exportMessage: (message: Buffer) => Promise<ExportOutcome>;
  /** The response message for an outcome. */
  encodeResponse: (outcome: ExportOutcome) => Buffer;
  /** Counts a request refused as invalid. */
  countInvalid: () => void;
  logError: (error: unknown) => void;
}

export function exportHandler(steps: ExportCallSteps) {
  const { kind, gate, admission } = steps;
  return (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>): void => {
    const refusal = gate.refusalNow(kind);
    if (refusal !== undefined) {
      gate.countRefusal(kind, refusal.reason);
      return callback(refused(refusal));
    }
    const bytes = call.request.length;
    if (!gate.inflight.tryHold(bytes)) {
      gate.countRefusal(kind, gate.inflight.refusal.reason);
      return callback(refused(gate.inflight.refusal));
    }
    let released = false;
    const answer: sendUnaryData<Buffer> = (error, value) => {
      if (!released) gate.inflight.release(bytes);
      released = true;
      try {
        callback(error, value);
      } catch (sendError) {
        // A call cancelled meanwhile has no one to answer; whatever grpc-js says of it must not
        // become an unhandled rejection, which would end the process.
        steps.logError(sendError);
      }
    };
    admission.waitTurn((overdue) => {
      if (overdue) {
        gate.countRefusal(kind, admission.overdueRefusal.reason);
        return answer(refused(admission.overdueRefusal));
      }
      void run(steps, call.request).then(([error, value]) => answer(error, value));
    });
  };
}

type Answer = [error: ReturnType<typeof invalidArgument> | null, value?: Buffer];

async function run(steps: ExportCallSteps, message: Buffer): Promise<Answer> {
  try {
    const full = await steps.budgetProblem?.();
    if (full !== undefined) return [unavailable(full.message, full.retryAfterSec)];
    const outcome = await steps.exportMessage(message);
    // Nothing in the message could be mapped: the message is bad as a whole, and an OK answer
    // would hide that from the SDK (which at most logs a partial_success at debug level).
    if (outcome.mapped === 0 && outcome.unmapped > 0) {
      steps.countInvalid();
      return [invalidArgument(outcome.message)];
    }
    return [null, steps.encodeResponse(outcome)];
  } catch (error) {
    if (error instanceof OtlpDecodeError || error instanceof OtlpBodyError) {
      steps.countInvalid();
      return [invalidArgument(error.message)];
    }
    const storage = storageRefusalOf(error);
    if (storage !== undefined) {
      steps.gate.countRefusal(steps.kind, storage.reason);
      return [unavailable(storage.message, storage.retryAfterSec)];
    }
    steps.logError(error);
    return [internal()];
  }
}
