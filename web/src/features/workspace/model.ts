// A project's workspace: sections of panels, each panel with its own keys, x axis,
// smoothing, log scale, run selection and grouping; and a saved view, which is the
// workspace plus the runs table's state (filter, sort, columns, grouping). Pure data:
// what the server stores as a view's JSON state (docs/ui.md, "Workspace").
import type { BandKind } from "../analysis/bands";

export type PanelKind = "line" | "scatter" | "bar" | "parallel" | "media" | "markdown";

export const PANEL_KINDS: { id: PanelKind; label: string }[] = [
  { id: "line", label: "Line chart" },
  { id: "scatter", label: "Scatter" },
  { id: "bar", label: "Bar chart" },
  { id: "parallel", label: "Parallel coordinates" },
  { id: "media", label: "Media" },
  { id: "markdown", label: "Markdown" },
];

/** Which runs a panel shows: the workspace's runs (its filter and sort), narrowed by a
 * filter clause of the panel's own, the first `limit` of them. */
export interface RunPick {
  filter: string;
  limit: number;
}

export interface Panel {
  id: string;
  kind: PanelKind;
  title: string; // "" : named after its keys
  keys: string[]; // line: metrics; bar: [metric]; scatter: [x, y]; parallel: axes
  xAxis: string; // line: step, time, relative_time or a metric
  smoothing: number;
  smoothKind: "ema" | "avg";
  logY: boolean;
  runs: RunPick;
  band: "" | BandKind; // line: runs grouped by `groupBy` drawn as mean with a band
  groupBy: string[]; // config keys whose values do not tell runs apart (the seed)
  text: string; // markdown
  w: number; // columns spanned, 1..MAX_W
  h: number; // the chart's height, px
}

export interface Section {
  id: string;
  name: string;
  collapsed: boolean;
  panels: Panel[];
}

export interface Workspace {
  version: 1;
  sections: Section[];
}

/** The runs table's state a view carries (the runs page's URL parameters). */
export interface RunsTableState {
  filter: string;
  sort: string[];
  columns: string[];
  group: string;
}

export interface ViewState {
  workspace: Workspace;
  runs: RunsTableState;
}

export const MAX_W = 3; // a row holds three narrow panels
export const MIN_H = 140;
export const MAX_H = 720;
export const DEFAULT_H = 220;
export const DEFAULT_RUN_LIMIT = 20;
export const MAX_RUN_LIMIT = 100;
export const MAX_PANELS = 300; // the server's 256 KiB view limit holds this many with room
export const MAX_NAME = 128; // section and view names (the server's limit for views)

let counter = 0;
/** A fresh id for a panel or section (unique within a workspace). */
export function newId(prefix: string): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
}

export function newPanel(kind: PanelKind, patch: Partial<Panel> = {}): Panel {
  return {
    id: newId("p"),
    kind,
    title: "",
    keys: [],
    xAxis: "step",
    smoothing: 0,
    smoothKind: "ema",
    logY: false,
    runs: { filter: "", limit: DEFAULT_RUN_LIMIT },
    band: "",
    groupBy: ["seed"],
    text: kind === "markdown" ? "## Notes\n\nWrite *Markdown* here." : "",
    w: kind === "parallel" || kind === "markdown" || kind === "media" ? MAX_W : 1,
    h: DEFAULT_H,
    ...patch,
  };
}

export function newSection(name: string, panels: Panel[] = [], collapsed = false): Section {
  return { id: newId("s"), name, collapsed, panels };
}

export const EMPTY_RUNS: RunsTableState = { filter: "", sort: [], columns: [], group: "" };

export function panelTitle(p: Panel): string {
  if (p.title) return p.title;
  if (p.kind === "markdown") return "Notes";
  if (p.kind === "scatter") return p.keys.length === 2 ? `${p.keys[1]} vs ${p.keys[0]}` : "Scatter";
  if (p.kind === "parallel") return "Parallel coordinates";
  if (p.kind === "media") return "Media";
  return p.keys.join(", ") || PANEL_KINDS.find((k) => k.id === p.kind)!.label;
}

// --- reading a stored view back: anything unexpected falls back to a default --------

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const strOf = (v: unknown, d = "") => (typeof v === "string" ? v : d);
const strsOf = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
const numOf = (v: unknown, d: number, lo: number, hi: number) =>
  typeof v === "number" && Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : d;
const KINDS = new Set(PANEL_KINDS.map((k) => k.id));
const BANDS = new Set(["", "std", "minmax", "ci95"]);

function panelOf(v: unknown): Panel | null {
  if (!isObj(v) || !KINDS.has(v.kind as PanelKind)) return null;
  const base = newPanel(v.kind as PanelKind);
  const runs = isObj(v.runs) ? v.runs : {};
  return {
    ...base,
    id: strOf(v.id) || base.id,
    title: strOf(v.title).slice(0, MAX_NAME),
    keys: strsOf(v.keys),
    xAxis: strOf(v.xAxis, "step") || "step",
    smoothing: numOf(v.smoothing, 0, 0, 200),
    smoothKind: v.smoothKind === "avg" ? "avg" : "ema",
    logY: v.logY === true,
    runs: { filter: strOf(runs.filter), limit: numOf(runs.limit, DEFAULT_RUN_LIMIT, 1, MAX_RUN_LIMIT) },
    band: BANDS.has(v.band as string) ? (v.band as Panel["band"]) : "",
    groupBy: Array.isArray(v.groupBy) ? strsOf(v.groupBy) : base.groupBy,
    text: strOf(v.text),
    w: Math.round(numOf(v.w, base.w, 1, MAX_W)),
    h: Math.round(numOf(v.h, DEFAULT_H, MIN_H, MAX_H)),
  };
}

/** A workspace from stored JSON (null: nothing usable). */
export function workspaceOf(v: unknown): Workspace | null {
  if (!isObj(v) || !Array.isArray(v.sections)) return null;
  const sections = v.sections.filter(isObj).map((s) => ({
    id: strOf(s.id) || newId("s"),
    name: strOf(s.name, "Section").slice(0, MAX_NAME),
    collapsed: s.collapsed === true,
    panels: (Array.isArray(s.panels) ? s.panels : []).map(panelOf).filter((p): p is Panel => p !== null),
  }));
  return { version: 1, sections };
}

export function runsStateOf(v: unknown): RunsTableState {
  if (!isObj(v)) return EMPTY_RUNS;
  return { filter: strOf(v.filter), sort: strsOf(v.sort), columns: strsOf(v.columns), group: strOf(v.group) };
}

export function panelCount(ws: Workspace): number {
  return ws.sections.reduce((n, s) => n + s.panels.length, 0);
}
