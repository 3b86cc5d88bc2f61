// Service, operation, RED and dependency statistics (GET /services, /services/{service}/operations,
// /stats, /dependencies). Latencies are span durations in milliseconds, from per-minute sketches
// whose quantiles are within `relative_error` of the exact value.
import Type, { type Static } from 'typebox';
import { Int64 } from './common.js';

const Count = Type.Integer({ minimum: 0 });
const Rate = Type.Number({ minimum: 0, maximum: 1 });
const Millis = Type.Number({ minimum: 0 });

export const ServiceLatency = Type.Object({
  service: Type.String(),
  span_count: Count,
  error_count: Count,
  error_rate: Rate,
  p50_ms: Millis,
  p95_ms: Millis,
  p99_ms: Millis,
});

export const ServiceListResponse = Type.Object({ services: Type.Array(ServiceLatency) });

export const OperationLatency = Type.Object({
  operation: Type.String(),
  span_count: Count,
  error_count: Count,
  error_rate: Rate,
  p50_ms: Millis,
  p95_ms: Millis,
  p99_ms: Millis,
});

export const OperationListResponse = Type.Object({ service: Type.String(), operations: Type.Array(OperationLatency) });

export const StatsResponse = Type.Object({
  after: Int64,
  before: Int64,
  request_count: Count,
  request_rate_per_sec: Type.Number({ minimum: 0 }),
  error_count: Count,
  error_rate: Rate,
  p50_ms: Millis,
  p90_ms: Millis,
  p95_ms: Millis,
  p99_ms: Millis,
  max_ms: Millis,
  relative_error: Type.Number({ minimum: 0 }),
});

export const DependencyEdge = Type.Object({
  parent: Type.String(),
  child: Type.String(),
  call_count: Count,
  error_count: Count,
  p95_ms: Millis,
});

export const DependencyGraphResponse = Type.Object({ edges: Type.Array(DependencyEdge) });

/** Query of GET /stats; `after`/`before` are re-read as exact text by the handler. */
export const StatsQuery = Type.Object({
  service: Type.Optional(Type.String()),
  operation: Type.Optional(Type.String()),
  after: Type.Optional(Type.Integer({ format: 'int64', minimum: 0 })),
  before: Type.Optional(Type.Integer({ format: 'int64', minimum: 0 })),
});
export type StatsQuery = Static<typeof StatsQuery>;

/** Query of GET /dependencies. */
export const RangeQuery = Type.Object({
  after: Type.Optional(Type.Integer({ format: 'int64', minimum: 0 })),
  before: Type.Optional(Type.Integer({ format: 'int64', minimum: 0 })),
});

export const ServiceParams = Type.Object({ service: Type.String() });
export type ServiceParams = Static<typeof ServiceParams>;
