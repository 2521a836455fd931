import { describe, expect, it } from "vitest";
import { starIndex } from "./best";

describe("the best value's star", () => {
  it("goes to the best run of a result metric", () => {
    expect(starIndex("val/acc", [0.8, 0.9, 0.85])).toBe(1);
    expect(starIndex("val/loss", [0.3, 0.2, 0.25])).toBe(1);
  });
  it("skips system metrics, lr and epoch, unless a goal says otherwise", () => {
    expect(starIndex("system/cpu.percent", [10, 20])).toBe(-1);
    expect(starIndex("lr", [0.1, 0.01])).toBe(-1);
    expect(starIndex("train/lr", [0.1, 0.01])).toBe(-1);
    expect(starIndex("epoch", [9, 9.5])).toBe(-1);
    expect(starIndex("epoch", [9, 10], "max")).toBe(1);
  });
  it("skips ties", () => {
    expect(starIndex("val/acc", [0.9, 0.9, 0.8])).toBe(-1);
    expect(starIndex("val/acc", [0.8, 0.8, 0.9])).toBe(2);
  });
});
