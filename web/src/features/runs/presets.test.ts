import { describe, expect, it } from "vitest";
import type { KeyValue } from "./prefs";
import { deletePreset, parsePresets, savePreset, withPreset } from "./presets";

function memory(): KeyValue & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

describe("column presets", () => {
  it("saves, replaces by name and deletes, per project", () => {
    const kv = memory();
    savePreset("p", { name: "losses", columns: ["metrics.train/loss"] }, kv);
    savePreset("p", { name: "acc", columns: ["metrics.val/acc"] }, kv);
    savePreset("p", { name: "losses", columns: ["metrics.val/loss", "metrics.train/loss"] }, kv);
    savePreset("q", { name: "other", columns: [] }, kv);
    const saved = parsePresets(kv.getItem("heron-column-presets:p"));
    expect(saved).toEqual([
      { name: "acc", columns: ["metrics.val/acc"] },
      { name: "losses", columns: ["metrics.val/loss", "metrics.train/loss"] },
    ]);
    deletePreset("p", "acc", kv);
    deletePreset("p", "losses", kv);
    expect(kv.getItem("heron-column-presets:p")).toBeNull();
    expect(parsePresets(kv.getItem("heron-column-presets:q"))).toHaveLength(1);
  });
  it("drops what is malformed", () => {
    expect(parsePresets("not json")).toEqual([]);
    expect(parsePresets('{"a": 1}')).toEqual([]);
    expect(parsePresets('[{"name": "x", "columns": [1]}, {"name": "y", "columns": ["c"]}]')).toEqual([
      { name: "y", columns: ["c"] },
    ]);
    expect(withPreset([], { name: "a", columns: [] })).toEqual([{ name: "a", columns: [] }]);
  });
});
