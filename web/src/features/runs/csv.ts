// The runs table as CSV, exactly as shown: its columns in their order, the rows the
// filter selects in the table's sort (the caller fetches them). RFC 4180 quoting; a text
// cell that a spreadsheet would run as a formula (= + - @, tab, CR first) gets a leading
// apostrophe. Numbers keep full precision (not the table's 4 digits); NaN and ±inf are
// written as NaN, inf and -inf; times as ISO 8601 UTC; tags joined with "; ".
import type { Cell } from "../../lib/api";
import type { Row } from "./rows";

const FORMULA = /^[=+\-@\t\r]/;

function text(v: string): string {
  const safe = FORMULA.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function number(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  return String(v);
}

/** One cell of the CSV. */
export function csvCell(v: Cell | string[] | undefined): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "number") return number(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "string") return text(v);
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return text(v.join("; "));
  return text(JSON.stringify(v));
}

const iso = (t: number | null) => (t === null ? "" : new Date(t * 1000).toISOString());

/** A run attribute or data column of `row`, by column id. */
export function cellOf(row: Row, id: string): Cell | string[] | undefined {
  switch (id) {
    case "name":
      return row.name;
    case "state":
      return row.state;
    case "group":
      return row.group;
    case "tags":
      return row.tags;
    case "created":
      return iso(row.created_at);
    case "duration":
      return row.duration;
    default:
      return row.cells[id];
  }
}

/** The CSV text: a header of column ids (with the run id first), then a line per row. */
export function toCsv(columns: string[], rows: Row[]): string {
  const head = ["id", ...columns].map(text).join(",");
  const lines = rows.map((r) => [text(r.id), ...columns.map((c) => csvCell(cellOf(r, c)))].join(","));
  return [head, ...lines].join("\r\n") + "\r\n";
}

/** A file name for a project's export: `<project>-runs-<yyyy-mm-dd>.csv`. */
export function csvFileName(project: string, now = new Date()): string {
  const safe = project.replace(/[^\w.-]+/g, "_");
  return `${safe}-runs-${now.toISOString().slice(0, 10)}.csv`;
}
