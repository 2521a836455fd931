import { describe, expect, it } from "vitest";
import {
  MAX_COMPARE,
  NONE,
  bulkTarget,
  compareRefusal,
  fromUrl,
  headerState,
  isEmpty,
  isSelected,
  offerAll,
  selectedCount,
  toUrl,
  toggleHeader,
  toggleRun,
  type Selection,
} from "./selection";
import { decodeState, encodeState } from "../../lib/urlState";
import { runsSchema } from "./state";

const ids = (...x: string[]): Selection => ({ all: false, ids: x });
const all = (...excluded: string[]): Selection => ({ all: true, excluded });

describe("run selection", () => {
  it("round-trips through the URL, ids or all-matching less exclusions", () => {
    for (const s of [NONE, ids("a", "b"), all(), all("x")]) {
      const params = encodeState(runsSchema, toUrl(s));
      const back = decodeState(runsSchema, params);
      expect(fromUrl(back.all, back.selected, back.excluded)).toEqual(s);
    }
    // all-matching keeps the URL short whatever the count
    expect(encodeState(runsSchema, toUrl(all())).toString()).toBe("all=1");
    // leaving all-matching drops its exclusions from the URL
    const was = encodeState(runsSchema, toUrl(all("x")));
    expect(encodeState(runsSchema, toUrl(NONE), was).toString()).toBe("");
  });

  it("counts ids, or the matching runs less the exclusions", () => {
    expect(selectedCount(ids("a", "b"), 10)).toBe(2);
    expect(selectedCount(all(), 250)).toBe(250);
    expect(selectedCount(all("a", "b"), 250)).toBe(248);
    expect(selectedCount(all("a"), null)).toBeNull();
    expect(selectedCount(all("a", "b"), 1)).toBe(0);
    expect(isEmpty(NONE) && !isEmpty(all()) && !isEmpty(ids("a"))).toBe(true);
  });

  it("toggles a row into the list, or out of all-matching as an exclusion", () => {
    expect(toggleRun(ids("a"), "b")).toEqual(ids("a", "b"));
    expect(toggleRun(ids("a", "b"), "a")).toEqual(ids("b"));
    const less = toggleRun(all(), "a");
    expect(less).toEqual(all("a"));
    expect(isSelected(less, "a")).toBe(false);
    expect(isSelected(less, "zz")).toBe(true); // not loaded yet, still selected
    expect(toggleRun(less, "a")).toEqual(all());
  });

  it("checks the header only when every loaded row is selected", () => {
    const loaded = ["a", "b", "c"];
    expect(headerState(NONE, loaded)).toBe("none");
    expect(headerState(ids("a"), loaded)).toBe("some");
    expect(headerState(ids("c", "b", "a"), loaded)).toBe("all");
    // the old bug: enough selected runs, but from outside the current filter
    expect(headerState(ids("x", "y", "z"), loaded)).toBe("some");
    expect(headerState(ids("x"), [])).toBe("some");
    expect(headerState(all(), loaded)).toBe("all");
    expect(headerState(all("b"), loaded)).toBe("some");
  });

  it("header click selects the loaded rows, then clears", () => {
    const loaded = ["a", "b"];
    expect(toggleHeader(NONE, loaded)).toEqual(ids("a", "b"));
    expect(toggleHeader(ids("x", "a"), loaded)).toEqual(ids("x", "a", "b"));
    expect(toggleHeader(ids("a", "b"), loaded)).toEqual(NONE);
    expect(toggleHeader(all("a"), loaded)).toEqual(NONE);
  });

  it("offers all-matching once every loaded row is selected and more match", () => {
    expect(offerAll(ids("a", "b"), ["a", "b"], 250)).toBe(true);
    expect(offerAll(ids("a", "b"), ["a", "b"], 2)).toBe(false);
    expect(offerAll(ids("a"), ["a", "b"], 250)).toBe(false);
    expect(offerAll(ids("a", "b"), ["a", "b"], null)).toBe(false);
    expect(offerAll(all(), ["a", "b"], 250)).toBe(false);
  });

  it("targets bulk calls by ids or by the filter less exclusions", () => {
    expect(bulkTarget(ids("a"), "config.lr < 1")).toEqual({ ids: ["a"] });
    expect(bulkTarget(all("b"), "config.lr < 1")).toEqual({ filter: "config.lr < 1", exclude: ["b"] });
    expect(bulkTarget(all(), "")).toEqual({ filter: "", exclude: [] });
  });

  it("refuses to compare fewer than two or more than the overlay's maximum", () => {
    expect(compareRefusal(1)).toMatch(/at least two/);
    expect(compareRefusal(2)).toBeNull();
    expect(compareRefusal(MAX_COMPARE)).toBeNull();
    expect(compareRefusal(10_000)).toMatch(/2 to 100 runs, not 10,000: narrow the filter/);
    expect(compareRefusal(null)).not.toBeNull();
  });
});
