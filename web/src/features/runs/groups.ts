// Group runs by a config value, the run group or tags, with aggregated metrics.
import type { Cell } from "../../lib/api";
import type { Row } from "./rows";

export interface Aggregate {
  n: number; // runs with a finite value
  mean: number;
  min: number;
  max: number;
}

export interface Group {
  key: string; // display label
  value: Cell; // the grouped value (null: runs without it)
  runs: Row[];
  stats: Record<string, Aggregate | null>;
}

export function aggregate(values: Cell[]): Aggregate | null {
  let n = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (typeof v !== "number" || !Number.isFinite(v)) continue;
    n++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return n ? { n, mean: sum / n, min, max } : null;
}

function groupValues(row: Row, by: string): Cell[] {
  if (by === "tags") return row.tags.length ? row.tags : [null];
  if (by === "group") return [row.group];
  const v = row.cells[by];
  return [v === undefined ? null : v];
}

/**
 * Rows grouped by `by` ("group", "tags" or a column such as "config.lr"). A run with
 * several tags is in each of their groups. Groups are ordered by value, missing last.
 */
export function groupRows(rows: Row[], by: string, metricColumns: string[]): Group[] {
  const map = new Map<string, { value: Cell; runs: Row[] }>();
  for (const r of rows) {
    for (const value of groupValues(r, by)) {
      const k = JSON.stringify(value);
      let g = map.get(k);
      if (!g) map.set(k, (g = { value, runs: [] }));
      g.runs.push(r);
    }
  }
  const groups = [...map.values()].map(({ value, runs }) => {
    const stats: Record<string, Aggregate | null> = {};
    for (const c of metricColumns) stats[c] = aggregate(runs.map((r) => r.cells[c] ?? null));
    const key = value === null ? "(none)" : typeof value === "string" ? value : JSON.stringify(value);
    return { key, value, runs, stats };
  });
  const rank = (v: Cell) => (v === null ? 3 : typeof v === "number" ? 0 : typeof v === "string" ? 1 : 2);
  groups.sort((a, b) => {
    const ra = rank(a.value);
    const rb = rank(b.value);
    if (ra !== rb) return ra - rb;
    if (typeof a.value === "number" && typeof b.value === "number") return a.value - b.value;
    return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  });
  return groups;
}
