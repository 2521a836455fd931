import { describe, expect, it } from "vitest";
import { bestIndex, diffRows, flatten, higherIsBetter } from "./flatten";

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
