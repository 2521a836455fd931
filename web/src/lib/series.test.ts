import { describe, expect, it } from "vitest";
import type { WireSeries } from "./api";
import { decodeSeries, nearestIndex, pointsPerBucket, valueAt, yExtent } from "./series";

const wire = (over: Partial<WireSeries> = {}): WireSeries => ({
  run: "r1",
  key: "loss",
  total: 6,
  sampled: false,
  x: [0, 1, 2],
  y: [1, 0.5, 0.25],
  min: [1, 0.5, 0.25],
  max: [1, 0.5, 0.25],
  nonfinite: { x: [], y: [] },
  ...over,
});

describe("decodeSeries", () => {
  it("keeps finite points and turns the nonfinite list into markers", () => {
    const s = decodeSeries(wire({ nonfinite: { x: [5, 3, 4], y: ["NaN", "Infinity", "-Infinity"] } }));
    expect(Array.from(s.x)).toEqual([0, 1, 2]);
    expect(s.markers).toEqual([
      { x: 3, kind: "inf" },
      { x: 4, kind: "-inf" },
      { x: 5, kind: "nan" },
    ]);
  });

  it("moves inline non-finite values (strings or numbers) to markers", () => {
    const s = decodeSeries(
      wire({ x: [0, 1, 2, 3], y: [1, "NaN" as unknown as number, Number.POSITIVE_INFINITY, 2], min: [], max: [] }),
    );
    expect(Array.from(s.x)).toEqual([0, 3]);
    expect(Array.from(s.y)).toEqual([1, 2]);
    expect(s.markers.map((m) => m.kind)).toEqual(["nan", "inf"]);
  });

  it("keeps bucket min/max and falls back to y where they are missing or non-finite", () => {
    const s = decodeSeries(wire({ sampled: true, min: [0.5, "NaN" as unknown as number, 0.1], max: [2, 0.9] }));
    expect(Array.from(s.min)).toEqual([0.5, 0.5, 0.1]);
    expect(Array.from(s.max)).toEqual([2, 0.9, 0.25]);
  });

  it("drops points whose x is not finite and sorts by x", () => {
    const s = decodeSeries(wire({ x: [2, "NaN" as unknown as number, 1], y: [3, 9, 1], min: [3, 9, 1], max: [3, 9, 1] }));
    expect(Array.from(s.x)).toEqual([1, 2]);
    expect(Array.from(s.y)).toEqual([1, 3]);
  });
});

describe("lookups", () => {
  it("finds the nearest index by binary search", () => {
    const xs = Float64Array.from([0, 10, 20, 30]);
    expect(nearestIndex(xs, -5)).toBe(0);
    expect(nearestIndex(xs, 14)).toBe(1);
    expect(nearestIndex(xs, 16)).toBe(2);
    expect(nearestIndex(xs, 99)).toBe(3);
    expect(nearestIndex(new Float64Array(0), 1)).toBe(-1);
  });

  it("answers the hover value at x", () => {
    const s = decodeSeries(wire());
    expect(valueAt(s, 1.2)).toEqual({ i: 1, x: 1, y: 0.5 });
  });

  it("knows how many logged points a bucket stands for", () => {
    expect(pointsPerBucket(decodeSeries(wire()))).toBe(1);
    expect(pointsPerBucket(decodeSeries(wire({ sampled: true, total: 3000 })))).toBe(1000);
  });

  it("computes the y extent with or without the bands", () => {
    const s = decodeSeries(wire({ sampled: true, min: [0, 0.4, 0.2], max: [3, 0.6, 0.3] }));
    expect(yExtent([s], false)).toEqual([0.25, 1]);
    expect(yExtent([s], true)).toEqual([0, 3]);
    expect(yExtent([], true)).toBeNull();
  });
});
