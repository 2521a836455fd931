import { describe, expect, it } from "vitest";
import { aggregate, groupRows } from "./groups";
import type { Row } from "./rows";

const row = (id: string, cells: Row["cells"], tags: string[] = [], group: string | null = null): Row => ({
  index: 0,
  id,
  name: id,
  state: "finished",
  group,
  tags,
  created_at: 0,
  duration: null,
  cells,
});

describe("grouping", () => {
  const rows = [
    row("a", { "config.lr": 0.1, "metrics.acc": 0.5 }, ["x"]),
    row("b", { "config.lr": 0.1, "metrics.acc": 0.7 }, ["x", "y"]),
    row("c", { "config.lr": 0.01, "metrics.acc": Number.NaN }),
    row("d", { "metrics.acc": 0.9 }),
  ];

  it("groups by a config value with mean/min/max, missing last", () => {
    const g = groupRows(rows, "config.lr", ["metrics.acc"]);
    expect(g.map((x) => [x.key, x.runs.length])).toEqual([
      ["0.01", 1],
      ["0.1", 2],
      ["(none)", 1],
    ]);
    expect(g[1].stats["metrics.acc"]).toEqual({ n: 2, mean: 0.6, min: 0.5, max: 0.7 });
    expect(g[0].stats["metrics.acc"]).toBeNull(); // NaN is not aggregated
  });

  it("puts a run with several tags in each tag's group", () => {
    const g = groupRows(rows, "tags", []);
    expect(Object.fromEntries(g.map((x) => [x.key, x.runs.map((r) => r.id)]))).toEqual({
      x: ["a", "b"],
      y: ["b"],
      "(none)": ["c", "d"],
    });
  });

  it("aggregates only finite numbers", () => {
    expect(aggregate([1, "a", null, Number.POSITIVE_INFINITY, 3])).toEqual({ n: 2, mean: 2, min: 1, max: 3 });
    expect(aggregate([])).toBeNull();
  });
});
