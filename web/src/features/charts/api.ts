// POST /series: downsampled metric series for charts.
import { post, request, type SeriesQuery, type WireSeries } from "../../lib/api";

export const seriesApi = {
  get: (q: SeriesQuery, signal?: AbortSignal) =>
    request<{ series: WireSeries[] }>("/series", post<SeriesQuery>(q, signal)),
};
