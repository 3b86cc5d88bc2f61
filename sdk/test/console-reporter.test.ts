import { describe, expect, it } from 'vitest';
import { ConsoleTraceReporter } from '../src/console-reporter.js';
import { TracedTracer } from '../src/tracer.js';

function capture() {
  const writes: string[] = [];
  return { writes, stream: { write: (chunk: string) => writes.push(chunk) } };
}

const T0 = 1713484800000000000n;
const ms = (n: number) => T0 + BigInt(Math.round(n * 1e6));

describe('ConsoleTraceReporter', () => {
  it('prints the trace as an indented tree when the local root ends', () => {
    const { writes, stream } = capture();
    const reporter = new ConsoleTraceReporter({ stream });
    const checkout = new TracedTracer({ service: 'checkout', processor: reporter });
    const inventory = new TracedTracer({ service: 'inventory', processor: reporter });

    const root = checkout.startSpan('place_order', { startTimeNs: ms(0) });
    const reserve = inventory.startSpan('reserve_stock', { parent: root, startTimeNs: ms(20) });
    const query = inventory.startSpan('db.query', { parent: reserve, startTimeNs: ms(25.5) });
    const charge = checkout.startSpan('charge_card', { parent: root, startTimeNs: ms(110) });
    query.end(ms(60));
    reserve.recordException(new Error('out of stock'));
    reserve.end(ms(100));
    charge.end(ms(140.25));
    expect(writes).toEqual([]); // nothing before the root ends
    root.end(ms(150));

    const traceUuid = (root as unknown as { traceUuid: string }).traceUuid;
    expect(writes).toEqual([
      `trace ${traceUuid}\n` +
        'checkout place_order  +0.000ms  150.000ms\n' +
        '  inventory reserve_stock  +20.000ms  80.000ms  ✗ error\n' +
        '    inventory db.query  +25.500ms  34.500ms\n' +
        '  checkout charge_card  +110.000ms  30.250ms\n',
    ]);
  });

  it('treats a span with a remote parent as a local root', () => {
    const { writes, stream } = capture();
    const tracer = new TracedTracer({ service: 'api', processor: new ConsoleTraceReporter({ stream }) });
    const remote = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1, isRemote: true };
    const server = tracer.startSpan('GET /x', { parent: remote, startTimeNs: ms(0) });
    tracer.startSpan('work', { parent: server, startTimeNs: ms(1) }).end(ms(2));
    server.end(ms(3));
    expect(writes).toEqual([
      'trace 4bf92f35-77b3-4da6-a3ce-929d0e0e4736\napi GET /x  +0.000ms  3.000ms\n  api work  +1.000ms  1.000ms\n',
    ]);
  });

  it('keeps its memory bounded when roots never end', () => {
    const { writes, stream } = capture();
    const reporter = new ConsoleTraceReporter({ stream, maxTraces: 3 });
    const tracer = new TracedTracer({ service: 'api', processor: reporter });
    const roots = Array.from({ length: 5 }, () => tracer.startSpan('root'));
    for (const root of roots) tracer.startSpan('child', { parent: root }).end();
    expect((reporter as unknown as { traces: Map<string, unknown> }).traces.size).toBe(3);
    roots[0]!.end(); // its children were evicted: the tree shows the root alone
    expect(writes[0]?.trim().split('\n')).toHaveLength(2);
  });
});
