import { describe, expect, it } from "vitest";
import type { TableRows } from "../../lib/api";
import { PAGE, loadedIds, missingPage, toRows, type RowsPage } from "./rows";

const page = (n: number, total: number, ids: string[] = [`r${n}`]): RowsPage => ({
  page: n,
  total,
  rows: ids.map((id, i) => ({
    index: n * PAGE + i,
    id,
    name: id,
    state: "finished",
    group: null,
    tags: [],
    created_at: 0,
    duration: null,
    cells: {},
  })),
});

describe("pages of the runs table", () => {
  it("asks for the first page on screen that is missing, and only pages that exist", () => {
    expect(missingPage([0, 0], [])).toBe(0);
    expect(missingPage([0, 1], [page(0, 250)])).toBe(1);
    expect(missingPage([99, 99], [page(0, 10_000)])).toBe(99); // a jump to the end: that page only
    expect(missingPage([0, 1], [page(0, 80)])).toBeUndefined(); // one page holds every run
    expect(missingPage([1, 2], [page(0, 250), page(2, 250), page(1, 250)])).toBeUndefined();
  });

  it("lists the loaded runs in table order, whatever order the pages came in", () => {
    expect(loadedIds([page(2, 300, ["c"]), page(0, 300, ["a"]), page(1, 300, ["b"])])).toEqual(["a", "b", "c"]);
  });

  it("splits a columnar answer into rows, decoding non-finite numbers", () => {
    const t: TableRows = {
      total: 2,
      ids: ["a", "b"],
      names: ["A", "B"],
      states: ["running", "failed"],
      groups: [null, "g"],
      tags: [["x"], []],
      created_at: [1, 2],
      durations: [null, 3],
      columns: { "metrics.loss": [0.5, "NaN"] },
    };
    const rows = toRows(t, 100);
    expect(rows.map((r) => [r.index, r.id, r.state, r.group])).toEqual([
      [100, "a", "running", null],
      [101, "b", "failed", "g"],
    ]);
    expect(rows[0].cells["metrics.loss"]).toBe(0.5);
    expect(Number.isNaN(rows[1].cells["metrics.loss"])).toBe(true);
  });
});
