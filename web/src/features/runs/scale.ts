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
  log?: boolean; // a number axis over log10 of the values
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

/** Ticks of a log axis over [lo, hi] (both > 0): the powers of ten inside, with 2 and 5
 * times them when the range spans less than three decades. */
export function logTicks(lo: number, hi: number): number[] {
  if (!(lo > 0) || !(hi > 0) || !Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  const first = Math.floor(Math.log10(lo));
  const last = Math.ceil(Math.log10(hi));
  const steps = last - first < 3 ? [1, 2, 5] : [1];
  const out: number[] = [];
  for (let e = first; e <= last; e++)
    for (const m of steps) {
      const v = Number((m * Math.pow(10, e)).toPrecision(12));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  return out;
}

/** Whether `values` can go on a log axis: numbers, all of them above zero. */
export function canLog(values: unknown[]): boolean {
  const present = values.filter((v) => v !== null && v !== undefined);
  return present.length > 0 && present.every((v) => typeof v === "number" && Number.isFinite(v) && v > 0);
}

/**
 * A number axis when every present value is a finite number, else a category axis.
 * `log`: a number axis over log10 of the values (when they are all above zero, see
 * `canLog`; otherwise the axis stays linear and its `log` is false).
 */
export function makeAxis(key: string, values: unknown[], log = false): Axis {
  const present = values.filter((v) => v !== null && v !== undefined);
  const numeric = present.length > 0 && present.every((v) => typeof v === "number" && Number.isFinite(v));
  if (numeric && log && canLog(present)) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of present as number[]) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    let a = Math.log10(lo);
    let b = Math.log10(hi);
    if (a === b) {
      a -= 0.5;
      b += 0.5;
    }
    return {
      key,
      kind: "number",
      log: true,
      lo: Math.pow(10, a),
      hi: Math.pow(10, b),
      categories: [],
      values: [],
      norm: (v) => (typeof v === "number" && Number.isFinite(v) && v > 0 ? (Math.log10(v) - a) / (b - a) : null),
      denorm: (t) => Math.pow(10, a + t * (b - a)),
    };
  }
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

/** Where a value sits along a number axis, 0..1 (log or linear, as the axis is). */
export const tickPlace = (axis: Axis, v: number): number => axis.norm(v) ?? 0;

// --- colour ---------------------------------------------------------------------------

// viridis at 9 stops: perceptually even, readable for colour-blind eyes, on light and dark
const VIRIDIS = ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30", "#fde725"];

const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

/** The colour of `t` in 0..1 on the colour scale (viridis, linear between its stops). */
export function colorAt(t: number): string {
  const x = Math.max(0, Math.min(1, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [rgb(VIRIDIS[i]), rgb(VIRIDIS[i + 1])];
  return (
    "#" +
    a
      .map((v, k) =>
        Math.round(v + (b[k] - v) * f)
          .toString(16)
          .padStart(2, "0"),
      )
      .join("")
  );
}

/** The colour scale's stops as a CSS gradient (the legend). */
export const colorGradient = (): string => `linear-gradient(to right, ${VIRIDIS.join(", ")})`;
