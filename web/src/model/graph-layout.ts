// A layered (Sugiyama-style) layout for the service map: callers on the left, callees to the
// right. Layers come from the longest path from a caller nobody calls (cycles are broken by
// ignoring the edges that close them), and the order inside a layer is improved by a few
// barycentre sweeps so that edges cross less. Small graphs (tens of services) only.

export interface LayoutEdgeInput {
  parent: string;
  child: string;
}

export interface LayoutNode {
  id: string;
  layer: number;
  /** Position inside the layer, from the top. */
  order: number;
  x: number;
  y: number;
}

export interface Layout {
  nodes: Map<string, LayoutNode>;
  width: number;
  height: number;
}

export interface LayoutOptions {
  columnGap: number;
  rowGap: number;
  margin: number;
}

const DEFAULTS: LayoutOptions = { columnGap: 260, rowGap: 90, margin: 80 };

export function layoutGraph(
  edges: readonly LayoutEdgeInput[],
  extraNodes: readonly string[] = [],
  options: Partial<LayoutOptions> = {},
): Layout {
  const opts = { ...DEFAULTS, ...options };
  const ids = [...new Set([...edges.flatMap((e) => [e.parent, e.child]), ...extraNodes])].sort();
  const out = new Map<string, string[]>();
  const incoming = new Map<string, number>();
  for (const id of ids) {
    out.set(id, []);
    incoming.set(id, 0);
  }
  for (const e of edges) {
    if (e.parent === e.child) continue;
    out.get(e.parent)!.push(e.child);
  }

  // Depth-first search from nodes with no callers (then any unvisited node) marks the edges
  // that close a cycle; the rest form a DAG.
  const state = new Map<string, 0 | 1 | 2>();
  const dagOut = new Map<string, string[]>(ids.map((id) => [id, []]));
  const visit = (start: string): void => {
    const stack: Array<{ id: string; next: number }> = [{ id: start, next: 0 }];
    state.set(start, 1);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const targets = out.get(frame.id)!;
      if (frame.next >= targets.length) {
        state.set(frame.id, 2);
        stack.pop();
        continue;
      }
      const target = targets[frame.next++]!;
      const s = state.get(target) ?? 0;
      if (s === 1) continue; // back edge: closes a cycle
      dagOut.get(frame.id)!.push(target);
      if (s === 0) {
        state.set(target, 1);
        stack.push({ id: target, next: 0 });
      }
    }
  };
  for (const e of edges) if (e.parent !== e.child) incoming.set(e.child, incoming.get(e.child)! + 1);
  for (const id of ids) if (incoming.get(id) === 0 && (state.get(id) ?? 0) === 0) visit(id);
  for (const id of ids) if ((state.get(id) ?? 0) === 0) visit(id);

  // Longest-path layering over the DAG, in topological order (Kahn).
  const indeg = new Map<string, number>(ids.map((id) => [id, 0]));
  for (const targets of dagOut.values()) for (const t of targets) indeg.set(t, indeg.get(t)! + 1);
  const layer = new Map<string, number>(ids.map((id) => [id, 0]));
  const queue = ids.filter((id) => indeg.get(id) === 0);
  while (queue.length > 0) {
    const id = queue.shift()!;
    for (const t of dagOut.get(id)!) {
      layer.set(t, Math.max(layer.get(t)!, layer.get(id)! + 1));
      indeg.set(t, indeg.get(t)! - 1);
      if (indeg.get(t) === 0) queue.push(t);
    }
  }

  const layerCount = ids.length === 0 ? 0 : Math.max(...ids.map((id) => layer.get(id)!)) + 1;
  const layers: string[][] = Array.from({ length: layerCount }, () => []);
  for (const id of ids) layers[layer.get(id)!]!.push(id);

  const dagIn = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const [from, targets] of dagOut) for (const t of targets) dagIn.get(t)!.push(from);
  const position = new Map<string, number>();
  const reindex = (): void => layers.forEach((l) => l.forEach((id, i) => position.set(id, i)));
  reindex();
  const barycentre = (id: string, neighbours: Map<string, string[]>): number => {
    const ns = neighbours.get(id)!;
    if (ns.length === 0) return position.get(id)!;
    return ns.reduce((sum, n) => sum + position.get(n)!, 0) / ns.length;
  };
  for (let sweep = 0; sweep < 4; sweep++) {
    const down = sweep % 2 === 0;
    const order = down ? layers.keys() : [...layers.keys()].reverse().values();
    for (const li of order) {
      const neighbours = down ? dagIn : dagOut;
      const keyed = layers[li]!.map((id) => ({ id, key: barycentre(id, neighbours) }));
      keyed.sort((a, b) => a.key - b.key || (a.id < b.id ? -1 : 1));
      layers[li] = keyed.map((k) => k.id);
      reindex();
    }
  }

  const tallest = Math.max(1, ...layers.map((l) => l.length));
  const height = opts.margin * 2 + (tallest - 1) * opts.rowGap;
  const width = opts.margin * 2 + Math.max(0, layerCount - 1) * opts.columnGap;
  const nodes = new Map<string, LayoutNode>();
  layers.forEach((l, li) => {
    // Centre each layer vertically.
    const top = opts.margin + ((tallest - l.length) * opts.rowGap) / 2;
    l.forEach((id, i) => nodes.set(id, { id, layer: li, order: i, x: opts.margin + li * opts.columnGap, y: top + i * opts.rowGap }));
  });
  return { nodes, width, height };
}
