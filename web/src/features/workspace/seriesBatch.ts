// The workspace's chart requests, batched: the panels that ask for series in the same
// moment (a workspace opening, panels scrolling into view together: the same render) with the same runs,
// x axis, buckets and range get one POST /series for all their keys, split on arrival.
// Thirty panels cost three requests instead of thirty (each request pays for
// authorisation and for looking up its runs on the server).
import { useQuery, keepPreviousData, type QueryClient } from "@tanstack/react-query";
import type { SeriesQuery } from "../../lib/api";
import { seriesApi } from "../charts/api";
import { seriesKeys } from "../charts/queries";
import type { ChartSeries } from "../charts/series";
import { useStartNow } from "./queries";

// keys a request: a few requests rather than one giant one, so the server answers them
// in parallel and the first panels draw sooner (the server allows 1,000)
const MAX_KEYS = 10;

interface Waiting {
  keys: string[];
  resolve: (s: ChartSeries[]) => void;
  reject: (e: unknown) => void;
}

const groups = new Map<string, { q: Omit<SeriesQuery, "keys">; waiting: Waiting[] }>();

function flush(id: string) {
  const group = groups.get(id);
  groups.delete(id);
  if (!group) return;
  const keys = [...new Set(group.waiting.flatMap((w) => w.keys))];
  for (let i = 0; i < keys.length; i += MAX_KEYS) {
    const part = new Set(keys.slice(i, i + MAX_KEYS));
    const mine = group.waiting.filter((w) => w.keys.some((k) => part.has(k)));
    // float64 arrays (application/vnd.heron.series), viewed in place: nothing to parse
    seriesApi.chart({ ...group.q, keys: [...part] }).then(
      (all) => {
        for (const w of mine) w.resolve(all.filter((s) => w.keys.includes(s.key)));
      },
      (err: unknown) => mine.forEach((w) => w.reject(err)),
    );
  }
}

/** The series of `q`, fetched together with the other requests of this moment. */
export function batchedSeries(q: SeriesQuery): Promise<ChartSeries[]> {
  const { keys, ...rest } = q;
  const id = JSON.stringify(rest);
  return new Promise((resolve, reject) => {
    let group = groups.get(id);
    if (!group) {
      group = { q: rest, waiting: [] };
      groups.set(id, group);
      // sent once the current task's JavaScript is done: the panels that ask in one
      // render (a workspace opening, panels seen together) ask together, and nothing
      // waits for a timer (a 15 ms timer fired only after the next frame was painted:
      // 20-50 ms on a loaded machine with a tall page)
      queueMicrotask(() => flush(id));
    }
    group.waiting.push({ keys, resolve, reject });
  });
}

/** `useSeries` (charts/queries.ts), batched; cached under the same keys, so live
 * events invalidate these charts like the others. */
export function useBatchedSeries(q: SeriesQuery, enabled: boolean) {
  const queryKey = seriesKeys.chart(q);
  const queryFn = () => batchedSeries(q);
  useStartNow(queryKey, queryFn, enabled); // joins this moment's batch while rendering, not after a paint
  return useQuery<ChartSeries[]>({ queryKey, queryFn, placeholderData: keepPreviousData, enabled });
}

/** Ask for the series of `q` now (joining this moment's batch) unless cached or asked. */
export function startBatchedSeries(qc: QueryClient, q: SeriesQuery): void {
  const queryKey = seriesKeys.chart(q);
  if (!qc.getQueryState(queryKey)) void qc.prefetchQuery({ queryKey, queryFn: () => batchedSeries(q) });
}
