// Pieces of the filter language (docs/query.md) that the UI writes for the user.
import type { Brush, BrushValue } from "./state";

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

/** A value as a literal of the filter language (numbers finite, as JSON writes them). */
export function literal(v: BrushValue): string {
  if (typeof v === "string") return quote(v);
  if (v === null) return "null";
  return String(v);
}

/**
 * The clause a brushed axis stands for: a range on a number axis, `key in (...)` on a
 * category axis (the filter language's `in` takes mixed types: strings, numbers,
 * true/false, null).
 */
export function brushClause(b: Brush): string {
  const f = fieldRef(b.key);
  if (b.values) return `${f} in (${b.values.map(literal).join(", ")})`;
  return `${f} >= ${b.lo} and ${f} <= ${b.hi}`;
}

/** Whether a run's value lies in a brush (what the clause selects, for drawing). */
export function brushHolds(b: Brush, v: unknown): boolean {
  if (b.values) return b.values.some((x) => x === v);
  return typeof v === "number" && v >= b.lo && v <= b.hi;
}

/** How a brush reads in the "Brushed:" bar. */
export function brushLabel(b: Brush): string {
  if (b.values) return `${b.key} ∈ {${b.values.map((v) => (typeof v === "string" ? v : String(v))).join(", ")}}`;
  return `${b.key} ∈ [${b.lo.toPrecision(3)}, ${b.hi.toPrecision(3)}]`;
}

/** The filter the runs table runs: what the user typed plus quick filters and brushes. */
export function effectiveFilter(typed: string, states: string[], tags: string[], brushes: Brush[]): string {
  const inList = (field: string, values: string[]) =>
    values.length ? `${field} in (${values.map(quote).join(", ")})` : "";
  return andAll([typed, inList("state", states), inList("tags", tags), ...brushes.map(brushClause)]);
}
