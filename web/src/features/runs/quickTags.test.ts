import { describe, expect, it } from "vitest";
import { quickTags, searchTags } from "./quickTags";

const many = Array.from({ length: 30 }, (_, i) => `t${String(i).padStart(2, "0")}`);

describe("tag quick filters", () => {
  it("shows every tag when they fit", () => {
    expect(quickTags(["b", "a"], [], 12)).toEqual({ shown: ["a", "b"], more: [] });
    expect(quickTags(["a"], ["gone"], 12)).toEqual({ shown: ["a", "gone"], more: [] }); // an active tag no run has any more
  });

  it("puts the rest behind more…, keeping active tags on chips", () => {
    const { shown, more } = quickTags(many, ["t29", "t20"], 12);
    expect(shown).toHaveLength(12);
    expect(shown).toContain("t29");
    expect(shown).toContain("t20");
    expect(shown.slice(0, 10)).toEqual(many.slice(0, 10));
    expect(more).toHaveLength(18);
    expect(new Set([...shown, ...more]).size).toBe(30);
    expect(more).not.toContain("t29");
  });

  it("keeps every active tag visible even beyond the limit", () => {
    const active = many.slice(10, 25);
    const { shown, more } = quickTags(many, active, 12);
    expect(shown).toEqual(active);
    expect(more).toHaveLength(15);
  });

  it("searches any case, prefix matches first", () => {
    expect(searchTags(["lr-sweep", "Sweep", "baseline", "bigsweep"], "SWE")).toEqual(["Sweep", "lr-sweep", "bigsweep"]);
    expect(searchTags(["a", "b"], "  ")).toEqual(["a", "b"]);
    expect(searchTags(["a"], "z")).toEqual([]);
  });
});
