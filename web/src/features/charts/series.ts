// Client side of POST /series: decode the downsampled buckets, keep non-finite points
// apart as markers, and answer "what is each series' value at x" for the hover.
import type { WireSeries } from "../../lib/api";
import { decodeNumber } from "../../lib/wire";

export type NonFiniteKind = "nan" | "inf" | "-inf";

export interface Marker {
  x: number;
  kind: NonFiniteKind;
}

export interface ChartSeries {
  run: string;
  key: string;
  total: number; // points the run logged in the asked range
  sampled: boolean; // true when buckets were averaged
  x: Float64Array;
  y: Float64Array;
  min: Float64Array;
  max: Float64Array;
  markers: Marker[];
}

export function nonFiniteKind(v: number): NonFiniteKind {
  if (Number.isNaN(v)) return "nan";
  return v > 0 ? "inf" : "-inf";
}

/**
 * Decode one wire series. Points whose y is not finite (in `nonfinite`, or, from a
 * lenient server, inline) become markers; points whose x is not finite cannot be placed
 * and are dropped. Points are returned sorted by x (the server sends them so; a
 * defensive sort keeps binary search right).
 */
export function decodeSeries(w: WireSeries): ChartSeries {
  const xs: number[] = [];
  const ys: number[] = [];
  const mins: number[] = [];
  const maxs: number[] = [];
  const markers: Marker[] = [];
  const n = w.x.length;
  let sorted = true;
  for (let i = 0; i < n; i++) {
    const x = decodeNumber(w.x[i]);
    const y = decodeNumber(w.y[i]);
    if (!Number.isFinite(x)) continue;
    if (!Number.isFinite(y)) {
      markers.push({ x, kind: nonFiniteKind(y) });
      continue;
    }
    if (xs.length && x < xs[xs.length - 1]) sorted = false;
    xs.push(x);
    ys.push(y);
    const lo = decodeNumber(w.min?.[i] ?? y);
    const hi = decodeNumber(w.max?.[i] ?? y);
    mins.push(Number.isFinite(lo) ? lo : y);
    maxs.push(Number.isFinite(hi) ? hi : y);
  }
  const nf = w.nonfinite ?? { x: [], y: [] };
  for (let i = 0; i < nf.x.length; i++) {
    const x = decodeNumber(nf.x[i]);
    if (Number.isFinite(x)) markers.push({ x, kind: nonFiniteKind(decodeNumber(nf.y[i])) });
  }
  markers.sort((a, b) => a.x - b.x);
  let order: number[] | null = null;
  if (!sorted) order = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b]);
  const pick = (arr: number[]) => Float64Array.from(order ? order.map((i) => arr[i]) : arr);
  return {
    run: w.run,
    key: w.key,
    total: w.total,
    sampled: w.sampled,
    x: pick(xs),
    y: pick(ys),
    min: pick(mins),
    max: pick(maxs),
    markers,
  };
}

/** The binary form of POST /series (heron.server.series_codec): float64 arrays. */
export const SERIES_BINARY = "application/vnd.heron.series";

interface BinaryHead {
  run: string;
  key: string;
  total: number;
  sampled: boolean;
  n: number;
  nonfinite: number;
}

/**
 * Decode a binary answer: each series' arrays are views over the answer's bytes (no
 * copy, no parsing). The server sends finite, x-sorted buckets with the non-finite
 * points apart; a series that is not so goes through `decodeSeries`'s checks instead.
 */
export function decodeBinary(buf: ArrayBuffer): ChartSeries[] {
  const bytes = new Uint8Array(buf);
  if (bytes.length < 8 || String.fromCharCode(...bytes.subarray(0, 4)) !== "HSR1")
    throw new Error("not a binary series answer");
  const size = new DataView(buf).getUint32(4, true);
  const head = (JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + size))) as { series: BinaryHead[] }).series;
  const values = new Float64Array(buf, 8 + size);
  let at = 0;
  const take = (n: number) => {
    if (at + n > values.length) throw new Error("binary series answer cut short");
    const part = values.subarray(at, at + n);
    at += n;
    return part;
  };
  return head.map((h) => {
    const x = take(h.n);
    const y = take(h.n);
    const min = h.sampled ? take(h.n) : y;
    const max = h.sampled ? take(h.n) : y;
    const nx = take(h.nonfinite);
    const ny = take(h.nonfinite);
    if (!clean(x, y, min, max)) {
      const wire = { ...h, x: Array.from(x), y: Array.from(y), min: Array.from(min), max: Array.from(max) };
      return decodeSeries({ ...wire, nonfinite: { x: Array.from(nx), y: Array.from(ny) } });
    }
    const markers: Marker[] = [];
    for (let i = 0; i < nx.length; i++)
      if (Number.isFinite(nx[i])) markers.push({ x: nx[i], kind: nonFiniteKind(ny[i]) });
    markers.sort((a, b) => a.x - b.x);
    return { run: h.run, key: h.key, total: h.total, sampled: h.sampled, x, y, min, max, markers };
  });
}

