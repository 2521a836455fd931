// Saved views and the workspace's runs in the query cache.
import {
  keepPreviousData,
  queryOptions,
  useMutation,
  useQuery,
  useQueryClient,
  type QueryClient,
} from "@tanstack/react-query";
import { runsApi } from "../runs/api";
import { projectKeysQuery } from "../runs/queries";
import { toRows, type Row } from "../runs/rows";
import { viewsApi, type NewView, type SavedView, type ViewPatch } from "./api";

export const viewKeys = {
  list: (project: string) => ["views", project] as const,
  one: (project: string, id: string) => ["views", project, id] as const,
};

export function useViews(project: string) {
  return useQuery({ queryKey: viewKeys.list(project), queryFn: ({ signal }) => viewsApi.list(project, signal) });
}

const viewQuery = (project: string, id: string) =>
  queryOptions({
    queryKey: viewKeys.one(project, id),
    queryFn: ({ signal }) => viewsApi.get(project, id, signal),
    retry: false,
  });

export function useView(project: string, id: string) {
  return useQuery({ ...viewQuery(project, id), enabled: id !== "" });
}

/** Opened at a workspace's link: the view and the project's keys are asked for at
 * once, beside the sign-in check and the page's code, instead of after them. */
export function prefetchWorkspace(qc: QueryClient, path: string, search: string): void {
  const m = /^\/p\/([^/]+)\/workspace\/?$/.exec(path);
  if (!m) return;
  const project = decodeURIComponent(m[1]);
  void qc.prefetchQuery(projectKeysQuery(project));
  const id = new URLSearchParams(search).get("view");
  if (id) void qc.prefetchQuery(viewQuery(project, id));
}

/** Save a new view, or replace (rename) one; the list and the view refresh. */
export function useSaveView(project: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { id: string | null; body: NewView | ViewPatch }) =>
      v.id === null ? viewsApi.create(project, v.body as NewView) : viewsApi.update(project, v.id, v.body),
    onSuccess: (saved: SavedView) => {
      qc.setQueryData(viewKeys.one(project, saved.id), saved);
      void qc.invalidateQueries({ queryKey: viewKeys.list(project) });
    },
  });
}

export function useDeleteView(project: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => viewsApi.remove(project, id),
    onSuccess: () => void qc.invalidateQueries({ queryKey: viewKeys.list(project) }),
  });
}

/** The first `limit` runs matching `filter` in the order `sort`, with `columns`: the
 * runs a panel shows. Panels asking the same share one request. */
export function useRunSet(
  project: string,
  filter: string,
  sort: string[],
  limit: number,
  columns: string[],
  enabled = true,
) {
  const queryKey = ["runs", project, "workspace", { filter, sort, limit, columns }];
  const queryFn = ({ signal }: { signal?: AbortSignal }) =>
    runsApi.table({ project, filter, order_by: sort, limit, columns }, signal).then((t) => toRows(t, 0));
  useStartNow(queryKey, () => queryFn({}), enabled);
  return useQuery<Row[]>({ queryKey, queryFn, placeholderData: keepPreviousData, enabled });
}

/**
 * Ask for a query while rendering, when nothing is cached for it yet: `useQuery` asks
 * from an effect, which runs after the page's next paint (on a loaded machine, with a
 * tall page to raster, 100 ms and more per step of the workspace's chain of requests).
 */
export function useStartNow<T>(queryKey: readonly unknown[], queryFn: () => Promise<T>, enabled: boolean): void {
  const qc = useQueryClient();
  if (enabled && !qc.getQueryState(queryKey)) void qc.prefetchQuery({ queryKey, queryFn });
}
