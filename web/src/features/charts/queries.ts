// Chart series in the query cache: one entry per chart (its runs, metric, x axis,
// buckets and zoom); live events invalidate the charts of the runs that logged.
import { keepPreviousData, useQuery, type QueryClient } from "@tanstack/react-query";
import type { SeriesQuery } from "../../lib/api";
import { seriesApi } from "./api";
import type { ChartSeries } from "./series";

export const seriesKeys = {
  all: ["series"] as const,
  chart: (q: SeriesQuery) => ["series", q] as const,
};

/** One chart's series, decoded; while the next range or run set loads, the last stays drawn. */
export function useSeries(q: SeriesQuery, enabled: boolean) {
  return useQuery<ChartSeries[]>({
    queryKey: seriesKeys.chart(q),
    queryFn: ({ signal }) => seriesApi.chart(q, signal),
    placeholderData: keepPreviousData,
    enabled,
  });
}

/** The charts showing any of these runs. */
export function invalidateSeries(qc: QueryClient, runIds: Iterable<string>): Promise<void> {
  const ids = new Set(runIds);
  return qc.invalidateQueries({
    queryKey: seriesKeys.all,
    predicate: (query) => (query.queryKey[1] as SeriesQuery | undefined)?.runs.some((r) => ids.has(r)) ?? false,
  });
}
