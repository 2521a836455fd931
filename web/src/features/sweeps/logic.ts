// What the sweep page draws, computed from the trials: the best-so-far curve, the
// parallel coordinates' axes, colours along the objective.
import type { Trial } from "./api";

export interface BestPoint {
  trial: number;
  value: number;
  best: number;
}

/** Complete trials in trial order, each with the best value up to it. */
export function bestSoFar(trials: Trial[], goal: string): BestPoint[] {
  const better = goal === "maximize" ? (a: number, b: number) => a > b : (a: number, b: number) => a < b;
  const out: BestPoint[] = [];
  let best: number | null = null;
  for (const t of [...trials].sort((a, b) => a.number - b.number)) {
    if (t.status !== "complete" || t.value === null || t.value === undefined) continue;
    best = best === null || better(t.value, best) ? t.value : best;
    out.push({ trial: t.number, value: t.value, best });
  }
  return out;
}

export interface Axis {
  name: string;
  kind: "number" | "category";
  /** A value's place on the axis, 0 (bottom) to 1 (top); null: the trial lacks it. */
  place: (v: unknown) => number | null;
  ticks: { at: number; label: string }[];
}

/** One axis per parameter, from the values the trials took. */
export function paramAxes(trials: Trial[], names: string[]): Axis[] {
  return names.map((name) => {
    const values = trials.map((t) => t.params[name]).filter((v) => v !== undefined && v !== null);
    const numeric = values.length > 0 && values.every((v) => typeof v === "number");
    if (numeric) {
      const nums = values as number[];
      const lo = Math.min(...nums);
      const hi = Math.max(...nums);
      const span = hi - lo || 1;
      return {
        name,
        kind: "number",
        place: (v) => (typeof v === "number" ? (v - lo) / span : null),
        ticks: [
          { at: 0, label: fmt(lo) },
          { at: 1, label: fmt(hi) },
        ],
      };
    }
    const cats = [...new Set(values.map((v) => String(v)))].sort();
    const step = cats.length > 1 ? 1 / (cats.length - 1) : 0;
    const at = (c: string) => (cats.length > 1 ? cats.indexOf(c) * step : 0.5);
    return {
      name,
      kind: "category",
      place: (v) => (v === undefined || v === null ? null : at(String(v))),
      ticks: cats.map((c) => ({ at: at(c), label: c })),
    };
  });
}

/** A colour for `t` in [0, 1]: dark blue (0) through teal to yellow (1), viridis-like. */
export function rampColor(t: number): string {
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = stops[i].map((a, k) => Math.round(a + (stops[i + 1][k] - a) * f));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/** Where a value lies between the worst (0) and the best (1) of the complete trials. */
export function goodness(value: number, values: number[], goal: string): number {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  if (!(hi > lo)) return 1;
  const t = (value - lo) / (hi - lo);
  return goal === "maximize" ? t : 1 - t;
}

export function fmt(v: unknown): string {
  if (typeof v !== "number") return v === null || v === undefined ? "–" : String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : v.toPrecision(4).replace(/\.?0+$/, "");
}
