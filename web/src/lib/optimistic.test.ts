import { describe, expect, it } from "vitest";
import { arrived } from "./optimistic";

describe("the page's own URL writes", () => {
  it("skips its own writes as they reach the URL, even late or coalesced", () => {
    // two quick ticks: writes A then AB are pending
    expect(arrived(["A", "AB"], "A")).toEqual({ ours: true, pending: ["AB"] });
    expect(arrived(["AB"], "AB")).toEqual({ ours: true, pending: [] });
    // the router skipped straight to the last write
    expect(arrived(["A", "AB"], "AB")).toEqual({ ours: true, pending: [] });
  });

  it("takes a change from elsewhere (back, a link) and forgets what was pending", () => {
    expect(arrived(["A"], "B")).toEqual({ ours: false, pending: [] });
    expect(arrived([], "A")).toEqual({ ours: false, pending: [] });
  });
});
