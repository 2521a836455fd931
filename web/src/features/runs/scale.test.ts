import { describe, expect, it } from "vitest";
import { canLog, colorAt, logTicks, makeAxis } from "./scale";

describe("log axes", () => {
  it("place values by their logarithm", () => {
    const a = makeAxis("config.lr", [1e-4, 1e-3, 1e-2], true);
    expect(a.log).toBe(true);
    expect(a.norm(1e-4)).toBeCloseTo(0);
    expect(a.norm(1e-3)).toBeCloseTo(0.5);
    expect(a.norm(1e-2)).toBeCloseTo(1);
    expect(a.denorm(0.5)).toBeCloseTo(1e-3);
    // linear: 1e-3 sits near the bottom
    expect(makeAxis("config.lr", [1e-4, 1e-3, 1e-2]).norm(1e-3)).toBeCloseTo(0.0909, 3);
  });
  it("stay linear when a value is zero or negative", () => {
    expect(canLog([0.1, 0])).toBe(false);
    const a = makeAxis("m", [-1, 10], true);
    expect(a.log).toBeUndefined();
    expect(a.norm(-1)).toBe(0);
  });
  it("tick at powers of ten (and 2, 5 over few decades)", () => {
    expect(logTicks(1e-5, 1)).toEqual([1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1]);
    expect(logTicks(1, 30)).toEqual([1, 2, 5, 10, 20]);
    expect(logTicks(0, 1)).toEqual([]);
  });
});

describe("colour scale", () => {
  it("runs from viridis' dark purple to its yellow", () => {
    expect(colorAt(0)).toBe("#440154");
    expect(colorAt(1)).toBe("#fde725");
    expect(colorAt(0.5)).toBe("#21918c");
    expect(colorAt(Number.NaN)).toBe("#440154");
    expect(colorAt(2)).toBe("#fde725");
  });
});
