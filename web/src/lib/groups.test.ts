import { describe, expect, it } from "vitest";
import { bestIndex, diffRows, flatten, higherIsBetter } from "./flatten";
import { aggregate, groupRows } from "./groups";
import { parseCsv, previewKind } from "./preview";
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

describe("comparison helpers", () => {
  it("flattens nested config to dotted leaves", () => {
    expect(flatten({ a: 1, b: { c: [1, 2], d: { e: null } }, f: {} })).toEqual([
      ["a", 1],
      ["b.c", [1, 2]],
      ["b.d.e", null],
      ["f", {}],
    ]);
  });

  it("marks rows that differ, including a missing value", () => {
    const rows = diffRows([
      { lr: 0.1, bs: 32 },
      { lr: 0.1, bs: 64, extra: true },
    ]);
    expect(rows.map((r) => [r.path, r.same])).toEqual([
      ["bs", false],
      ["extra", false],
      ["lr", true],
    ]);
  });

  it("picks the best value in the metric's direction", () => {
    expect(bestIndex([0.5, 0.9, "x", Number.NaN], true)).toBe(1);
    expect(bestIndex([0.5, 0.9, 0.1], false)).toBe(2);
    expect(bestIndex([undefined, null], true)).toBe(-1);
    expect(higherIsBetter("val/acc")).toBe(true);
    expect(higherIsBetter("train/loss")).toBe(false);
    expect(higherIsBetter("train/loss", "max")).toBe(true);
  });
});

describe("file previews", () => {
  it("chooses the preview by file name", () => {
    expect(previewKind("a/b.PNG")).toBe("image");
    expect(previewKind("code/diff.patch")).toBe("diff");
    expect(previewKind("x.yaml")).toBe("text");
    expect(previewKind("requirements.txt")).toBe("text");
    expect(previewKind("m.json")).toBe("json");
    expect(previewKind("weights.bin")).toBe("none");
  });

  it("parses CSV with quotes and embedded separators", () => {
    expect(parseCsv('a,b\n"x, y","say ""hi"""\r\n1,2')).toEqual([
      ["a", "b"],
      ["x, y", 'say "hi"'],
      ["1", "2"],
    ]);
  });
});
