// Saved views and the workspace's runs in the query cache.
import {
  keepPreviousData,
  queryOptions,
  useMutation,
  useQuery,
  useQueryClient,
  type QueryClient,
} from "@tanstack/react-query";
import type { ProjectKeys } from "../../lib/api";
import { runsApi } from "../runs/api";
import { projectKeysQuery } from "../runs/queries";
import { toRows, type Row } from "../runs/rows";
import { viewsApi, type NewView, type SavedView, type ViewPatch } from "./api";
import { runsStateOf, workspaceOf, type Panel } from "./model";

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
  const keys = qc.fetchQuery(projectKeysQuery(project));
  const id = new URLSearchParams(search).get("view");
  if (!id) return void keys.catch(() => undefined);
  // and, once both are here, the runs of the view's panels: asked for now rather than
  // when the page has rendered them (the same queries PanelBody asks for, so shared)
  void Promise.all([keys, qc.fetchQuery(viewQuery(project, id))]).then(
    ([k, view]) => prefetchRunSets(qc, project, view, k),
    () => undefined, // the page shows the error
  );
}

function prefetchRunSets(qc: QueryClient, project: string, view: SavedView, keys: ProjectKeys): void {
  const stored = view.state as Record<string, unknown>;
  const ws = workspaceOf(stored.workspace);
  if (!ws) return; // the page falls back to the default layout
  const runs = runsStateOf(stored.runs);
  for (const section of ws.sections) {
    if (section.collapsed) continue;
    for (const panel of section.panels) {
      const a = panelRunSet(panel, runs.filter, keys);
      if (!a.needed) continue;
      const q = runSetQuery(project, a.where, runs.sort, panel.runs.limit, a.columns);
      if (!qc.getQueryState(q.queryKey)) void qc.prefetchQuery({ queryKey: q.queryKey, queryFn: () => q.queryFn({}) });
    }
  }
}

const MAX_CONFIG_COLUMNS = 200; // config values fetched to group runs

/** The workspace's filter narrowed by the panel's own. */
export function panelFilter(base: string, own: string): string {
  const a = base.trim();
  const b = own.trim();
  if (!a) return b;
  if (!b) return a;
  return `(${a}) and (${b})`;
}

/** What a panel asks `useRunSet` for: its filter, the columns it needs, and whether
 * it shows runs at all. */
export function panelRunSet(
  panel: Panel,
  filter: string,
  keys: ProjectKeys,
): { where: string; columns: string[]; needed: boolean } {
  const grouped = panel.band !== "" && (panel.kind === "line" || panel.kind === "bar");
  return {
    where: panelFilter(filter, panel.runs.filter),
    columns: [
      ...(panel.kind === "bar" && panel.keys[0] ? [panel.keys[0]] : []),
      ...(grouped ? keys.config.slice(0, MAX_CONFIG_COLUMNS).map((k) => `config.${k}`) : []),
    ],
    needed: panel.kind === "line" || panel.kind === "bar" || panel.kind === "media",
  };
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

const runSetQuery = (project: string, filter: string, sort: string[], limit: number, columns: string[]) => ({
  queryKey: ["runs", project, "workspace", { filter, sort, limit, columns }],
  queryFn: ({ signal }: { signal?: AbortSignal }) =>
    runsApi.table({ project, filter, order_by: sort, limit, columns }, signal).then((t) => toRows(t, 0)),
});

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
  const { queryKey, queryFn } = runSetQuery(project, filter, sort, limit, columns);
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
