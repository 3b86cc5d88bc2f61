// Parses the vendored .proto files into a protobufjs Root. Used by the descriptor generator and
// its test; the server itself loads the generated descriptor (no files needed at run time).

import { join } from 'node:path';
import protobuf from 'protobufjs';

export const PROTO_FILES = [
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  'opentelemetry/proto/collector/logs/v1/logs_service.proto',
  'google/rpc/status.proto',
  'google/rpc/error_details.proto',
] as const;

export function loadProtoFiles(protoDir: string): protobuf.Root {
  const root = new protobuf.Root();
  // Imports are written relative to the proto root ("opentelemetry/proto/common/v1/…").
  root.resolvePath = (_origin, target) => join(protoDir, target);
  root.loadSync([...PROTO_FILES], { keepCase: false });
  root.resolveAll();
  return root;
}
