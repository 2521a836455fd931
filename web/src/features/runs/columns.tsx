// The runs table's columns: the fixed run attributes, then any config value or metric.
import type { ReactNode } from "react";
import { Link } from "react-router";
import { StateBadge, Swatch } from "../../components/States";
import { runColor } from "../../lib/colors";
import { fieldRef } from "./filter";
import { columnLabel, fmtDate, fmtDuration, fmtNum } from "../../lib/format";
import { keyRank, orderKeys } from "./keyOrder";
import type { Row } from "./rows";
import { TagCell } from "./TagCell";

export interface Column {
  id: string; // "name", "state", ... or "config.lr", "metrics.val/acc"
  label: string;
  kind?: "config" | "summary"; // shown before the label: config `lr` is not the metric `lr`
  title: string;
  width: number;
  sortField: string | null; // the field a sort term names; null: not sortable
  numeric: boolean;
  render: (row: Row, project: string) => ReactNode;
}

export const FIXED_COLUMNS: Column[] = [
  {
    id: "name",
    label: "Name",
    title: "Run name",
    width: 230,
    sortField: "name",
    numeric: false,
    render: (r, project) => (
      <span className="name-cell">
        <Swatch color={runColor(r.id)} />
        <Link to={`/p/${encodeURIComponent(project)}/runs/${r.id}`} tabIndex={-1} title={r.name}>
          {r.name}
        </Link>
      </span>
    ),
  },
  {
    id: "state",
    label: "State",
    title: "Run state",
    width: 100,
    sortField: "state",
    numeric: false,
    render: (r) => <StateBadge state={r.state} />,
  },
  {
    id: "group",
    label: "Group",
    title: "Run group",
    width: 120,
    sortField: "group",
    numeric: false,
    render: (r) => r.group ?? "",
  },
  {
    id: "tags",
    label: "Tags",
    title: 'Tags (not sortable: a run has any number of them; filter with tags has "x"); + adds one, × removes it',
    width: 180,
    sortField: null,
    numeric: false,
    render: (r, project) => <TagCell project={project} runId={r.id} tags={r.tags} />,
  },
  {
    id: "created",
    label: "Created",
    title: "When the run started",
    width: 135,
    sortField: "created",
    numeric: false,
    render: (r) => fmtDate(r.created_at),
  },
  {
    id: "duration",
    label: "Duration",
    title:
      "Active run time (to the last heartbeat, for a running run; the time between a crash and a resume not counted)",
    width: 90,
    sortField: "duration",
    numeric: true,
    render: (r) => fmtDuration(r.duration),
  },
];

/** A config / metric / summary column; values are rendered by type. */
export function dataColumn(id: string): Column {
  const kind = id.startsWith("config.") ? "config" : id.startsWith("summary.") ? "summary" : undefined;
  return {
    id,
    label: columnLabel(id),
    kind,
    title: id,
    width: 120,
    sortField: fieldRef(id),
    numeric: !id.startsWith("config."),
    render: (r) => {
      const v = r.cells[id];
      if (v === undefined || v === null) return <span className="missing">–</span>;
      if (typeof v === "number" && !Number.isFinite(v)) return <span className="nonfinite">{fmtNum(v)}</span>;
      return fmtNum(v);
    },
  };
}

/** Columns shown before the user picks: result metrics in the order a user looks for
 * them (val/ and train/ first, not alphabetical; no lr, epoch or system metrics), then
 * config values. */
export function defaultColumns(keys: { config: string[]; metrics: string[] }): string[] {
  const metrics = orderKeys(keys.metrics.filter((k) => keyRank(k) < 3)).slice(0, 4);
  return [...metrics.map((k) => `metrics.${k}`), ...keys.config.slice(0, 4).map((k) => `config.${k}`)];
}

/** Where the table's columns go: name and state, then the chosen config values and
 * metrics (in view on a narrow screen without scrolling), then group, tags and times. */
export function tableColumns(ids: string[]): Column[] {
  const [name, state, ...rest] = FIXED_COLUMNS;
  return [name, state, ...ids.map(dataColumn), ...rest];
}

/** The next sort when a header is clicked: descending, then ascending, then unsorted. */
export function nextSort(current: string[], field: string, add: boolean): string[] {
  const idx = current.findIndex((t) => t === field || t === `-${field}`);
  const now = idx < 0 ? null : current[idx].startsWith("-") ? "desc" : "asc";
  const next = now === null ? `-${field}` : now === "desc" ? field : null;
  const rest = add ? current.filter((_, i) => i !== idx) : [];
  if (next === null) return rest;
  if (add && idx >= 0) {
    const copy = [...current];
    copy[idx] = next;
    return copy;
  }
  return [...rest, next];
}

export function sortDirection(current: string[], field: string): "asc" | "desc" | null {
  for (const t of current) {
    if (t === field) return "asc";
    if (t === `-${field}`) return "desc";
  }
  return null;
}
