// The critical path of a trace, Jaeger-style: the chain of work that decided when the root
// finished. Walking back from the root's end, the last child to finish before the current point
// is what the parent was waiting for; the parent's own time after that child ended is critical
// (self time), then the walk descends into that child, and when a span has no earlier-finishing
// child left, its remaining self time is critical and the walk climbs back to its parent at the
// point where the span started. Times are exact BigInt nanoseconds.
//
// Children are first clipped to their parent (clock skew can make a child start before or end
// after its parent; only the part inside the parent can delay it), and a child wholly outside its
// parent is ignored. Spans whose parent never arrived (orphans) are not on the root's path.

export interface PathSpan {
  span_id: string;
  parent_span_id?: string;
  start_time: string;
  end_time: string;
}

/** One stretch of time on the critical path, owned by one span. */
export interface CriticalSection {
  spanId: string;
  startNs: bigint;
  endNs: bigint;
}

interface Node {
  id: string;
  start: bigint;
  end: bigint;
  parent: Node | undefined;
  /** Sorted by end time, latest first. */
  children: Node[];
}

function buildNodes(spans: readonly PathSpan[]): Map<string, Node> {
  const nodes = new Map<string, Node>();
  for (const s of spans) {
    const start = BigInt(s.start_time);
    let end = BigInt(s.end_time);
    if (end < start) end = start;
    nodes.set(s.span_id, { id: s.span_id, start, end, parent: undefined, children: [] });
  }
  for (const s of spans) {
    if (s.parent_span_id === undefined || s.parent_span_id === s.span_id) continue;
    const parent = nodes.get(s.parent_span_id);
    const node = nodes.get(s.span_id)!;
    if (parent === undefined) continue;
    node.parent = parent;
    parent.children.push(node);
  }
  return nodes;
}

/** The child clipped to its parent's interval, or undefined when it lies wholly outside. */
function clipped(child: Node, parentStart: bigint, parentEnd: bigint): { start: bigint; end: bigint } | undefined {
  const start = child.start > parentStart ? child.start : parentStart;
  const end = child.end < parentEnd ? child.end : parentEnd;
  if (start > end || child.start > parentEnd || child.end < parentStart) return undefined;
  return { start, end };
}

/** The root the path starts from: the span without a parent, else the longest top-level span. */
export function pickRoot(spans: readonly PathSpan[]): PathSpan | undefined {
  const ids = new Set(spans.map((s) => s.span_id));
  let best: PathSpan | undefined;
  let bestDuration = -1n;
  for (const s of spans) {
    if (s.parent_span_id === undefined) return s;
    if (ids.has(s.parent_span_id)) continue;
    const duration = BigInt(s.end_time) - BigInt(s.start_time);
    if (duration > bestDuration) {
      best = s;
      bestDuration = duration;
    }
  }
  return best;
}

export interface CriticalPath {
  /** From the root's end back to its start, latest first; they tile the root's duration. */
  sections: CriticalSection[];
  /**
   * Every span the walk went through, including one whose whole time is covered by its own
   * critical child (it has no section of its own but is still a link in the chain).
   */
  spanIds: Set<string>;
}

export function criticalPath(spans: readonly PathSpan[], rootId?: string): CriticalPath {
  const nodes = buildNodes(spans);
  const rootSpan = rootId !== undefined ? spans.find((s) => s.span_id === rootId) : pickRoot(spans);
  if (rootSpan === undefined) return { sections: [], spanIds: new Set() };
  const root = nodes.get(rootSpan.span_id)!;
  for (const node of nodes.values()) node.children.sort((a, b) => (a.end > b.end ? -1 : a.end < b.end ? 1 : 0));

  // Each node's effective interval: clipped to its parent's effective interval.
  const bounds = new Map<Node, { start: bigint; end: bigint }>();
  bounds.set(root, { start: root.start, end: root.end });
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const b = bounds.get(node)!;
    for (const child of node.children) {
      if (bounds.has(child)) continue; // a cycle in bad data: visit once
      const c = clipped(child, b.start, b.end);
      if (c === undefined) continue;
      bounds.set(child, c);
      stack.push(child);
    }
  }

  const sections: CriticalSection[] = [];
  const visited = new Set<Node>();
  let current: Node = root;
  let cursor = bounds.get(root)!.end; // walk backwards in time from here
  visited.add(root);
  // Each iteration either descends into an unvisited child or climbs to the parent, so the walk
  // ends after at most two steps per span.
  for (;;) {
    const b = bounds.get(current)!;
    let next: Node | undefined;
    for (const child of current.children) {
      const c = bounds.get(child);
      if (c === undefined || visited.has(child)) continue;
      if (c.end <= cursor) {
        next = child;
        break;
      }
    }
    if (next !== undefined) {
      const c = bounds.get(next)!;
      if (c.end < cursor) sections.push({ spanId: current.id, startNs: c.end, endNs: cursor });
      visited.add(next);
      current = next;
      cursor = c.end;
      continue;
    }
    if (cursor > b.start) sections.push({ spanId: current.id, startNs: b.start, endNs: cursor });
    if (current === root || current.parent === undefined) break;
    cursor = b.start;
    current = current.parent;
  }
  return { sections, spanIds: new Set([...visited].map((n) => n.id)) };
}
