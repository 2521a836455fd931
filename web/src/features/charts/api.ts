// POST /series: downsampled metric series for charts.
import { post, request, requestBytes, type SeriesAnswer, type SeriesQuery } from "../../lib/api";
import { decodeBinary, SERIES_BINARY, type ChartSeries } from "./series";

export const seriesApi = {
  /** The JSON form (what API clients and the OpenAPI document see). */
  get: (q: SeriesQuery, signal?: AbortSignal) => request<SeriesAnswer>("/series", post<SeriesQuery>(q, signal)),
  /** The same series as float64 arrays, decoded for the charts (no JSON to parse). */
  chart: (q: SeriesQuery, signal?: AbortSignal): Promise<ChartSeries[]> =>
    requestBytes("/series", post<SeriesQuery>(q, signal), SERIES_BINARY).then(decodeBinary),
};
