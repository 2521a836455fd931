// A bar panel: one value per run (a summary metric or a config value), sorted, or with
// a band chosen, one bar per group: its mean with the spread as a whisker.
import { useMemo } from "react";
import { Empty } from "../../components/States";
import { runColor } from "../../lib/colors";
import { fmtNum } from "../../lib/format";
import { seedGroupsOf, t975 } from "../analysis/bands";
import type { Row } from "../runs/rows";
import { configOf } from "./lines";
import type { Panel } from "./model";

interface Bar {
  id: string;
  name: string;
  value: number;
  lo: number;
  hi: number;
  n: number;
}

export function bars(panel: Panel, runs: Row[]): Bar[] {
  const key = panel.keys[0] ?? "";
  const valueOf = (r: Row) => {
    const v = r.cells[key];
    return typeof v === "number" && Number.isFinite(v) ? v : null;
  };
  if (!panel.band) {
    return runs
      .map((r) => ({ r, v: valueOf(r) }))
      .filter((x): x is { r: Row; v: number } => x.v !== null)
      .map(({ r, v }) => ({ id: r.id, name: r.name, value: v, lo: v, hi: v, n: 1 }));
  }
  const groups = seedGroupsOf(
    runs.map((r) => ({ id: r.id, config: configOf(r.cells) })),
    panel.groupBy,
  );
  const byId = new Map(runs.map((r) => [r.id, r]));
  const out: Bar[] = [];
  for (const g of groups) {
    const ys = g.runIds.map((id) => valueOf(byId.get(id)!)).filter((v): v is number => v !== null);
    if (ys.length === 0) continue;
    const m = ys.reduce((a, b) => a + b, 0) / ys.length;
    const sd = ys.length > 1 ? Math.sqrt(ys.reduce((a, y) => a + (y - m) ** 2, 0) / (ys.length - 1)) : 0;
    const half = panel.band === "std" ? sd : ys.length > 1 ? (t975(ys.length - 1) * sd) / Math.sqrt(ys.length) : 0;
    const [lo, hi] = panel.band === "minmax" ? [Math.min(...ys), Math.max(...ys)] : [m - half, m + half];
    out.push({ id: g.id, name: g.name, value: m, lo, hi, n: ys.length });
  }
  return out;
}

export function BarPanel({ panel, runs }: { panel: Panel; runs: Row[] }) {
  const shown = useMemo(() => bars(panel, runs), [panel, runs]);
  if (!panel.keys[0]) return <Empty title="No key chosen">Open the panel's settings (⚙) and pick a value.</Empty>;
  if (shown.length === 0) return <Empty title={`No run has a number for ${panel.keys[0]}`} />;
  const lo = Math.min(0, ...shown.map((b) => b.lo));
  const hi = Math.max(0, ...shown.map((b) => b.hi));
  const span = hi - lo || 1;
  const pct = (v: number) => `${(((v - lo) / span) * 100).toFixed(2)}%`;
  return (
    <div className="ws-bars" style={{ maxHeight: panel.h, overflowY: "auto" }} data-bars={shown.length}>
      {shown.map((b) => (
        <div key={b.id} className="ws-bar" data-name={b.name} title={`${b.name}: ${fmtNum(b.value)}`}>
          <span className="ws-bar-name">{b.name}</span>
          <span className="ws-bar-track">
            <span
              className="ws-bar-fill"
              style={{
                left: pct(Math.min(0, b.value)),
                width: `${((Math.abs(b.value) / span) * 100).toFixed(2)}%`,
                background: runColor(b.id),
              }}
            />
            {b.n > 1 && (
              <span
                className="ws-bar-whisker"
                style={{ left: pct(b.lo), width: `calc(${pct(b.hi)} - ${pct(b.lo)})` }}
              />
            )}
          </span>
          <span className="ws-bar-value num">{fmtNum(b.value)}</span>
        </div>
      ))}
    </div>
  );
}
