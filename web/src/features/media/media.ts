// What the media views compute, kept apart from React so it is unit-tested: the item
// shown at a slider's step, a histogram series as a heatmap grid, a table sorted and
// filtered.
import type { MediaItem, TableCellValue } from "./api";

/** The item at ``step``, else the last one before it, else the first (items in step order). */
export function itemAt<T extends { step: number }>(items: readonly T[], step: number | null): T | null {
  if (!items.length) return null;
  if (step === null) return items[items.length - 1];
  let lo = 0;
  let hi = items.length - 1;
  if (items[0].step > step) return items[0];
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (items[mid].step <= step) lo = mid;
    else hi = mid - 1;
  }
  return items[lo];
}

/** Every step of several keys' items, sorted and distinct: a shared slider's stops. */
export function unionSteps(lists: readonly (readonly { step: number }[])[]): number[] {
  const all = new Set<number>();
  for (const list of lists) for (const item of list) all.add(item.step);
  return [...all].sort((a, b) => a - b);
}

export interface Heatmap {
  steps: number[];
  low: number;
  high: number;
  rows: number; // value bins, bottom (low) to top (high)
  cells: Float64Array; // steps.length x rows, each column scaled to its own maximum (0-1)
}

/** Histograms over steps as one grid: each step's bins re-binned onto ``rows`` common
 * value bins between the smallest and largest edge of all of them. */
export function heatmap(items: readonly MediaItem[], rows = 48): Heatmap | null {
  const hists = items
    .map((it) => ({
      step: it.step,
      edges: it.meta.edges as number[] | undefined,
      counts: it.meta.counts as number[] | undefined,
    }))
    .filter(
      (h): h is { step: number; edges: number[]; counts: number[] } => !!h.edges && !!h.counts && h.counts.length > 0,
    );
  if (!hists.length) return null;
  let low = Infinity;
  let high = -Infinity;
  for (const h of hists) {
    low = Math.min(low, h.edges[0]);
    high = Math.max(high, h.edges[h.edges.length - 1]);
  }
  if (!(high > low)) high = low + 1;
  const cells = new Float64Array(hists.length * rows);
  hists.forEach((h, col) => {
    let top = 0;
    for (let b = 0; b < h.counts.length; b++) {
      const centre = (h.edges[b] + h.edges[b + 1]) / 2;
      const row = Math.min(rows - 1, Math.max(0, Math.floor(((centre - low) / (high - low)) * rows)));
      const i = col * rows + row;
      cells[i] += h.counts[b];
      top = Math.max(top, cells[i]);
    }
    if (top > 0) for (let r = 0; r < rows; r++) cells[col * rows + r] /= top;
  });
  return { steps: hists.map((h) => h.step), low, high, rows, cells };
}

/** A cell as text for filtering and display. */
export function cellText(cell: TableCellValue): string {
  if (cell === null) return "";
  if (typeof cell === "object") return "image" in cell ? "[image]" : cell.number;
  return String(cell);
}

function sortKey(cell: TableCellValue): [number, number | string] {
  if (cell === null) return [3, ""];
  if (typeof cell === "number") return [0, cell];
  if (typeof cell === "boolean") return [0, cell ? 1 : 0];
  if (typeof cell === "object") return "number" in cell ? [1, cell.number] : [2, ""];
  return [1, cell];
}

/** Row indexes whose text contains ``filter`` (any column, case-insensitive), sorted by
 * column ``sortBy`` (numbers as numbers, empty cells last); -1: the logged order. */
export function tableView(
  rows: readonly TableCellValue[][],
  filter: string,
  sortBy: number,
  descending: boolean,
): number[] {
  const needle = filter.trim().toLowerCase();
  const kept = rows
    .map((_, i) => i)
    .filter((i) => !needle || rows[i].some((c) => cellText(c).toLowerCase().includes(needle)));
  if (sortBy < 0) return kept;
  return kept.sort((a, b) => {
    const [ka, va] = sortKey(rows[a][sortBy]);
    const [kb, vb] = sortKey(rows[b][sortBy]);
    if (ka !== kb) return ka - kb; // type groups first; empty cells last either way
    const order = va < vb ? -1 : va > vb ? 1 : 0;
    return (descending ? -order : order) || a - b;
  });
}
