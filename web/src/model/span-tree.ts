// The span tree of one trace, built in the browser from parent_span_id so that any
// Traced-contract server works (the extension's depth/children fields say the same thing).
// A span whose parent never arrived is an orphan: it is shown as a top-level row and flagged,
// never hidden. Children are ordered by start time, then span id, so rows are stable across polls.

export interface TreeInput {
  span_id: string;
  parent_span_id?: string;
  start_time: string;
  end_time: string;
  /** Set by servers with the tree extension; OR-ed with what the tree itself shows. */
  orphan?: boolean;
}

export interface SpanNode<S extends TreeInput> {
  span: S;
  depth: number;
  parent: SpanNode<S> | undefined;
  children: SpanNode<S>[];
  /** The parent id names a span that is not in the trace. */
  orphan: boolean;
  startNs: bigint;
  endNs: bigint;
  /** Spans below this one (not counting itself). */
  descendants: number;
}

export interface SpanTree<S extends TreeInput> {
  /** The root span(s) first, then orphans, each ordered by start time. */
  tops: SpanNode<S>[];
  byId: Map<string, SpanNode<S>>;
  root: SpanNode<S> | undefined;
  orphans: SpanNode<S>[];
  startNs: bigint;
  endNs: bigint;
  maxDepth: number;
}

function byStart<S extends TreeInput>(a: SpanNode<S>, b: SpanNode<S>): number {
  if (a.startNs !== b.startNs) return a.startNs < b.startNs ? -1 : 1;
  return a.span.span_id < b.span.span_id ? -1 : a.span.span_id > b.span.span_id ? 1 : 0;
}

export function buildSpanTree<S extends TreeInput>(spans: readonly S[]): SpanTree<S> {
  const byId = new Map<string, SpanNode<S>>();
  for (const span of spans) {
    const startNs = BigInt(span.start_time);
    const endNs = BigInt(span.end_time);
    byId.set(span.span_id, {
      span,
      depth: 0,
      parent: undefined,
      children: [],
      orphan: false,
      startNs,
      endNs: endNs < startNs ? startNs : endNs,
      descendants: 0,
    });
  }
  const roots: SpanNode<S>[] = [];
  const orphans: SpanNode<S>[] = [];
  for (const node of byId.values()) {
    const parentId = node.span.parent_span_id;
    if (parentId === undefined || parentId === '') {
      roots.push(node);
      continue;
    }
    const parent = parentId === node.span.span_id ? undefined : byId.get(parentId);
    if (parent === undefined) {
      node.orphan = true;
      orphans.push(node);
    } else {
      node.parent = parent;
      parent.children.push(node);
    }
  }

  let maxDepth = 0;
  const reached = new Set<SpanNode<S>>();
  // Depth-first from each top; returns the subtree size. Iterative: traces can be deep.
  const walk = (top: SpanNode<S>): void => {
    const stack: Array<{ node: SpanNode<S>; depth: number; exit: boolean }> = [{ node: top, depth: 0, exit: false }];
    while (stack.length > 0) {
      const frame = stack.pop()!;
      const node = frame.node;
      if (frame.exit) {
        node.descendants = node.children.reduce((sum, c) => sum + 1 + c.descendants, 0);
        continue;
      }
      if (reached.has(node)) continue;
      reached.add(node);
      node.depth = frame.depth;
      if (frame.depth > maxDepth) maxDepth = frame.depth;
      node.children.sort(byStart);
      stack.push({ node, depth: frame.depth, exit: true });
      for (let i = node.children.length - 1; i >= 0; i--) {
        stack.push({ node: node.children[i]!, depth: frame.depth + 1, exit: false });
      }
    }
  };
  roots.sort(byStart);
  orphans.sort(byStart);
  for (const top of roots) walk(top);
  for (const top of orphans) walk(top);
  // Spans in a parent cycle are reached from no top: break the cycle and show them as orphans.
  for (const node of [...byId.values()].sort(byStart)) {
    if (reached.has(node)) continue;
    if (node.parent !== undefined) {
      node.parent.children = node.parent.children.filter((c) => c !== node);
      node.parent = undefined;
    }
    node.orphan = true;
    orphans.push(node);
    walk(node);
  }
  for (const node of byId.values()) if (node.span.orphan === true) node.orphan = true;

  let startNs = 0n;
  let endNs = 0n;
  let first = true;
  for (const node of byId.values()) {
    if (first || node.startNs < startNs) startNs = node.startNs;
    if (first || node.endNs > endNs) endNs = node.endNs;
    first = false;
  }
  return { tops: [...roots, ...orphans], byId, root: roots[0], orphans, startNs, endNs, maxDepth };
}

/** Rows in display order (depth-first), skipping the subtrees of collapsed spans. */
export function visibleRows<S extends TreeInput>(tree: SpanTree<S>, collapsed: ReadonlySet<string>): SpanNode<S>[] {
  const rows: SpanNode<S>[] = [];
  const stack: SpanNode<S>[] = [...tree.tops].reverse();
  while (stack.length > 0) {
    const node = stack.pop()!;
    rows.push(node);
    if (collapsed.has(node.span.span_id)) continue;
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
  }
  return rows;
}
