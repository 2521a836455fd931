// Server-side paging for the virtual runs table: rows are fetched from POST /runs/table
// a page at a time as they scroll into view, and cached per query.
import { useCallback, useEffect, useRef, useState } from "react";
import { api, type Cell, type RunState, type TableRows } from "../../lib/api";
import { decodeCell } from "../../lib/wire";

export const PAGE = 100;

export interface Row {
  index: number;
  id: string;
  name: string;
  state: RunState;
  group: string | null;
  tags: string[];
  created_at: number;
  duration: number | null;
  cells: Record<string, Cell>;
}

/** Split a columnar answer into rows starting at `offset`. */
export function toRows(t: TableRows, offset: number): Row[] {
  const out: Row[] = [];
  for (let i = 0; i < t.ids.length; i++) {
    const cells: Record<string, Cell> = {};
    for (const [col, values] of Object.entries(t.columns)) cells[col] = decodeCell(values[i]) as Cell;
    out.push({
      index: offset + i,
      id: t.ids[i],
      name: t.names[i],
      state: t.states[i],
      group: t.groups[i],
      tags: t.tags[i] ?? [],
      created_at: t.created_at[i],
      duration: t.durations[i],
      cells,
    });
  }
  return out;
}

interface Cache {
  key: string;
  order: string; // which runs, in which order: the query without its columns
  total: number | null;
  pages: Map<number, Row[]>;
  inflight: Set<number>;
}

export interface PagedRows {
  total: number | null; // null until the first page of the current query arrived
  ready: boolean; // the first page of the current query is shown
  error: Error | undefined;
  row: (i: number) => Row | undefined;
  ensure: (start: number, end: number) => void;
  queryKey: string;
  orderKey: string; // changes with the filter or the sort, not with the columns shown
  loadedIds: () => string[]; // the rows fetched so far, in order
}

export interface RowsQuery {
  project: string;
  filter: string;
  order_by: string[];
  columns: string[];
}

/**
 * Rows of the current query, loaded on demand. When the query changes, the old rows
 * stay on screen until the new first page arrives (no flash of an empty table); a
 * change of `version` (live updates) refetches the loaded pages in place.
 */
export function usePagedRows(q: RowsQuery, version: number): PagedRows {
  const key = JSON.stringify(q);
  const order = JSON.stringify([q.project, q.filter, q.order_by]);
  const cache = useRef<Cache>({ key: "", order: "", total: null, pages: new Map(), inflight: new Set() });
  const shown = useRef<Cache>(cache.current);
  const [, rerender] = useState(0);
  const [error, setError] = useState<Error>();
  const wanted = useRef<[number, number]>([0, PAGE]);

  const fetchPage = useCallback(
    (c: Cache, page: number) => {
      if (c.inflight.has(page)) return;
      c.inflight.add(page);
      api
        .table({ ...q, limit: PAGE, offset: page * PAGE })
        .then((t) => {
          c.pages.set(page, toRows(t, page * PAGE));
          c.total = t.total;
          if (cache.current === c) {
            shown.current = c;
            setError(undefined);
          }
          rerender((n) => n + 1);
        })
        .catch((e: Error) => cache.current === c && setError(e))
        .finally(() => c.inflight.delete(page));
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [key],
  );

  const ensure = useCallback(
    (start: number, end: number) => {
      wanted.current = [start, end];
      const c = cache.current;
      const last = c.total === null ? 0 : Math.max(0, Math.ceil(c.total / PAGE) - 1);
      for (let p = Math.floor(start / PAGE); p <= Math.min(Math.floor(end / PAGE), last); p++) {
        if (!c.pages.has(p)) fetchPage(c, p);
      }
    },
    [fetchPage],
  );

  useEffect(() => {
    const fresh: Cache = { key, order, total: null, pages: new Map(), inflight: new Set() };
    cache.current = fresh;
    const [start, end] = wanted.current;
    // a new query starts at the top; a live refresh refetches what is on screen
    const keepPlace = shown.current.key === key;
    const from = keepPlace ? Math.floor(start / PAGE) : 0;
    const to = keepPlace ? Math.floor(end / PAGE) : 0;
    for (let p = from; p <= to; p++) fetchPage(fresh, p);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, version]);

  const s = shown.current;
  return {
    total: s.total,
    ready: s.key === key && s.total !== null,
    error,
    row: (i: number) => s.pages.get(Math.floor(i / PAGE))?.[i % PAGE],
    ensure,
    queryKey: s.key,
    orderKey: s.order,
    loadedIds: () => [...s.pages.entries()].sort(([a], [b]) => a - b).flatMap(([, rows]) => rows.map((r) => r.id)),
  };
}
