// A layered left-to-right layout of a lineage graph, small enough to write by hand:
// inputs on the left (datasets, artifacts used), then runs, then what they logged
// (checkpoints, artifacts), then registered model versions. A reproduction sits right
// of the run it reproduces. Layers by longest path; within a layer, nodes are ordered
// by the mean position of their neighbours in the layer before (two sweeps), which
// keeps most edges from crossing on the graphs lineage gives (a few dozen nodes).
import type { LineageGraph, LineageNode, NodeKind } from "./api";

export const NODE_W = 164;
export const NODE_H = 44;
const GAP_X = 52;
const GAP_Y = 18;
const PAD = 12;

export interface Placed {
  node: LineageNode;
  layer: number;
  x: number;
  y: number;
}

export interface PlacedEdge {
  source: string;
  target: string;
  kind: string;
  path: string; // SVG path from the source's right side to the target's left side
}

export interface Layout {
  nodes: Placed[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}

const KIND_ORDER: Record<NodeKind, number> = {
  dataset: 0,
  artifact: 1,
  run: 2,
  checkpoint: 3,
  model_version: 4,
};

/** Edges as the layout reads them: source left of target ("reproduces" points from the
 * reproduction back to its original, so it is turned round). */
function flow(graph: LineageGraph): [string, string][] {
  return graph.edges.map((e) => (e.kind === "reproduces" ? [e.target, e.source] : [e.source, e.target]));
}

export function layers(graph: LineageGraph): Map<string, number> {
  const layer = new Map(graph.nodes.map((n) => [n.id, 0]));
  const edges = flow(graph).filter(([s, t]) => layer.has(s) && layer.has(t) && s !== t);
  // longest path by relaxation; a cycle (never expected) stops after |nodes| rounds
  for (let round = 0; round < graph.nodes.length; round++) {
    let changed = false;
    for (const [s, t] of edges) {
      const want = (layer.get(s) ?? 0) + 1;
      if (want > (layer.get(t) ?? 0)) {
        layer.set(t, want);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return layer;
}

export function layout(graph: LineageGraph): Layout {
  const layer = layers(graph);
  const count = Math.max(0, ...layer.values()) + 1;
  const columns: LineageNode[][] = Array.from({ length: count }, () => []);
  for (const n of graph.nodes) columns[layer.get(n.id) ?? 0].push(n);
  for (const col of columns)
    col.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.label.localeCompare(b.label));
  const preds = new Map<string, string[]>();
  for (const [s, t] of flow(graph)) preds.set(t, [...(preds.get(t) ?? []), s]);
  const succs = new Map<string, string[]>();
  for (const [s, t] of flow(graph)) succs.set(s, [...(succs.get(s) ?? []), t]);
  const index = new Map<string, number>();
  const renumber = () => columns.forEach((col) => col.forEach((n, i) => index.set(n.id, i)));
  renumber();
  const byMean = (col: LineageNode[], near: Map<string, string[]>) => {
    const mean = (n: LineageNode) => {
      const at = (near.get(n.id) ?? []).map((id) => index.get(id)).filter((i): i is number => i !== undefined);
      return at.length ? at.reduce((a, b) => a + b, 0) / at.length : (index.get(n.id) ?? 0);
    };
    const keyed = col.map((n) => [mean(n), n] as const);
    keyed.sort((a, b) => a[0] - b[0]);
    col.splice(0, col.length, ...keyed.map(([, n]) => n));
    col.forEach((n, i) => index.set(n.id, i));
  };
  for (let sweep = 0; sweep < 2; sweep++) {
    for (let c = 1; c < count; c++) byMean(columns[c], preds);
    for (let c = count - 2; c >= 0; c--) byMean(columns[c], succs);
  }
  const tallest = Math.max(1, ...columns.map((c) => c.length));
  const height = PAD * 2 + tallest * NODE_H + (tallest - 1) * GAP_Y;
  const width = PAD * 2 + count * NODE_W + (count - 1) * GAP_X;
  const placed = new Map<string, Placed>();
  columns.forEach((col, c) => {
    const colHeight = col.length * NODE_H + (col.length - 1) * GAP_Y;
    const top = PAD + (height - PAD * 2 - colHeight) / 2;
    col.forEach((node, i) => {
      placed.set(node.id, { node, layer: c, x: PAD + c * (NODE_W + GAP_X), y: top + i * (NODE_H + GAP_Y) });
    });
  });
  const edges: PlacedEdge[] = [];
  for (const e of graph.edges) {
    const a = placed.get(e.source);
    const b = placed.get(e.target);
    if (!a || !b) continue;
    const [from, to] = e.kind === "reproduces" ? [b, a] : [a, b];
    const x1 = from.x + NODE_W;
    const y1 = from.y + NODE_H / 2;
    const x2 = to.x;
    const y2 = to.y + NODE_H / 2;
    const bend = Math.max(30, (x2 - x1) / 2);
    edges.push({
      source: e.source,
      target: e.target,
      kind: e.kind,
      path: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`,
    });
  }
  return { nodes: [...placed.values()], edges, width, height };
}
