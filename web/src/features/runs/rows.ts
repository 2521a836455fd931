// Rows of the runs table: the server answers POST /runs/table with columns (one array
// per field); the table wants rows. Pages of PAGE rows are fetched as they scroll into
// view (queries.ts, usePagedRows).
import type { Cell, RunState, TableRows } from "../../lib/api";
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
      state: t.states[i] as RunState, // TODO(schema): RunsTable.states is string[] in the schema (heron.wire: list[str]), not Run["state"]
      group: t.groups[i],
      tags: t.tags[i] ?? [],
      created_at: t.created_at[i],
      duration: t.durations[i],
      cells,
    });
  }
  return out;
}

/** One page of the table, as cached: which page, its rows, and the total then. */
export interface RowsPage {
  page: number;
  rows: Row[];
  total: number;
}

/**
 * The first page in `wanted` (first and last page numbers, inclusive) that is not among
 * `pages` and exists (the total is known from any page), or undefined when none is missing.
 */
export function missingPage(wanted: readonly [number, number], pages: readonly RowsPage[]): number | undefined {
  if (pages.length === 0) return wanted[0];
  const total = pages[pages.length - 1].total;
  const last = Math.max(0, Math.ceil(total / PAGE) - 1);
  const have = new Set(pages.map((p) => p.page));
  for (let p = Math.max(0, wanted[0]); p <= Math.min(wanted[1], last); p++) if (!have.has(p)) return p;
  return undefined;
}

/** The ids of the pages held, in table order. */
export function loadedIds(pages: readonly RowsPage[]): string[] {
  return [...pages].sort((a, b) => a.page - b.page).flatMap((p) => p.rows.map((r) => r.id));
}
