import { describe, expect, it } from "vitest";
import { chartSchema } from "../features/charts/state";
import { runsSchema } from "../features/runs/state";
import { decodeState, encodeState } from "./urlState";

describe("URL state", () => {
  it("round-trips every kind of field", () => {
    const state = {
      ...decodeState(runsSchema, new URLSearchParams()),
      filter: 'config.lr < 0.01 and name like "a&b"',
      sort: ["-metrics.val/acc", "config.lr"],
      columns: ["metrics.a,b", "config.x y"], // keys may hold commas and spaces
      customColumns: true,
      selected: ["abc", "def"],
      view: "parallel",
    };
    const params = encodeState(runsSchema, state);
    const back = decodeState(runsSchema, new URLSearchParams(params.toString()));
    expect(back).toEqual(state);
  });

  it("leaves defaults out of the URL", () => {
    const params = encodeState(chartSchema, decodeState(chartSchema, new URLSearchParams()));
    expect(params.toString()).toBe("");
    expect(encodeState(chartSchema, { xAxis: "time", logY: true }).toString()).toBe("x=time&logy=1");
  });

  it("keeps parameters of other schemas", () => {
    const base = new URLSearchParams("tab=charts&other=1");
    const out = encodeState(chartSchema, { smoothing: 0.6 }, base);
    expect(out.get("tab")).toBe("charts");
    expect(out.get("other")).toBe("1");
    expect(out.get("smooth")).toBe("0.6");
  });

  it("falls back to defaults on malformed values", () => {
    const s = decodeState(chartSchema, new URLSearchParams("smooth=abc&logy=1&xmin="));
    expect(s.smoothing).toBe(0);
    expect(s.logY).toBe(true);
    expect(Number.isNaN(s.xMin)).toBe(true);
  });

  it("distinguishes an emptied list from the default", () => {
    const schema = { cols: { param: "c", kind: "list" as const, default: ["a"] } };
    const params = encodeState(schema, { cols: [] });
    expect(params.toString()).toBe("c=");
    expect(decodeState(schema, params).cols).toEqual([]);
    expect(decodeState(schema, new URLSearchParams()).cols).toEqual(["a"]);
  });

  it("removes a value set back to its default", () => {
    const base = new URLSearchParams("q=x&sort=-name");
    expect(encodeState(runsSchema, { filter: "", sort: [] }, base).toString()).toBe("");
  });
});
