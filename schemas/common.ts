// TypeBox mirrors of openapi.yaml. The drift tests (test/http/openapi-drift-*.test.ts) fail when a
// schema here and its component in openapi.yaml disagree, so change both together.
import Type, { type Static } from 'typebox';

/** Any 8-4-4-4-12 hex UUID. The version nibble is not checked: W3C trace ids map onto UUIDs. */
export const Uuid = Type.String({ format: 'uuid' });

/**
 * An int64 count of nanoseconds. Validation sees the JSON number; the exact digits travel
 * beside it (src/codec/int64-json.ts) because a double holds only 15–17 of them.
 */
export const Int64 = Type.Integer({ format: 'int64' });

/** "ok" | "error", written as the YAML does (type + enum) rather than as an anyOf of consts. */
export const SpanStatus = Type.Unsafe<'ok' | 'error'>({ type: 'string', enum: ['ok', 'error'] });

export const ErrorBody = Type.Object({ error: Type.String() });
export type ErrorBody = Static<typeof ErrorBody>;

export const StatusResponse = Type.Object({
  status: Type.Unsafe<'ok'>({ type: 'string', enum: ['ok'] }),
});

/** GET /health in cluster mode (NATS_URL set): the node's view of the cluster. */
export const ClusterView = Type.Object({
  node_id: Type.String(),
  advertise_url: Type.String(),
  partitions: Type.Integer({ minimum: 1 }),
  nats_connected: Type.Boolean(),
  owned: Type.Array(
    Type.Object({
      partition: Type.Integer({ minimum: 0 }),
      applied_seq: Type.Integer({ minimum: 0 }),
      lag: Type.Integer({ minimum: 0 }),
      caught_up: Type.Boolean(),
    }),
  ),
  unowned: Type.Array(Type.Integer({ minimum: 0 })),
  peers: Type.Array(
    Type.Object({
      node_id: Type.String(),
      url: Type.String(),
      partitions: Type.Array(Type.Integer({ minimum: 0 })),
    }),
  ),
});
export type ClusterView = Static<typeof ClusterView>;

/** GET /health when ready (200); `cluster` only in cluster mode. */
export const HealthResponse = Type.Object({
  status: Type.Unsafe<'ok'>({ type: 'string', enum: ['ok'] }),
  cluster: Type.Optional(ClusterView),
});

/** GET /health while the ingest log is replayed at start-up (503). */
export const ReplayingResponse = Type.Object({
  status: Type.Unsafe<'replaying'>({ type: 'string', enum: ['replaying'] }),
  segments_done: Type.Integer({ minimum: 0 }),
  segments_total: Type.Integer({ minimum: 0 }),
  bytes_done: Type.Integer({ minimum: 0 }),
  bytes_total: Type.Integer({ minimum: 0 }),
  spans_replayed: Type.Integer({ minimum: 0 }),
  logs_replayed: Type.Integer({ minimum: 0 }),
});
export type ReplayingResponse = Static<typeof ReplayingResponse>;
