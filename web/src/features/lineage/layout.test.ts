import { describe, expect, it } from "vitest";
import type { LineageGraph, LineageNode } from "./api";
import { layers, layout } from "./layout";

const node = (id: string, kind: LineageNode["kind"]): LineageNode => ({ id, kind, label: id, level: 0, data: {} });

// raw -> prep -> clean -> train -> weights -> model; extra -> train; repro reproduces train
const graph: LineageGraph = {
  root: "train",
  depth: 3,
  truncated: false,
  nodes: [
    node("model", "model_version"),
    node("train", "run"),
    node("raw", "dataset"),
    node("prep", "run"),
    node("clean", "artifact"),
    node("extra", "dataset"),
    node("weights", "artifact"),
    node("repro", "run"),
  ],
  edges: [
    { source: "raw", target: "prep", kind: "input" },
    { source: "prep", target: "clean", kind: "output" },
    { source: "clean", target: "train", kind: "input" },
    { source: "extra", target: "train", kind: "input" },
    { source: "train", target: "weights", kind: "output" },
    { source: "weights", target: "model", kind: "registered" },
    { source: "repro", target: "train", kind: "reproduces" },
  ],
};

describe("lineage layout", () => {
  it("puts inputs left of runs, outputs and models right, reproductions after the original", () => {
    const l = layers(graph);
    expect(Object.fromEntries(l)).toEqual({
      raw: 0,
      prep: 1,
      clean: 2,
      extra: 0,
      train: 3,
      weights: 4,
      model: 5,
      repro: 4,
    });
  });

  it("places every node once, inside the drawing, edges from left to right", () => {
    const { nodes, edges, width, height } = layout(graph);
    expect(nodes.map((n) => n.node.id).sort()).toEqual(graph.nodes.map((n) => n.id).sort());
    for (const n of nodes) {
      expect(n.x).toBeGreaterThanOrEqual(0);
      expect(n.y).toBeGreaterThanOrEqual(0);
      expect(n.x).toBeLessThan(width);
      expect(n.y).toBeLessThan(height);
    }
    expect(edges).toHaveLength(7);
    for (const e of edges) {
      const [x1, x2] = [...e.path.matchAll(/[MC ](-?[\d.]+),/g)]
        .map((m) => Number(m[1]))
        .filter((_, i) => i === 0 || i === 3);
      expect(x2).toBeGreaterThan(x1);
    }
  });

  it("survives a cycle and an empty graph", () => {
    const cyclic: LineageGraph = {
      ...graph,
      nodes: [node("a", "run"), node("b", "artifact")],
      edges: [
        { source: "a", target: "b", kind: "output" },
        { source: "b", target: "a", kind: "input" },
      ],
    };
    expect(layout(cyclic).nodes).toHaveLength(2);
    expect(layout({ ...graph, nodes: [], edges: [] }).nodes).toHaveLength(0);
  });
});
