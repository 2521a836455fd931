// Pieces of the filter language (docs/query.md) that the UI writes for the user.
import type { Brush } from "./urlState";

const PLAIN_KEY = /^[^\s(),'"`=<>!]+$/;

/** A field reference such as `config.lr` or metrics.`val acc`, quoting when needed. */
export function fieldRef(column: string): string {
  const dot = column.indexOf(".");
  if (dot < 0) return column;
  const prefix = column.slice(0, dot);
  const key = column.slice(dot + 1);
  if (PLAIN_KEY.test(key)) return column;
  return `${prefix}.\`${key.replace(/\\/g, "\\\\").replace(/`/g, "\\`")}\``;
}

/** A string literal of the filter language. */
export function quote(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** Join clauses with `and`, parenthesising each so that `or` inside stays grouped. */
export function andAll(clauses: string[]): string {
  const parts = clauses.map((c) => c.trim()).filter(Boolean);
  if (parts.length <= 1) return parts[0] ?? "";
  return parts.map((p) => `(${p})`).join(" and ");
}

/** The clause a brushed axis stands for. */
export function brushClause(b: Brush): string {
  const f = fieldRef(b.key);
  return `${f} >= ${b.lo} and ${f} <= ${b.hi}`;
}

/** The filter the runs table runs: what the user typed plus quick filters and brushes. */
export function effectiveFilter(typed: string, states: string[], tags: string[], brushes: Brush[]): string {
  const inList = (field: string, values: string[]) =>
    values.length ? `${field} in (${values.map(quote).join(", ")})` : "";
  return andAll([typed, inList("state", states), inList("tags", tags), ...brushes.map(brushClause)]);
}
