// TraceReader.getTrace (src/store/reader.ts) of every store: the tree of GET /traces/{id}, with
// depth, children and orphan flags, also for malformed input (several roots, self-parents,
// parent cycles).
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/time/clock.js';
import { nsAt, span, uuid } from '../../support/spans.js';
import { applySpans } from '../../support/store.js';
import { contractStores } from './stores.js';

const NOW = Date.UTC(2026, 10, 21, 10, 0, 0);
const TRACE = uuid(1, 0x77ee);
const id = (n: number): string => uuid(n, 0x5);

/** Span n starting n ms after a base time, with the given parent. */
function s(n: number, parent?: number) {
  return span({ traceId: TRACE, spanId: id(n), parentSpanId: parent === undefined ? undefined : id(parent), startTime: nsAt(NOW - 10_000 + n) });
}

describe.each(contractStores)('%s trace tree', (_name, makeStore) => {
  async function tree(spans: ReturnType<typeof s>[]) {
    const store = makeStore(new ManualClock(NOW));
    await applySpans(store, spans);
    const detail = (await store.getTrace(TRACE))!;
    return {
      root: detail.root_span_id,
      partial: detail.partial,
      spans: detail.spans.map((x) => [x.span_id, x.depth, x.children, x.orphan ?? false]),
    };
  }

  it('counts depth from the root and lists children in span order', async () => {
    expect(await tree([s(1), s(4, 1), s(2, 1), s(3, 2)])).toEqual({
      root: id(1),
      partial: false,
      spans: [
        [id(1), 0, [id(2), id(4)], false],
        [id(2), 1, [id(3)], false],
        [id(3), 2, [], false],
        [id(4), 1, [], false],
      ],
    });
  });

  it('starts orphans and their descendants at depth 0, and keeps the earliest of several roots', async () => {
    expect(await tree([s(2), s(1), s(3, 99), s(4, 3), s(5, 2)])).toEqual({
      root: id(1),
      partial: true,
      spans: [
        [id(1), 0, [], false],
        [id(2), 0, [id(5)], false],
        [id(3), 0, [id(4)], true],
        [id(4), 1, [], false],
        [id(5), 1, [], false],
      ],
    });
  });

  it('places a parent cycle from its earliest span, and a self-parent at depth 0 with no children', async () => {
    // 2 → 3 → 2 is a cycle with 4 hanging off 3; 5 names itself.
    expect(await tree([s(1), s(2, 3), s(3, 2), s(4, 3), s(5, 5)])).toEqual({
      root: id(1),
      partial: false,
      spans: [
        [id(1), 0, [], false],
        [id(2), 0, [id(3)], false],
        [id(3), 1, [id(2), id(4)], false],
        [id(4), 2, [], false],
        [id(5), 0, [], false],
      ],
    });
  });
});
