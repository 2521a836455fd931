// The runs page's URL state (table, grouping, selection, plots) and the brushes of the
// parallel-coordinates plot, which travel in it as filter clauses.
import { bool, list, str, type StateOf } from "../../lib/urlState";

/** The runs page: table, grouping, selection and the plots beside it. */
export const runsSchema = {
  filter: str("q"),
  states: list("state"), // quick filters
  tags: list("tag"),
  sort: list("sort"),
  columns: list("col"),
  customColumns: bool("cc"), // true: `columns` is the user's pick, else the defaults
  group: str("group"),
  selected: list("sel"),
  all: bool("all"), // every run matching the filter is selected, less `excluded`
  excluded: list("ex"),
  view: str("view", "table"),
  axes: list("axis"),
  metric: str("metric"),
  brush: list("brush"),
  pcColor: str("pcc"), // parallel coordinates: the column colouring the lines
  pcLog: list("pclog"), // parallel coordinates: columns on a log scale
  scatterX: str("sx"),
  scatterY: str("sy"),
};
export type RunsState = StateOf<typeof runsSchema>;

// --- brushes of the parallel-coordinates plot ---------------------------------------

/** A value a category brush can pick: what the filter language can write. */
export type BrushValue = string | number | boolean | null;

export interface Brush {
  key: string;
  lo: number; // a number axis: the range (NaN for a category brush)
  hi: number;
  values?: BrushValue[]; // a category axis: the values picked
}

/**
 * A range as `key:lo:hi` (split at the last two colons: keys may hold colons); a
 * category brush as a JSON list `["key", value, ...]`, which no column key starts with.
 */
export function encodeBrush(b: Brush): string {
  if (b.values) return JSON.stringify([b.key, ...b.values]);
  return `${b.key}:${b.lo}:${b.hi}`;
}

const isBrushValue = (v: unknown): v is BrushValue =>
  v === null || typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));

export function decodeBrush(s: string): Brush | null {
  if (s.startsWith("[")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(s);
    } catch {
      return null;
    }
    if (!Array.isArray(parsed) || parsed.length < 2 || typeof parsed[0] !== "string" || !parsed[0]) return null;
    const values = parsed.slice(1);
    if (!values.every(isBrushValue)) return null;
    return { key: parsed[0], lo: Number.NaN, hi: Number.NaN, values };
  }
  const j = s.lastIndexOf(":");
  const i = j > 0 ? s.lastIndexOf(":", j - 1) : -1;
  if (i <= 0) return null;
  const lo = Number(s.slice(i + 1, j));
  const hi = Number(s.slice(j + 1));
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || s.slice(i + 1, j) === "" || s.slice(j + 1) === "") return null;
  return { key: s.slice(0, i), lo: Math.min(lo, hi), hi: Math.max(lo, hi) };
}
