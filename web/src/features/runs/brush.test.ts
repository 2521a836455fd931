// Brushing the parallel-coordinates plot: category axes pick values, which become a
// `key in (...)` clause of the filter language and travel in the URL.
import { describe, expect, it } from "vitest";
import { columnChoices } from "./PlotControls";
import { brushClause, brushHolds, brushLabel, effectiveFilter, literal } from "./filter";
import { categoriesBetween, makeAxis } from "./scale";
import { decodeBrush, encodeBrush, type Brush } from "./state";

describe("category brushes", () => {
  const axis = makeAxis("config.optimizer.name", ["sgd", "adam", null, "adam", "rmsprop", undefined]);

  it("pick the values whose ticks the brushed range covers", () => {
    expect(axis.kind).toBe("category");
    expect(axis.categories).toEqual(["adam", "rmsprop", "sgd"]); // at 0, 0.5, 1
    expect(categoriesBetween(axis, 0.4, 1)).toEqual(["rmsprop", "sgd"]);
    expect(categoriesBetween(axis, -0.1, 0.1)).toEqual(["adam"]);
    expect(categoriesBetween(axis, 0.6, 0.9)).toEqual([]);
  });

  it("keep each value's type and leave out what a filter cannot write", () => {
    const mixed = makeAxis("config.x", [true, "auto", 3, [1, 2], false]);
    expect(mixed.kind).toBe("category");
    const picked = categoriesBetween(mixed, 0, 1);
    expect(picked).toEqual(expect.arrayContaining([true, false, "auto", 3]));
    expect(picked).toHaveLength(4); // the list [1, 2] compares with nothing
    const one = makeAxis("config.y", ["only"]);
    expect(categoriesBetween(one, 0.45, 0.55)).toEqual(["only"]);
  });

  it("become an `in` clause of the filter language", () => {
    const b: Brush = { key: "config.optimizer.name", lo: Number.NaN, hi: Number.NaN, values: ["adam", "sgd"] };
    expect(brushClause(b)).toBe('config.optimizer.name in ("adam", "sgd")');
    const odd: Brush = { key: "config.my key", lo: Number.NaN, hi: Number.NaN, values: ['say "hi"', 3, true, null] };
    expect(brushClause(odd)).toBe('config.`my key` in ("say \\"hi\\"", 3, true, null)');
    expect(effectiveFilter('state = "finished"', [], [], [b, { key: "config.lr", lo: 0, hi: 1 }])).toBe(
      '(state = "finished") and (config.optimizer.name in ("adam", "sgd")) and (config.lr >= 0 and config.lr <= 1)',
    );
    expect(literal(1e-7)).toBe("1e-7");
    expect(literal(false)).toBe("false");
  });

  it("round-trip through the URL, next to range brushes", () => {
    const b: Brush = { key: "config.a:b", lo: Number.NaN, hi: Number.NaN, values: ["x:1:2", 0.5, false, null] };
    const s = encodeBrush(b);
    expect(s.startsWith("[")).toBe(true);
    expect(decodeBrush(s)).toEqual(b);
    const range: Brush = { key: "config.lr", lo: 0.1, hi: 0.2 };
    expect(decodeBrush(encodeBrush(range))).toEqual(range);
    // malformed category brushes are dropped, not guessed
    expect(decodeBrush("[")).toBeNull();
    expect(decodeBrush('["config.a"]')).toBeNull(); // no values
    expect(decodeBrush('[1, "a"]')).toBeNull(); // no key
    expect(decodeBrush('["config.a", [1]]')).toBeNull(); // a list is no value
    expect(decodeBrush('["config.a", {"b": 1}]')).toBeNull();
  });

  it("select runs as the clause does, and read as a set", () => {
    const b: Brush = { key: "config.o", lo: Number.NaN, hi: Number.NaN, values: ["adam", 3] };
    expect(brushHolds(b, "adam")).toBe(true);
    expect(brushHolds(b, 3)).toBe(true);
    expect(brushHolds(b, "3")).toBe(false); // types never mix
    expect(brushHolds(b, null)).toBe(false);
    expect(brushHolds({ key: "config.lr", lo: 0, hi: 1 }, 0.5)).toBe(true);
    expect(brushHolds({ key: "config.lr", lo: 0, hi: 1 }, "0.5")).toBe(false);
    expect(brushLabel(b)).toBe("config.o ∈ {adam, 3}");
    expect(brushLabel({ key: "config.lr", lo: 0.001, hi: 0.5 })).toBe("config.lr ∈ [0.00100, 0.500]");
  });
});

describe("plot key pickers", () => {
  it("offer metrics val/ first, then summary-only keys as summary.<key>, system metrics left out", () => {
    const keys = {
      config: ["lr"],
      metrics: ["val/acc", "loss", "system/cpu"],
      summary: ["best_epoch", "loss"],
      tags: [],
    };
    // the server has no metrics.best_epoch for a key only set with run.summary
    expect(columnChoices(keys, ["metrics"])).toEqual(["metrics.val/acc", "metrics.loss", "summary.best_epoch"]);
    expect(columnChoices(keys, ["config", "metrics"])[0]).toBe("config.lr");
  });
});
