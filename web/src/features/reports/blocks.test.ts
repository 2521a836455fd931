import { describe, expect, it } from "vitest";
import { blockKind, chartGeometry, parseBlock } from "./blocks";

describe("report blocks", () => {
  it("knows its fenced languages", () => {
    expect(blockKind("heron-chart")).toBe("chart");
    expect(blockKind("heron-table")).toBe("table");
    expect(blockKind("heron-runs")).toBe("runs");
    expect(blockKind("python")).toBeNull();
  });
  it("parses field: value lines", () => {
    const got = parseBlock(
      "chart",
      'runs: config.lr < 0.01 and tags has "a:b"\nkeys: val/acc, train/loss\n# a comment\nlimit: 5\nlog: true\ntitle: Acc',
    );
    expect(got).toEqual({
      spec: expect.objectContaining({
        runs: 'config.lr < 0.01 and tags has "a:b"',
        keys: ["val/acc", "train/loss"],
        limit: 5,
        log: true,
        title: "Acc",
        x: "step",
      }),
    });
    const table = parseBlock("table", "columns: val/acc, config.lr\nsort: -metrics.val/acc");
    expect(table).toEqual({
      spec: expect.objectContaining({
        columns: ["metrics.val/acc", "config.lr"],
        sort: ["-metrics.val/acc"],
        limit: 20,
      }),
    });
  });
  it("says what is wrong instead of drawing", () => {
    expect(parseBlock("chart", "runs: x")).toEqual({ error: "a chart needs keys: (one or more metric keys)" });
    expect(parseBlock("chart", "keys: a\nlimit: 500")).toEqual({
      error: 'line 2: limit is a whole number from 1 to 20, not "500"',
    });
    expect(parseBlock("runs", "colour: red")).toMatchObject({
      error: expect.stringContaining('line 1: "colour: red"'),
    });
    expect(parseBlock("chart", "keys: a\nlog: maybe")).toMatchObject({ error: expect.stringContaining("log is true") });
  });
});

describe("chart geometry", () => {
  const frame = { width: 110, height: 110, pad: { top: 5, right: 5, bottom: 5, left: 5 } };
  it("maps points into the frame and breaks lines at non-finite values", () => {
    const g = chartGeometry([{ run: "r", key: "k", xs: [0, 1, 2, 3], ys: [0, 1, Number.NaN, 2] }], frame, false);
    expect(g.paths[0].d).toBe("M5 105L38.3 55M105 5");
    expect(g.empty).toBe(false);
  });
  it("draws a log scale, leaving out values at or below zero", () => {
    const g = chartGeometry([{ run: "r", key: "k", xs: [0, 1, 2], ys: [0, 1, 100] }], frame, true);
    expect(g.paths[0].d).toBe("M5 105L105 5"); // the x range is that of the points drawn
    expect(g.yTicks.map((t) => t.value)).toEqual([1, 2, 5, 10, 20, 50, 100]);
  });
  it("is empty without a finite point", () => {
    expect(chartGeometry([{ run: "r", key: "k", xs: [0], ys: [Number.NaN] }], frame, false).empty).toBe(true);
  });
});