/** Every value finite and x ascending: the arrays can be drawn as they are. */
function clean(x: Float64Array, y: Float64Array, min: Float64Array, max: Float64Array): boolean {
  for (let i = 0; i < x.length; i++) {
    if (!(Number.isFinite(x[i]) && Number.isFinite(y[i]) && Number.isFinite(min[i]) && Number.isFinite(max[i])))
      return false;
    if (i > 0 && x[i] < x[i - 1]) return false;
  }
  return true;
}

/** Index of the point whose x is nearest to `x` (xs sorted ascending); -1 when empty. */
export function nearestIndex(xs: ArrayLike<number>, x: number): number {
  const n = xs.length;
  if (n === 0) return -1;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(xs[lo - 1] - x) <= Math.abs(xs[lo] - x)) return lo - 1;
  return lo;
}

/** The average distance in x between a series' points (0 with fewer than two). */
export function spacing(s: ChartSeries): number {
  const n = s.x.length;
  return n < 2 ? 0 : (s.x[n - 1] - s.x[0]) / (n - 1);
}

/**
 * The point nearest to `x` (its index, x and y), or null when the series has no point
 * within about one bucket of `x`: the larger of `minTolerance` (a few pixels, in x
 * units) and the series' own average spacing. So a run that ended (or has not started)
 * at `x` is left out of the hover rather than showing its last value as if it were
 * current, while a sparse series (an eval every 10 steps) still answers between its
 * points.
 */
export function valueAt(
  s: ChartSeries,
  x: number,
  minTolerance = Infinity,
): { i: number; x: number; y: number } | null {
  const i = nearestIndex(s.x, x);
  if (i < 0) return null;
  const tolerance = Math.max(minTolerance, spacing(s));
  if (!(Math.abs(s.x[i] - x) <= tolerance)) return null;
  return { i, x: s.x[i], y: s.y[i] };
}

export interface HoverRow {
  run: string;
  i: number; // index of the point in its series
  x: number;
  y: number; // the value shown (smoothed when the chart is)
}

/**
 * What the hover lists at `x`: every series with a point near `x` (see `valueAt`),
 * highest value first. `shown[k]`, when given, replaces series k's y (the smoothed
 * line); values that cannot be drawn (NaN on a log scale) go last.
 */
export function hoverRows(
  series: ChartSeries[],
  x: number,
  minTolerance: number,
  shown?: (ArrayLike<number> | null)[],
): HoverRow[] {
  const rows: HoverRow[] = [];
  series.forEach((s, k) => {
    const p = valueAt(s, x, minTolerance);
    if (p) rows.push({ run: s.run, i: p.i, x: p.x, y: shown?.[k] ? shown[k]![p.i] : p.y });
  });
  const key = (v: number) => (Number.isFinite(v) ? v : -Infinity);
  return rows.sort((a, b) => key(b.y) - key(a.y) || (a.run < b.run ? -1 : 1));
}

/** Average number of logged points each returned point stands for (1 when unsampled). */
export function pointsPerBucket(s: ChartSeries): number {
  if (!s.sampled || s.x.length === 0) return 1;
  return Math.max(1, (s.total - s.markers.length) / s.x.length);
}

/** The finite y extent over every series (with bucket min/max), for a log scale's sanity. */
export function yExtent(series: ChartSeries[], useBands: boolean): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    const a = useBands ? s.min : s.y;
    const b = useBands ? s.max : s.y;
    for (let i = 0; i < a.length; i++) {
      if (a[i] < lo) lo = a[i];
      if (b[i] > hi) hi = b[i];
    }
  }
  return lo <= hi ? [lo, hi] : null;
}
