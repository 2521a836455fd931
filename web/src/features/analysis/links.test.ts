import { describe, expect, it } from "vitest";
import { analysisHref } from "./links";

describe("analysisHref", () => {
  it("carries the runs in view and the plotted metric", () => {
    const params = new URLSearchParams("q=config.lr%20%3C%200.1&state=finished&metric=metrics.val%2Facc");
    const href = analysisHref("vision", params);
    const url = new URL(href, "http://x");
    expect(url.pathname).toBe("/p/vision/analysis");
    expect(url.searchParams.get("filter")).toBe('(config.lr < 0.1) and (state in ("finished"))');
    expect(url.searchParams.get("metric")).toBe("val/acc");
    expect(analysisHref("vision", null)).toBe("/p/vision/analysis");
  });
});
