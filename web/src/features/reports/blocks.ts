// The live blocks of a report: fenced code blocks whose language is heron-chart,
// heron-table or heron-runs, each a few `field: value` lines (docs/ui.md, Reports):
//
//   ```heron-chart
//   runs: config.lr < 0.01 and state = "finished"   <- the filter language (docs/query.md)
//   keys: val/acc, train/loss                        <- metric keys
//   sort: -metrics.val/acc                           <- which runs come first
//   limit: 5                                         <- at most this many runs
//   x: step                                          <- step (default), time or a metric key
//   log: true                                        <- a log y axis
//   title: Validation accuracy
//   ```
//
// Pure: parsing and the chart's geometry; the components draw (ReportBlocks.tsx).
import { niceTicks, logTicks } from "../runs/scale";

export type BlockKind = "chart" | "table" | "runs";

export interface BlockSpec {
  kind: BlockKind;
  runs: string; // a filter ("" for every run)
  keys: string[]; // chart: metric keys
  columns: string[]; // table: config.<k>, metrics.<k>, summary.<k>
  sort: string[];
  limit: number;
  x: string;
  log: boolean;
  title: string;
}

export const MAX_RUNS = { chart: 20, table: 200, runs: 200 } as const;
const DEFAULT_LIMIT = { chart: 10, table: 20, runs: 20 } as const;
const FIELDS = ["runs", "filter", "keys", "columns", "sort", "limit", "x", "log", "title"];

/** The block kind of a fenced code block's language, or null for an ordinary one. */
export function blockKind(lang: string): BlockKind | null {
  const m = /^heron-(chart|table|runs)$/.exec(lang);
  return m ? (m[1] as BlockKind) : null;
}

const list = (v: string) =>
  v
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);

/** A block's spec, or the error to show in its place (never thrown). */
export function parseBlock(kind: BlockKind, text: string): { spec: BlockSpec } | { error: string } {
  const spec: BlockSpec = {
    kind,
    runs: "",
    keys: [],
    columns: [],
    sort: [],
    limit: DEFAULT_LIMIT[kind],
    x: "step",
    log: false,
    title: "",
  };
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? "" : line.slice(0, colon).trim().toLowerCase();
    const value = colon < 0 ? "" : line.slice(colon + 1).trim();
    if (!FIELDS.includes(field))
      return { error: `line ${i + 1}: "${line}" is not "field: value" with a field of ${FIELDS.join(", ")}` };
    if (field === "runs" || field === "filter") spec.runs = value;
    else if (field === "keys") spec.keys = list(value);
    else if (field === "columns") spec.columns = list(value);
    else if (field === "sort") spec.sort = list(value);
    else if (field === "x") spec.x = value || "step";
    else if (field === "title") spec.title = value;
    else if (field === "log") {
      if (!["true", "false", "yes", "no"].includes(value.toLowerCase()))
        return { error: `line ${i + 1}: log is true or false, not "${value}"` };
      spec.log = ["true", "yes"].includes(value.toLowerCase());
    } else if (field === "limit") {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > MAX_RUNS[kind])
        return { error: `line ${i + 1}: limit is a whole number from 1 to ${MAX_RUNS[kind]}, not "${value}"` };
      spec.limit = n;
    }
  }
  if (kind === "chart" && spec.keys.length === 0) return { error: "a chart needs keys: (one or more metric keys)" };
  if (kind === "chart" && spec.keys.length > 8) return { error: "a chart takes at most 8 keys" };
  if (kind === "table" && spec.columns.length > 20) return { error: "a table takes at most 20 columns" };
  spec.columns = spec.columns.map((c) => (/^(config|metrics|summary)\./.test(c) ? c : `metrics.${c}`));
  return { spec };
}

// --- the chart's geometry --------------------------------------------------------------

export interface Line {
  run: string;
  key: string;
  xs: number[];
  ys: number[];
}

export interface Frame {
  width: number;
  height: number;
  pad: { top: number; right: number; bottom: number; left: number };
}

export interface Geometry {
  paths: { run: string; key: string; d: string }[];
  xTicks: { at: number; value: number }[];
  yTicks: { at: number; value: number }[];
  empty: boolean;
}

/** SVG paths and ticks for `lines` in `frame` (y on a log scale when `log`, values
 * at or below zero then left out); non-finite points break a line. */
export function chartGeometry(lines: Line[], frame: Frame, log: boolean): Geometry {
  const ok = (y: number) => Number.isFinite(y) && (!log || y > 0);
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const l of lines)
    l.xs.forEach((x, i) => {
      const y = l.ys[i];
      if (!Number.isFinite(x) || !ok(y)) return;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
    });
  if (!Number.isFinite(x0)) return { paths: [], xTicks: [], yTicks: [], empty: true };
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  if (y0 === y1) [y0, y1] = log ? [y0 / 2, y1 * 2] : [y0 - 0.5, y1 + 0.5];
  const { width, height, pad } = frame;
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  const ty = (y: number) => (log ? Math.log10(y) : y);
  const [a, b] = [ty(y0), ty(y1)];
  const px = (x: number) => pad.left + ((x - x0) / (x1 - x0)) * w;
  const py = (y: number) => pad.top + (1 - (ty(y) - a) / (b - a)) * h;
  const round = (v: number) => Math.round(v * 10) / 10;
  const paths = lines.map((l) => {
    let d = "";
    let pen = false;
    l.xs.forEach((x, i) => {
      const y = l.ys[i];
      if (!Number.isFinite(x) || !ok(y)) {
        pen = false;
        return;
      }
      d += `${pen ? "L" : "M"}${round(px(x))} ${round(py(y))}`;
      pen = true;
    });
    return { run: l.run, key: l.key, d };
  });
  const xTicks = niceTicks(x0, x1, 6).map((v) => ({ at: round(px(v)), value: v }));
  const yVals = log ? logTicks(y0, y1) : niceTicks(y0, y1, 5);
  const yTicks = yVals.map((v) => ({ at: round(py(v)), value: v }));
  return { paths, xTicks, yTicks, empty: false };
}
