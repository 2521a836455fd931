import { describe, expect, it } from "vitest";
import type { MediaItem } from "./api";
import { heatmap, itemAt, tableView, unionSteps } from "./media";

const item = (step: number, edges: number[], counts: number[]): MediaItem => ({
  key: "h",
  step,
  kind: "histogram",
  digest: null,
  size: 0,
  meta: { edges, counts },
  refs: [],
  time: 0,
});

describe("itemAt", () => {
  const items = [{ step: 2 }, { step: 5 }, { step: 9 }];
  it("takes the item at or before the step", () => {
    expect(itemAt(items, 5)).toEqual({ step: 5 });
    expect(itemAt(items, 8)).toEqual({ step: 5 });
    expect(itemAt(items, 100)).toEqual({ step: 9 });
    expect(itemAt(items, 0)).toEqual({ step: 2 });
    expect(itemAt(items, null)).toEqual({ step: 9 });
    expect(itemAt([], 3)).toBeNull();
  });
  it("merges steps of several keys", () => {
    expect(
      unionSteps([
        [{ step: 3 }, { step: 1 }],
        [{ step: 3 }, { step: 2 }],
      ]),
    ).toEqual([1, 2, 3]);
  });
});

describe("heatmap", () => {
  it("re-bins each step onto common rows scaled to its maximum", () => {
    const map = heatmap([item(0, [0, 1, 2], [4, 2]), item(1, [2, 4], [5])], 4)!;
    expect(map.steps).toEqual([0, 1]);
    expect([map.low, map.high]).toEqual([0, 4]);
    expect([...map.cells.slice(0, 4)]).toEqual([1, 0.5, 0, 0]);
    expect([...map.cells.slice(4, 8)]).toEqual([0, 0, 0, 1]);
  });
  it("is null without bins", () => {
    expect(heatmap([])).toBeNull();
  });
});

describe("tableView", () => {
  const rows = [
    [3, "cat"],
    [null, "dog"],
    [10, { number: "NaN" }],
    [1, "catfish"],
  ];
  it("filters on any column and sorts numbers as numbers, empty last", () => {
    expect(tableView(rows, "", -1, false)).toEqual([0, 1, 2, 3]);
    expect(tableView(rows, "CAT", -1, false)).toEqual([0, 3]);
    expect(tableView(rows, "", 0, false)).toEqual([3, 0, 2, 1]);
    expect(tableView(rows, "", 0, true)).toEqual([2, 0, 3, 1]);
  });
});
