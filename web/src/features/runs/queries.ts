// A project's runs in the query cache: its keys, pages of the runs table, all matching
// rows (plots, groups), and the bulk actions, which invalidate what they changed.
import {
  keepPreviousData,
  queryOptions,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type InfiniteData,
  type QueryClient,
} from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { ApiError, type BulkRequest, type ProjectKeys } from "../../lib/api";
import { projectKeys } from "../projects/queries";
import { runKeys } from "../run/queries";
import { runsApi } from "./api";
import { PAGE, loadedIds, missingPage, toRows, type Row, type RowsPage } from "./rows";

export interface RowsQuery {
  project: string;
  filter: string;
  order_by: string[];
  columns: string[];
}

export const runsKeys = {
  /** Everything about a project's runs (what a live event or a bulk action refreshes). */
  project: (project: string) => ["runs", project] as const,
  keys: (project: string) => ["runs", project, "keys"] as const,
  /** Pages of the runs table. */
  table: (q: RowsQuery) =>
    ["runs", q.project, "table", { filter: q.filter, order_by: q.order_by, columns: q.columns }] as const,
  /** Every matching run with some columns (plots, groups). */
  rows: (project: string, filter: string, columns: string[]) => ["runs", project, "rows", { filter, columns }] as const,
  /** The first `limit` matching runs' ids (comparing "all matching"). */
  ids: (project: string, filter: string, limit: number) => ["runs", project, "ids", { filter, limit }] as const,
};

/** Refresh what shows a project's runs: its table, keys, plots, the run pages, run counts. */
export function invalidateProjectRuns(qc: QueryClient, project: string): Promise<void> {
  return Promise.all([
    qc.invalidateQueries({ queryKey: runsKeys.project(project) }),
    qc.invalidateQueries({ queryKey: runKeys.all }),
    qc.invalidateQueries({ queryKey: projectKeys.all }),
  ]).then(() => undefined);
}

// a project without runs has no keys yet (the server answers 404)
const NO_KEYS: ProjectKeys = { config: [], metrics: [], summary: [], tags: [] };

/** The project's config and metric keys and tags (columns, plot axes, tag chips). */
/** The project's keys (none for a project without runs yet), as `useProjectKeys` asks. */
export const projectKeysQuery = (project: string) =>
  queryOptions({
    queryKey: runsKeys.keys(project),
    queryFn: ({ signal }) =>
      runsApi.keys(project, signal).catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 404) return NO_KEYS;
        throw err;
      }),
  });

export function useProjectKeys(project: string) {
  return useQuery(projectKeysQuery(project));
}

/** Every run matching `filter`, with `columns`; the last answer stays shown while the next loads. */
export function useRunRows(project: string, filter: string, columns: string[], enabled = true) {
  return useQuery<Row[]>({
    queryKey: runsKeys.rows(project, filter, columns),
    queryFn: ({ signal }) => runsApi.table({ project, filter, columns }, signal).then((t) => toRows(t, 0)),
    placeholderData: keepPreviousData,
    enabled,
  });
}

/** The first `limit` runs matching `filter` (fresh: the selection acts on what matches now). */
export function runIdsQuery(project: string, filter: string, limit: number) {
  return {
    queryKey: runsKeys.ids(project, filter, limit),
    queryFn: ({ signal }: { signal: AbortSignal }) =>
      runsApi.table({ project, filter, limit, columns: [] }, signal).then((t) => t.ids),
    staleTime: 0,
  };
}

/** One bulk action; a real one (not a dry run) refreshes the project's runs. */
export function useBulkRuns(project: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: BulkRequest) => runsApi.bulk(project, body),
    onSuccess: (_result, body) => {
      if (!body.dry_run) void invalidateProjectRuns(qc, project);
    },
  });
}

export interface PagedRows {
  total: number | null; // null until a first page arrived
  ready: boolean; // the first page of the current query is shown
  error: Error | null;
  row: (i: number) => Row | undefined;
  ensure: (start: number, end: number) => void;
  queryKey: string; // which query the shown rows answer
  orderKey: string; // changes with the filter or the sort, not with the columns shown
  loadedIds: () => string[]; // the rows fetched so far, in order
}

/** A page as cached, with the query it answers (the keys of the rows shown). */
interface TablePage extends RowsPage {
  key: string;
  order: string; // the filter and the sort
}
type Pages = InfiniteData<TablePage>;

/**
 * Rows of the runs table, a page at a time as they scroll into view (`ensure`): an
 * infinite query whose next page is the first page on screen that is not loaded yet,
 * so jumping to the end fetches the last page, not every page before it. Refetching it
 * (a live event) fetches again the pages on screen, in place. When the query changes,
 * the old rows stay on screen until the new first page arrives (no flash of an empty
 * table), and when it fails (a bad filter) the last rows that loaded stay.
 */
export function usePagedRows(q: RowsQuery): PagedRows {
  const wanted = useRef<[number, number]>([0, 0]); // pages on screen
  const queryKey = runsKeys.table(q);
  const key = JSON.stringify(queryKey);
  const order = JSON.stringify([q.project, q.filter, q.order_by]);
  const query = useInfiniteQuery({
    queryKey,
    queryFn: async ({ pageParam, signal }): Promise<TablePage> => {
      const t = await runsApi.table({ ...q, limit: PAGE, offset: pageParam * PAGE }, signal);
      return { page: pageParam, rows: toRows(t, pageParam * PAGE), total: t.total, key, order };
    },
    initialPageParam: 0,
    getNextPageParam: (_last, pages) => missingPage(wanted.current, pages),
    placeholderData: keepPreviousData,
  });
  const { data, isPlaceholderData, isFetching, fetchNextPage } = query;

  // The rows on screen: the current query's, the previous query's while this one loads,
  // or the last that loaded when this one failed.
  const [lastGood, setLastGood] = useState<Pages | undefined>(undefined);
  const fresh = isPlaceholderData ? undefined : data;
  if (fresh !== undefined && fresh !== lastGood) setLastGood(fresh);
  const shown = data ?? lastGood;

  const pump = useCallback(
    (pages: RowsPage[] | undefined) => {
      if (pages && missingPage(wanted.current, pages) !== undefined) void fetchNextPage({ cancelRefetch: false });
    },
    [fetchNextPage],
  );
  const current = isPlaceholderData || isFetching ? undefined : data?.pages;
  useEffect(() => pump(current), [pump, current]); // a fetch ended: more pages on screen may be missing
  const ensure = useCallback(
    (start: number, end: number) => {
      wanted.current = [Math.floor(start / PAGE), Math.floor(end / PAGE)];
      pump(current);
    },
    [pump, current],
  );

  const byPage = useMemo(() => new Map((shown?.pages ?? []).map((p) => [p.page, p.rows])), [shown]);
  const pages = shown?.pages;
  return {
    total: pages?.length ? pages[pages.length - 1].total : null,
    ready: fresh !== undefined,
    error: query.error,
    row: (i) => byPage.get(Math.floor(i / PAGE))?.[i % PAGE],
    ensure,
    queryKey: pages?.[0]?.key ?? "",
    orderKey: pages?.[0]?.order ?? "",
    loadedIds: () => loadedIds(pages ?? []),
  };
}
