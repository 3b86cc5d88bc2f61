// /metrics of a collector that fans queries out: which sources failed to answer, and how often.
// Registered only when there are peers or in cluster mode, so a single node's /metrics is unchanged.

import { Counter, type Registry } from 'prom-client';

export function fanoutErrorCounter(registry: Registry): Counter<'source'> {
  return new Counter({
    name: 'traced_fanout_errors_total',
    help: 'Questions of a fanned-out query that a source (a peer collector) did not answer in PEER_TIMEOUT_MS or answered with something other than its internal form; each made the answer partial (X-Traced-Partial)',
    labelNames: ['source'],
    registers: [registry],
  });
}
