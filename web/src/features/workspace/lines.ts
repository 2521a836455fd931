// What a line panel draws from the series the server sent: each run's line, one per
// key when the panel shows several keys; or, with a band chosen, each group's mean with
// its band (analysis/bands.ts), per key.
import { groupSeries, type BandKind, type RunGroup } from "../analysis/bands";
import type { ChartSeries } from "../charts/series";

export interface Drawn {
  series: ChartSeries[]; // `run` is the drawn line's id
  names: Record<string, string>;
  ids: string[]; // the drawn ids, for colours
}

const lineId = (id: string, key: string, keys: readonly string[]) => (keys.length > 1 ? `${id}\t${key}` : id);

export function drawnLines(
  series: ChartSeries[],
  keys: readonly string[],
  runNames: Record<string, string>,
  band: { kind: BandKind; groups: RunGroup[] } | null,
): Drawn {
  const shown = series.filter((s) => s.x.length > 0 || s.markers.length > 0);
  const out: ChartSeries[] = [];
  const names: Record<string, string> = {};
  const suffix = (key: string) => (keys.length > 1 ? ` · ${key}` : "");
  for (const key of keys) {
    const ofKey = shown.filter((s) => s.key === key);
    if (band) {
      for (const g of groupSeries(ofKey, band.groups, band.kind)) {
        const id = lineId(g.run, key, keys);
        names[id] = `${band.groups.find((x) => x.id === g.run)?.name ?? g.run}${suffix(key)}`;
        out.push({ ...g, run: id });
      }
    } else {
      for (const s of ofKey) {
        const id = lineId(s.run, key, keys);
        names[id] = `${runNames[s.run] ?? s.run}${suffix(key)}`;
        out.push(keys.length > 1 ? { ...s, run: id } : s);
      }
    }
  }
  return { series: out, names, ids: out.map((s) => s.run) };
}

/** A row's config values (the `config.<key>` cells) as an object, for seed groups. */
export function configOf(cells: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cells)) if (k.startsWith("config.") && v !== null) out[k.slice(7)] = v;
  return out;
}

/** About a bucket per two pixels (each bucket keeps its min and max, so spikes stay
 * drawn), in steps of 50: a width that moves by a few pixels asks for nothing new. */
export function bucketsFor(width: number): number {
  return Math.max(100, Math.min(1000, Math.round(width / 100) * 50));
}
