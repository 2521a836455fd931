// Any config value or metric against any metric, one dot per run in its colour.
// Hover names the run; a click opens it.
import { useEffect, useMemo, useRef, useState, type MouseEvent } from "react";
import { useNavigate } from "react-router";
import { Empty, ErrorBox, Loading } from "../../components/States";
import type { ProjectKeys } from "../../lib/api";
import { setupCanvas, themeColor, useWidth } from "../../lib/canvas";
import { runColor } from "../../lib/colors";
import { columnLabel, fmtNum } from "../../lib/format";
import { useThemeName } from "../../lib/theme";
import { useRunRows } from "./queries";
import type { Row } from "./rows";
import { makeAxis, niceTicks } from "./scale";
import { KeySelect, columnChoices, defaultMetric, nothingToShow } from "./PlotControls";

const HEIGHT = 320;
const NO_ROWS: Row[] = [];
const PAD = { top: 12, bottom: 36, left: 64, right: 16 };

interface Props {
  project: string;
  filter: string;
  keys: ProjectKeys;
  x: string;
  y: string;
  onChange: (x: string, y: string) => void;
}

export default function ScatterPlot({ project, filter, keys, x, y, onChange }: Props) {
  const xChoices = columnChoices(keys, ["config", "metrics"]);
  const yChoices = columnChoices(keys, ["metrics"]);
  const xKey = x || xChoices[0] || "";
  const yKey = y || defaultMetric(yChoices);
  const plottable = xKey !== "" && yKey !== "";
  const res = useRunRows(project, filter, [xKey, yKey], plottable);
  const rows = plottable ? res.data : NO_ROWS;
  const navigate = useNavigate();
  const box = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const width = useWidth(box);
  const [hover, setHover] = useState<{ row: Row; px: number; py: number } | null>(null);
  const theme = useThemeName(); // the axes and grid take the theme's colours: repaint on change

  const plot = useMemo(() => {
    if (!rows) return null;
    const ax = makeAxis(
      xKey,
      rows.map((r) => r.cells[xKey] ?? null),
    );
    const ay = makeAxis(
      yKey,
      rows.map((r) => r.cells[yKey] ?? null),
    );
    const w = width - PAD.left - PAD.right;
    const h = HEIGHT - PAD.top - PAD.bottom;
    const pts: { row: Row; px: number; py: number }[] = [];
    for (const r of rows) {
      const tx = ax.norm(r.cells[xKey]);
      const ty = ay.norm(r.cells[yKey]);
      if (tx === null || ty === null) continue;
      pts.push({ row: r, px: PAD.left + tx * w, py: PAD.top + (1 - ty) * h });
    }
    return { ax, ay, pts, w, h };
  }, [rows, xKey, yKey, width]);

  useEffect(() => {
    if (!canvas.current || !plot) return;
    const ctx = setupCanvas(canvas.current, width, HEIGHT);
    const fg = themeColor("--fg", "#222");
    const muted = themeColor("--muted", "#888");
    const grid = themeColor("--grid", "#eee");
    ctx.clearRect(0, 0, width, HEIGHT);
    ctx.font = "11px system-ui, sans-serif";
    const { ax, ay, pts, w, h } = plot;
    const ticks = (a: typeof ax) =>
      a.kind === "number"
        ? niceTicks(a.lo, a.hi, 6).map((v) => [(v - a.lo) / (a.hi - a.lo), fmtNum(v, 3)] as const)
        : a.categories.map((c, i, arr) => [arr.length === 1 ? 0.5 : i / (arr.length - 1), c] as const);
    ctx.fillStyle = muted;
    ctx.strokeStyle = grid;
    for (const [t, label] of ticks(ax)) {
      const px = PAD.left + t * w;
      ctx.beginPath();
      ctx.moveTo(px, PAD.top);
      ctx.lineTo(px, PAD.top + h);
      ctx.stroke();
      ctx.textAlign = "center";
      ctx.fillText(label, px, PAD.top + h + 14, 90);
    }
    for (const [t, label] of ticks(ay)) {
      const py = PAD.top + (1 - t) * h;
      ctx.beginPath();
      ctx.moveTo(PAD.left, py);
      ctx.lineTo(PAD.left + w, py);
      ctx.stroke();
      ctx.textAlign = "right";
      ctx.fillText(label, PAD.left - 6, py + 4, PAD.left - 8);
    }
    ctx.fillStyle = fg;
    ctx.textAlign = "center";
    ctx.fillText(xKey, PAD.left + w / 2, HEIGHT - 6);
    const r = pts.length > 3000 ? 2 : 3.5;
    for (const p of pts) {
      ctx.fillStyle = runColor(p.row.id);
      ctx.beginPath();
      ctx.arc(p.px, p.py, r, 0, Math.PI * 2);
      ctx.fill();
    }
  }, [plot, width, xKey, theme]);

  const nearest = (e: MouseEvent<HTMLCanvasElement>) => {
    if (!plot) return null;
    const b = e.currentTarget.getBoundingClientRect();
    const mx = e.clientX - b.left;
    const my = e.clientY - b.top;
    let best: (typeof plot.pts)[number] | null = null;
    let d = 100; // within 10 px
    for (const p of plot.pts) {
      const dd = (p.px - mx) ** 2 + (p.py - my) ** 2;
      if (dd < d) {
        d = dd;
        best = p;
      }
    }
    return best;
  };

  return (
    <div className="plot-panel" data-view="scatter">
      <div className="plot-controls">
        <KeySelect label="X" value={xKey} choices={xChoices} onChange={(v) => onChange(v, yKey)} />
        <KeySelect label="Y" value={yKey} choices={yChoices} onChange={(v) => onChange(xKey, v)} />
        <span className="muted">Click a dot to open its run.</span>
      </div>
      <div ref={box} className="plot-box" style={{ position: "relative" }}>
        {res.error ? (
          <ErrorBox error={res.error} retry={() => void res.refetch()} />
        ) : !rows || !plot ? (
          <Loading what="runs" />
        ) : !xKey || !yKey ? (
          <Empty title="Nothing to plot">This project has no metrics yet.</Empty>
        ) : plot.pts.length === 0 ? (
          <Empty title="Nothing to plot">
            <span data-testid="plot-empty-reason">
              {nothingToShow(rows, [xKey, yKey]) ?? "No run has a finite value on both axes."}
            </span>
          </Empty>
        ) : (
          <>
            <span className="axis-title-y">{columnLabel(yKey)}</span>
            <canvas
              ref={canvas}
              data-testid="scatter-canvas"
              data-points={plot.pts.length}
              role="img"
              aria-label={`Scatter of ${yKey} against ${xKey}, ${plot.pts.length} runs`}
              onPointerMove={(e) => setHover(nearest(e))}
              onPointerLeave={() => setHover(null)}
              onClick={(e) => {
                const p = nearest(e);
                if (p) navigate(`/p/${encodeURIComponent(project)}/runs/${p.row.id}`);
              }}
              style={{ cursor: hover ? "pointer" : "default" }}
            />
            {hover && (
              <div className="tooltip" style={{ left: hover.px + 12, top: hover.py - 8 }}>
                <strong>{hover.row.name}</strong>
                <div>
                  {columnLabel(xKey)}: {fmtNum(hover.row.cells[xKey])}
                </div>
                <div>
                  {columnLabel(yKey)}: {fmtNum(hover.row.cells[yKey])}
                </div>
              </div>
            )}
          </>
        )}
      </div>
    </div>
  );
}
