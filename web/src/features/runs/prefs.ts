// What the runs page remembers per project outside the URL: the last column pick
// (localStorage, so it survives closing the browser) and the last runs-table query
// (sessionStorage, per tab), which every in-app link back to the table carries.
// Storage may be missing or refuse writes (private windows, quota): then nothing is
// remembered and nothing breaks.
import { useMemo, useSyncExternalStore } from "react";

export interface KeyValue {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

function storage(kind: "localStorage" | "sessionStorage"): KeyValue | null {
  try {
    return typeof window === "undefined" ? null : window[kind];
  } catch {
    return null; // a sandboxed frame throws on access
  }
}

function read(kv: KeyValue | null, key: string): string | null {
  try {
    return kv?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

function write(kv: KeyValue | null, key: string, value: string | null): void {
  try {
    if (value === null) kv?.removeItem(key);
    else kv?.setItem(key, value);
  } catch {
    // full or forbidden: forgetting a preference is fine
  }
}

// --- columns -------------------------------------------------------------------------

const columnsKey = (project: string) => `heron-columns:${project}`;

function parseColumns(raw: string | null): string[] | null {
  if (raw === null) return null;
  try {
    const v: unknown = JSON.parse(raw);
    return Array.isArray(v) && v.every((c) => typeof c === "string") ? v : null;
  } catch {
    return null;
  }
}

/** The last column pick for `project`, or null when none was saved (or it is unreadable). */
export function loadColumns(project: string, kv: KeyValue | null = storage("localStorage")): string[] | null {
  return parseColumns(read(kv, columnsKey(project)));
}

const columnListeners = new Set<() => void>();

/** Save a pick; null forgets it (back to the defaults). */
export function saveColumns(
  project: string,
  columns: string[] | null,
  kv: KeyValue | null = storage("localStorage"),
): void {
  write(kv, columnsKey(project), columns === null ? null : JSON.stringify(columns));
  for (const notify of columnListeners) notify();
}

function subscribeColumns(notify: () => void): () => void {
  columnListeners.add(notify);
  return () => columnListeners.delete(notify);
}

/** `loadColumns`, re-rendering when a pick is saved. */
export function useSavedColumns(project: string): string[] | null {
  const raw = useSyncExternalStore(subscribeColumns, () => read(storage("localStorage"), columnsKey(project)));
  return useMemo(() => parseColumns(raw), [raw]);
}

/**
 * The columns to show: the URL's pick when it has one (a shared link wins), else the
 * last pick saved for the project, else the defaults.
 */
export function chooseColumns(
  url: { custom: boolean; columns: string[] },
  saved: string[] | null,
  defaults: string[],
): { columns: string[]; from: "url" | "saved" | "defaults" } {
  if (url.custom) return { columns: url.columns, from: "url" };
  if (saved !== null) return { columns: saved, from: "saved" };
  return { columns: defaults, from: "defaults" };
}

// --- the last runs-table query -----------------------------------------------------------

const queryKey = (project: string) => `heron-runs-query:${project}`;
const listeners = new Set<() => void>();

/** Remember the runs table's query string (without "?") for `project`. */
export function rememberRunsQuery(
  project: string,
  search: string,
  kv: KeyValue | null = storage("sessionStorage"),
): void {
  const query = search.startsWith("?") ? search.slice(1) : search;
  if (read(kv, queryKey(project)) === query) return;
  write(kv, queryKey(project), query);
  for (const notify of listeners) notify();
}

/**
 * The link to `project`'s runs table as it was last seen (filter, sort, columns, ...).
 * With `select`, the selection is replaced by those runs (the comparison's way back).
 */
export function runsHref(project: string, select?: string[], kv: KeyValue | null = storage("sessionStorage")): string {
  const params = new URLSearchParams(read(kv, queryKey(project)) ?? "");
  if (select) {
    for (const p of ["sel", "all", "ex"]) params.delete(p);
    for (const id of select) params.append("sel", id);
  }
  const qs = params.toString();
  return `/p/${encodeURIComponent(project)}${qs ? `?${qs}` : ""}`;
}

function subscribe(notify: () => void): () => void {
  listeners.add(notify);
  return () => listeners.delete(notify);
}

/** `runsHref`, re-rendering when the remembered query changes (for the breadcrumb). */
export function useRunsHref(project: string): string {
  return useSyncExternalStore(subscribe, () => runsHref(project));
}
