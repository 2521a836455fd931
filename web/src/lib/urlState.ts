// Every view keeps its state in the URL query, so any view can be shared and the
// browser's back/forward buttons work. A schema names each field's parameter, its
// kind and its default; defaults are left out of the URL to keep links short.

export type FieldKind = "string" | "list" | "number" | "bool";

export interface Field<K extends FieldKind = FieldKind> {
  param: string;
  kind: K;
  default: K extends "string" ? string : K extends "list" ? string[] : K extends "number" ? number : boolean;
}

export type Schema = Record<string, Field>;

type ValueOf<F> =
  F extends Field<infer K>
    ? K extends "string"
      ? string
      : K extends "list"
        ? string[]
        : K extends "number"
          ? number
          : boolean
    : never;

export type StateOf<S extends Schema> = { [K in keyof S]: ValueOf<S[K]> };

export const str = (param: string, def = ""): Field<"string"> => ({ param, kind: "string", default: def });
export const list = (param: string, def: string[] = []): Field<"list"> => ({ param, kind: "list", default: def });
export const num = (param: string, def: number): Field<"number"> => ({ param, kind: "number", default: def });
export const bool = (param: string, def = false): Field<"bool"> => ({ param, kind: "bool", default: def });

/** Read a state from URL parameters; anything missing or malformed takes the default. */
export function decodeState<S extends Schema>(schema: S, params: URLSearchParams): StateOf<S> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(schema)) {
    const raw = params.get(f.param);
    switch (f.kind) {
      case "string":
        out[name] = raw ?? f.default;
        break;
      case "list": {
        // repeated parameters, never a joined string: keys may hold commas
        const all = params.getAll(f.param);
        out[name] = all.length ? (all.length === 1 && all[0] === "" ? [] : all) : f.default;
        break;
      }
      case "number": {
        const v = raw === null || raw.trim() === "" ? Number.NaN : Number(raw);
        out[name] = Number.isFinite(v) ? v : f.default;
        break;
      }
      case "bool":
        out[name] = raw === null ? f.default : raw === "1" || raw === "true";
        break;
    }
  }
  return out as StateOf<S>;
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Write `state` into a copy of `base` (other parameters are kept). A list that differs
 * from a non-empty default but is empty is written as one empty parameter, so "no
 * columns" stays distinct from "default columns".
 */
export function encodeState<S extends Schema>(
  schema: S,
  state: Partial<StateOf<S>>,
  base: URLSearchParams = new URLSearchParams(),
): URLSearchParams {
  const out = new URLSearchParams(base);
  for (const [name, f] of Object.entries(schema)) {
    if (!(name in state)) continue;
    const v = (state as Record<string, unknown>)[name];
    out.delete(f.param);
    switch (f.kind) {
      case "string":
        if (v !== f.default) out.set(f.param, String(v));
        break;
      case "list": {
        const arr = v as string[];
        if (sameList(arr, f.default as string[])) break;
        if (arr.length === 0) out.append(f.param, "");
        for (const item of arr) out.append(f.param, item);
        break;
      }
      case "number":
        if (v !== f.default && Number.isFinite(v as number)) out.set(f.param, String(v));
        break;
      case "bool":
        if (v !== f.default) out.set(f.param, v ? "1" : "0");
        break;
    }
  }
  return out;
}

// --- the views' schemas ----------------------------------------------------------

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
  scatterX: str("sx"),
  scatterY: str("sy"),
};
export type RunsState = StateOf<typeof runsSchema>;

/** Chart settings, shared by the run page and the comparison. */
export const chartSchema = {
  xAxis: str("x", "step"),
  logY: bool("logy"),
  smoothing: num("smooth", 0),
  smoothKind: str("sk", "ema"),
  xMin: num("xmin", Number.NaN),
  xMax: num("xmax", Number.NaN),
  chartFilter: str("cf"),
  hidden: list("hide"),
  enlarged: str("big"), // the metric whose chart is enlarged
};
export type ChartState = StateOf<typeof chartSchema>;

export const runPageSchema = {
  tab: str("tab", "overview"),
  file: str("file"),
  configFilter: str("cq"),
  ...chartSchema,
};
export const compareSchema = {
  runs: list("runs"),
  tab: str("tab", "config"),
  ref: str("ref"), // the reference run that differences are highlighted against
  ...chartSchema,
};

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
