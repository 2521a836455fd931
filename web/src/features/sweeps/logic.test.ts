import { describe, expect, it } from "vitest";
import type { Trial } from "./api";
import { bestSoFar, fmt, goodness, paramAxes, rampColor } from "./logic";

const trial = (number: number, status: string, value: number | null, params: Record<string, unknown>): Trial => ({
  number,
  status,
  value,
  params,
  run_id: null,
  run_state: null,
  started_at: null,
  ended_at: null,
  steps: 0,
  error: null,
});

describe("sweep page logic", () => {
  const trials = [
    trial(2, "complete", 3, { x: 2, opt: "sgd" }),
    trial(0, "complete", 5, { x: 0, opt: "adam" }),
    trial(1, "pruned", null, { x: 1, opt: "adam" }),
    trial(3, "complete", 4, { x: 4 }),
  ];

  it("draws the best so far in trial order over complete trials", () => {
    expect(bestSoFar(trials, "minimize")).toEqual([
      { trial: 0, value: 5, best: 5 },
      { trial: 2, value: 3, best: 3 },
      { trial: 3, value: 4, best: 3 },
    ]);
    expect(bestSoFar(trials, "maximize").map((p) => p.best)).toEqual([5, 5, 5]);
  });

  it("places numbers and categories on their axes", () => {
    const [x, opt] = paramAxes(trials, ["x", "opt"]);
    expect(x.kind).toBe("number");
    expect(x.place(2)).toBe(0.5);
    expect(opt.kind).toBe("category");
    expect(opt.ticks.map((t) => t.label)).toEqual(["adam", "sgd"]);
    expect(opt.place("sgd")).toBe(1);
    expect(opt.place(undefined)).toBeNull();
  });

  it("colours from worst to best", () => {
    expect(goodness(3, [3, 5], "minimize")).toBe(1);
    expect(goodness(3, [3, 5], "maximize")).toBe(0);
    expect(rampColor(0)).toBe("rgb(68, 1, 84)");
    expect(rampColor(1)).toBe("rgb(253, 231, 37)");
    expect(fmt(0.000123)).toBe("1.23e-4");
    expect(fmt(2.5)).toBe("2.5");
  });
});
