// Seed groups on the client, and a group's curves drawn as one mean line with a band
// (heron.analysis.groups / heron.analysis.bands do the same on the server).
import type { ChartSeries } from "../charts/series";

export type BandKind = "std" | "minmax" | "ci95";
export const BAND_KINDS: { id: BandKind; label: string }[] = [
  { id: "std", label: "mean ± std" },
  { id: "minmax", label: "mean, min–max" },
  { id: "ci95", label: "mean, 95% CI" },
];

export interface RunGroup {
  id: string;
  name: string;
  runIds: string[];
}

function flatten(value: unknown, prefix: string, out: Record<string, string>) {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out[prefix] = JSON.stringify(value);
  }
}

/** Runs whose configs are equal once `keys` (dotted paths, and what is under them) are
 * left out; each group named by the config paths that tell the groups apart. */
export function seedGroupsOf(
  runs: { id: string; config: Record<string, unknown> }[],
  keys: string[] = ["seed"],
): RunGroup[] {
  const skip = (path: string) => keys.some((k) => path === k || path.startsWith(`${k}.`));
  const buckets = new Map<string, { flat: Record<string, string>; ids: string[] }>();
  for (const run of runs) {
    const all: Record<string, string> = {};
    flatten(run.config ?? {}, "", all);
    const flat = Object.fromEntries(
      Object.entries(all)
        .filter(([p]) => !skip(p))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
    const ident = JSON.stringify(flat);
    const b = buckets.get(ident) ?? { flat, ids: [] };
    b.ids.push(run.id);
    buckets.set(ident, b);
  }
  const flats = [...buckets.values()].map((b) => b.flat);
  const varying = [...new Set(flats.flatMap((f) => Object.keys(f)))]
    .filter((p) => flats.some((f) => f[p] !== flats[0][p]))
    .sort();
  return [...buckets.values()].map((b, i) => {
    const name = varying.filter((p) => p in b.flat).map((p) => `${p}=${b.flat[p].replace(/^"(.*)"$/, "$1")}`);
    return { id: `group:${i}`, name: name.join(", ") || "all runs", runIds: b.ids };
  });
}

// t quantiles at 0.975 for 1..30 degrees of freedom; beyond, the normal's 1.96
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];
export const t975 = (df: number) => (df < 1 ? Number.NaN : df <= 30 ? T975[df - 1] : 1.96);

/** One series per group (of the runs that have points): the mean at each x the runs
 * share, with the band as the series' min/max (so the chart draws it as a band). */
export function groupSeries(series: ChartSeries[], groups: RunGroup[], kind: BandKind): ChartSeries[] {
  const out: ChartSeries[] = [];
  for (const g of groups) {
    const members = series.filter((s) => g.runIds.includes(s.run));
    if (members.length === 0) continue;
    const at = new Map<number, number[]>();
    for (const s of members) {
      for (let i = 0; i < s.x.length; i++) {
        const ys = at.get(s.x[i]) ?? [];
        ys.push(s.y[i]);
        at.set(s.x[i], ys);
      }
    }
    const xs = [...at.keys()].sort((a, b) => a - b);
    const mean: number[] = [];
    const lo: number[] = [];
    const hi: number[] = [];
    for (const x of xs) {
      const ys = at.get(x)!;
      const m = ys.reduce((a, b) => a + b, 0) / ys.length;
      mean.push(m);
      if (kind === "minmax") {
        lo.push(Math.min(...ys));
        hi.push(Math.max(...ys));
        continue;
      }
      const sd = ys.length > 1 ? Math.sqrt(ys.reduce((a, y) => a + (y - m) ** 2, 0) / (ys.length - 1)) : 0;
      const half = kind === "std" ? sd : ys.length > 1 ? (t975(ys.length - 1) * sd) / Math.sqrt(ys.length) : 0;
      lo.push(m - half);
      hi.push(m + half);
    }
    out.push({
      run: g.id,
      key: members[0].key,
      total: members.reduce((n, s) => n + s.total, 0),
      sampled: true, // draws min/max as the band
      x: Float64Array.from(xs),
      y: Float64Array.from(mean),
      min: Float64Array.from(lo),
      max: Float64Array.from(hi),
      markers: members.flatMap((s) => s.markers),
    });
  }
  return out;
}
