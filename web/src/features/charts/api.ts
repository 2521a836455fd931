// POST /series: downsampled metric series for charts.
import { post, request, type SeriesAnswer, type SeriesQuery } from "../../lib/api";

export const seriesApi = {
  get: (q: SeriesQuery, signal?: AbortSignal) => request<SeriesAnswer>("/series", post<SeriesQuery>(q, signal)),
};
