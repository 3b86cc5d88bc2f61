// The critical path (web/src/model/critical-path.ts): the chain of work that decided when the
// root finished, Jaeger-style, with exact nanosecond arithmetic.

import { describe, expect, it } from 'vitest';
import { criticalPath, pickRoot, type PathSpan } from '../../web/src/model/critical-path.js';

const T0 = 1_763_000_000_000_000_000n;

/** A span from millisecond offsets; ids are short names for readability. */
function s(id: string, parent: string | undefined, startMs: number, endMs: number): PathSpan {
  return {
    span_id: id,
    parent_span_id: parent,
    start_time: (T0 + BigInt(startMs) * 1_000_000n).toString(),
    end_time: (T0 + BigInt(endMs) * 1_000_000n).toString(),
  };
}

function sectionsMs(spans: PathSpan[]): Array<[string, number, number]> {
  return criticalPath(spans).sections.map((c) => [c.spanId, Number(c.startNs - T0) / 1e6, Number(c.endNs - T0) / 1e6]);
}

// The trace the end-to-end test seeds: a sequential inventory → payment chain under checkout,
// with a parallel notification and an error span that finish early, and an orphan.
const checkout: PathSpan[] = [
  s('A', undefined, 0, 400),
  s('B', 'A', 10, 110),
  s('B1', 'B', 20, 60),
  s('B2', 'B', 65, 100),
  s('C', 'A', 120, 380),
  s('C1', 'C', 130, 200),
  s('C2', 'C', 210, 370),
  s('D', 'A', 150, 250),
  s('E', 'A', 260, 300),
  s('F', 'missing-parent', 50, 90),
];

describe('critical path', () => {
  it('follows the last-finishing child back through sequential work', () => {
    const path = criticalPath(checkout);
    expect([...path.spanIds].sort()).toEqual(['A', 'B', 'B1', 'B2', 'C', 'C1', 'C2']);
    expect(sectionsMs(checkout)).toEqual([
      ['A', 380, 400],
      ['C', 370, 380],
      ['C2', 210, 370],
      ['C', 200, 210],
      ['C1', 130, 200],
      ['C', 120, 130],
      ['A', 110, 120],
      ['B', 100, 110],
      ['B2', 65, 100],
      ['B', 60, 65],
      ['B1', 20, 60],
      ['B', 10, 20],
      ['A', 0, 10],
    ]);
  });

  it('tiles the root exactly: the sections add up to its duration', () => {
    const total = criticalPath(checkout).sections.reduce((sum, c) => sum + (c.endNs - c.startNs), 0n);
    expect(total).toBe(400n * 1_000_000n);
  });

  it('leaves out parallel children that finished before the chain needed them', () => {
    const ids = criticalPath(checkout).spanIds;
    expect(ids.has('D')).toBe(false);
    expect(ids.has('E')).toBe(false);
  });

  it('never puts an orphan on the root’s path', () => {
    expect(criticalPath(checkout).spanIds.has('F')).toBe(false);
  });

  it('is the root alone when it has no children', () => {
    expect(sectionsMs([s('R', undefined, 0, 50)])).toEqual([['R', 0, 50]]);
  });

  it('takes the longer of two parallel children', () => {
    const spans = [s('R', undefined, 0, 100), s('fast', 'R', 10, 40), s('slow', 'R', 10, 90)];
    expect(sectionsMs(spans)).toEqual([
      ['R', 90, 100],
      ['slow', 10, 90],
      ['R', 0, 10],
    ]);
  });

  it('chains children that touch end to start', () => {
    const spans = [s('R', undefined, 0, 30), s('one', 'R', 0, 10), s('two', 'R', 10, 20), s('three', 'R', 20, 30)];
    expect(sectionsMs(spans)).toEqual([
      ['three', 20, 30],
      ['two', 10, 20],
      ['one', 0, 10],
    ]);
    expect([...criticalPath(spans).spanIds].sort()).toEqual(['R', 'one', 'three', 'two']);
  });

  it('keeps a link whose whole time is its child’s in the chain', () => {
    const spans = [s('R', undefined, 0, 100), s('proxy', 'R', 10, 90), s('work', 'proxy', 10, 90)];
    const path = criticalPath(spans);
    expect([...path.spanIds].sort()).toEqual(['R', 'proxy', 'work']);
    expect(path.sections.some((c) => c.spanId === 'proxy')).toBe(false);
  });

  it('clips a child that outlives its parent (clock skew) to the parent', () => {
    const spans = [s('R', undefined, 0, 100), s('late', 'R', 50, 130)];
    expect(sectionsMs(spans)).toEqual([
      ['late', 50, 100],
      ['R', 0, 50],
    ]);
  });

  it('ignores a child entirely outside its parent', () => {
    const spans = [s('R', undefined, 0, 100), s('outside', 'R', 150, 180)];
    expect(sectionsMs(spans)).toEqual([['R', 0, 100]]);
  });

  it('is exact to the nanosecond', () => {
    const spans: PathSpan[] = [
      { span_id: 'R', start_time: '1763000000000000001', end_time: '1763000000000000009' },
      { span_id: 'c', parent_span_id: 'R', start_time: '1763000000000000003', end_time: '1763000000000000007' },
    ];
    const sections = criticalPath(spans).sections.map((c) => [c.spanId, c.startNs.toString(), c.endNs.toString()]);
    expect(sections).toEqual([
      ['R', '1763000000000000007', '1763000000000000009'],
      ['c', '1763000000000000003', '1763000000000000007'],
      ['R', '1763000000000000001', '1763000000000000003'],
    ]);
  });

  it('terminates on zero-length children and parent cycles', () => {
    const zero = [s('R', undefined, 0, 10), s('z1', 'R', 10, 10), s('z2', 'R', 10, 10)];
    expect([...criticalPath(zero).spanIds].sort()).toEqual(['R', 'z1', 'z2']);
    const cycle = [s('R', undefined, 0, 10), s('x', 'y', 1, 5), s('y', 'x', 2, 4)];
    expect(sectionsMs(cycle)).toEqual([['R', 0, 10]]);
  });

  it('starts from the longest top-level span when the root never arrived', () => {
    const spans = [s('short', 'gone', 0, 10), s('long', 'gone', 5, 50), s('kid', 'long', 10, 40)];
    expect(pickRoot(spans)?.span_id).toBe('long');
    expect([...criticalPath(spans).spanIds].sort()).toEqual(['kid', 'long']);
  });

  it('is empty for an empty trace', () => {
    expect(criticalPath([]).sections).toEqual([]);
  });
});
