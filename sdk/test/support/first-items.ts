/**
 * The first `count` items of a list a test goes on to read, each typed as present:
 * `const [a, b] = firstItems(spans, 2)`. A shorter list fails here with its length, rather than
 * later as "cannot read properties of undefined" on a line that does not say what was missing.
 */
export function firstItems<T>(list: readonly T[], count: 1): [T];
export function firstItems<T>(list: readonly T[], count: 2): [T, T];
export function firstItems<T>(list: readonly T[], count: 3): [T, T, T];
export function firstItems<T>(list: readonly T[], count: number): T[] {
  if (list.length < count) throw new Error(`expected at least ${count} items, found ${list.length}`);
  return list.slice(0, count);
}
