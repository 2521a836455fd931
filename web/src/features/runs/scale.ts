// Scales and ticks for the canvas plots.
import type { BrushValue } from "./state";

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (lo === hi) return [lo];
  const span = hi - lo;
  const raw = span / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= count) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

export interface Axis {
  key: string;
  kind: "number" | "category";
  lo: number;
  hi: number;
  categories: string[]; // category axes: the values' labels, in order
  values: unknown[]; // category axes: the value each label stands for
  /** value -> 0..1 along the axis (null when the run has no usable value) */
  norm: (v: unknown) => number | null;
  /** 0..1 -> value (number axes) */
  denorm: (t: number) => number;
}

/** How a value reads on a category axis (strings as they are, the rest as JSON). */
export function categoryLabel(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** A number axis when every present value is a finite number, else a category axis. */
export function makeAxis(key: string, values: unknown[]): Axis {
  const present = values.filter((v) => v !== null && v !== undefined);
  const numeric = present.length > 0 && present.every((v) => typeof v === "number" && Number.isFinite(v));
  if (numeric) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of present as number[]) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (lo === hi) {
      lo -= 0.5;
      hi += 0.5;
    }
    return {
      key,
      kind: "number",
      lo,
      hi,
      categories: [],
      values: [],
      norm: (v) => (typeof v === "number" && Number.isFinite(v) ? (v - lo) / (hi - lo) : null),
      denorm: (t) => lo + t * (hi - lo),
    };
  }
  const byLabel = new Map<string, unknown>();
  for (const v of present) if (!byLabel.has(categoryLabel(v))) byLabel.set(categoryLabel(v), v);
  const categories = [...byLabel.keys()].sort();
  const index = new Map(categories.map((c, i) => [c, i]));
  const n = categories.length;
  return {
    key,
    kind: "category",
    lo: 0,
    hi: Math.max(0, n - 1),
    categories,
    values: categories.map((c) => byLabel.get(c)),
    norm: (v) => {
      if (v === null || v === undefined) return null;
      const i = index.get(categoryLabel(v));
      return i === undefined ? null : n === 1 ? 0.5 : i / (n - 1);
    },
    denorm: (t) => t * Math.max(0, n - 1),
  };
}

/**
 * The values of a category axis whose place lies within [tLo, tHi] (0..1 along the
 * axis), leaving out what the filter language cannot write (lists, objects).
 */
export function categoriesBetween(axis: Axis, tLo: number, tHi: number): BrushValue[] {
  const n = axis.categories.length;
  const out: BrushValue[] = [];
  axis.values.forEach((v, i) => {
    const t = n === 1 ? 0.5 : i / (n - 1);
    const scalar =
      v === null || ["string", "boolean"].includes(typeof v) || (typeof v === "number" && Number.isFinite(v));
    if (t >= tLo && t <= tHi && scalar) out.push(v as BrushValue);
  });
  return out;
}
