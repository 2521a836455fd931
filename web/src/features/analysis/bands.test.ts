import { describe, expect, it } from "vitest";
import type { ChartSeries } from "../charts/series";
import { groupSeries, seedGroupsOf, t975 } from "./bands";

const series = (run: string, x: number[], y: number[]): ChartSeries => ({
  run,
  key: "acc",
  total: x.length,
  sampled: false,
  x: Float64Array.from(x),
  y: Float64Array.from(y),
  min: Float64Array.from(y),
  max: Float64Array.from(y),
  markers: [],
});

describe("seed groups and bands", () => {
  it("groups runs that differ only in the seed", () => {
    const groups = seedGroupsOf([
      { id: "a1", config: { lr: 0.1, seed: 1 } },
      { id: "a2", config: { lr: 0.1, seed: 2 } },
      { id: "b1", config: { lr: 0.01, seed: 1, opt: { name: "x" } } },
    ]);
    expect(groups.map((g) => [g.name, g.runIds])).toEqual([
      ["lr=0.1", ["a1", "a2"]],
      ["lr=0.01, opt.name=x", ["b1"]],
    ]);
  });

  it("draws the mean with a std, min-max or 95% CI band", () => {
    const data = [series("a1", [0, 1], [1, 2]), series("a2", [0, 1], [3, 4]), series("a3", [0, 1], [2, 6])];
    const groups = [{ id: "g", name: "g", runIds: ["a1", "a2", "a3"] }];
    const [std] = groupSeries(data, groups, "std");
    expect(Array.from(std.y)).toEqual([2, 4]);
    expect(std.max[0]).toBeCloseTo(3); // sd of 1, 3, 2 is 1
    expect(std.sampled).toBe(true);
    const [mm] = groupSeries(data, groups, "minmax");
    expect([mm.min[1], mm.max[1]]).toEqual([2, 6]);
    const [ci] = groupSeries(data, groups, "ci95");
    expect(ci.max[0]).toBeCloseTo(2 + (4.303 * 1) / Math.sqrt(3));
    expect(t975(100)).toBe(1.96);
    expect(groupSeries(data, [{ id: "x", name: "x", runIds: ["zz"] }], "std")).toEqual([]);
  });
});
