// What a live event for a run invalidates: its record, files, artifacts, console and
// the charts that show it; nothing of other runs.
import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import type { SeriesQuery } from "../../lib/api";
import { seriesKeys } from "../charts/queries";
import { invalidateRuns, runKeys } from "./queries";

const chart = (runs: string[]): SeriesQuery => ({ runs, keys: ["loss"], x_axis: "step", buckets: 100 });

describe("live invalidation of runs", () => {
  it("marks what shows the runs stale, and leaves other runs alone", async () => {
    const qc = new QueryClient();
    const keys = [
      runKeys.detail("a"),
      runKeys.files("a"),
      runKeys.console("a"),
      runKeys.detail("b"),
      seriesKeys.chart(chart(["a", "b"])),
      seriesKeys.chart(chart(["b"])),
    ];
    for (const key of keys) qc.setQueryData(key, 1);
    await invalidateRuns(qc, ["a"]);
    const stale = keys.map((key) => qc.getQueryState(key)?.isInvalidated);
    expect(stale).toEqual([true, true, true, false, true, false]);
  });
});
