// One metric, any number of runs, on uPlot. uPlot's faceted mode (mode 2) gives each
// run its own x array, so runs logged at different steps are never joined into one
// sparse table (100 runs x 1,000 buckets stay 100 arrays, not 100,000 rows). Drawn
// on top: each run's bucket min/max band (spikes stay visible), and non-finite points
// as markers (▲ +inf, ▼ -inf, ✕ NaN) along the edges.
import { useEffect, useMemo, useRef, useState } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { themeColor } from "../lib/canvas";
import { runColor, withAlpha } from "../lib/colors";
import { fmtDate, fmtDuration, fmtNum } from "../lib/format";
import { pointsPerBucket, valueAt, type ChartSeries } from "../lib/series";
import { smooth, type SmoothingKind } from "../lib/smoothing";

export interface ChartOptions {
  xAxis: string;
  logY: boolean;
  smoothing: number;
  smoothKind: SmoothingKind;
}

interface Props {
  series: ChartSeries[]; // one per run (hidden ones already removed)
  names: Record<string, string>;
  options: ChartOptions;
  width: number;
  height: number;
  xRange: [number, number] | null;
  onZoom: (range: [number, number] | null) => void;
}

const MAX_BANDS = 20; // beyond this many runs the bands would only be noise

export function formatX(xAxis: string, v: number): string {
  if (xAxis === "time") return fmtDate(v);
  if (xAxis === "relative_time") return fmtDuration(v);
  return fmtNum(v, 4);
}

export function LineChart({ series, names, options, width, height, xRange, onZoom }: Props) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [hover, setHover] = useState<{ left: number; top: number; x: number } | null>(null);
  const zoom = useRef(onZoom);
  zoom.current = onZoom;

  // what uPlot draws: per run the raw line (faint when smoothed) and the smoothed one
  const drawn = useMemo(() => {
    const smoothed = options.smoothing > 0;
    return series.map((s) => {
      const ys = options.logY ? s.y.map((v) => (v > 0 ? v : Number.NaN)) : s.y;
      return {
        s,
        raw: ys,
        smooth: smoothed ? smooth(ys, options.smoothKind, options.smoothing, pointsPerBucket(s)) : null,
      };
    });
  }, [series, options.smoothing, options.smoothKind, options.logY]);

  useEffect(() => {
    if (!el.current) return;
    const fg = themeColor("--fg", "#222");
    const grid = themeColor("--grid", "#eee");
    const nullify = (a: ArrayLike<number>) => Array.from(a, (v) => (Number.isFinite(v) ? v : null));
    const data: unknown[] = [null];
    const uSeries: uPlot.Series[] = [{}];
    for (const d of drawn) {
      const color = runColor(d.s.run);
      const xs = Array.from(d.s.x);
      data.push([xs, nullify(d.raw)]);
      uSeries.push({
        label: names[d.s.run] ?? d.s.run,
        stroke: d.smooth ? withAlpha(color, 0.25) : color,
        width: 1.25,
        points: { show: false },
        facets: [
          { scale: "x", auto: true },
          { scale: "y", auto: true },
        ],
      } as uPlot.Series);
      if (d.smooth) {
        data.push([xs, nullify(d.smooth)]);
        uSeries.push({
          label: `${names[d.s.run] ?? d.s.run} (smoothed)`,
          stroke: color,
          width: 1.75,
          points: { show: false },
          facets: [
            { scale: "x", auto: true },
            { scale: "y", auto: true },
          ],
        } as uPlot.Series);
      }
    }
    // As wide as the longest tick label ("5.00e-4"): uPlot asks again when they change.
    const yAxisWidth = (_u: uPlot, labels: string[] | null) =>
      20 + 7 * Math.max(4, ...(labels ?? []).map((label) => label.length));
    const axis = (values: (v: number) => string): uPlot.Axis => ({
      stroke: fg,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 },
      values: (_u, splits) => splits.map((v) => (v === null ? "" : values(v))),
    });
    const opts: uPlot.Options = {
      mode: 2,
      width,
      height,
      legend: { show: false },
      scales: {
        x: { time: false, auto: xRange === null, range: xRange ? () => xRange : undefined },
        y: options.logY ? { distr: 3, log: 10 } : { auto: true },
      },
      series: uSeries,
      axes: [axis((v) => formatX(options.xAxis, v)), { ...axis((v) => fmtNum(v, 3)), size: yAxisWidth }],
      cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false } },
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width > 3) {
              const lo = u.posToVal(u.select.left, "x");
              const hi = u.posToVal(u.select.left + u.select.width, "x");
              zoom.current([lo, hi]);
            }
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          },
        ],
        setCursor: [
          (u) => {
            const { left, top } = u.cursor;
            if (left === undefined || left < 0 || top === undefined) setHover(null);
            else setHover({ left, top, x: u.posToVal(left, "x") });
          },
        ],
        drawAxes: [(u) => drawBands(u, drawn.map((d) => d.s), options.logY)],
        draw: [(u) => drawMarkers(u, drawn.map((d) => d.s))],
      },
    };
    plot.current?.destroy();
    plot.current = new uPlot(opts, data as uPlot.AlignedData, el.current);
    const over = plot.current.over;
    const reset = () => zoom.current(null);
    over.addEventListener("dblclick", reset);
    return () => over.removeEventListener("dblclick", reset);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [drawn, width, height, xRange?.[0], xRange?.[1], options.xAxis, options.logY, names]);

  useEffect(() => () => plot.current?.destroy(), []);

  const rows = hover
    ? drawn
        .map((d) => {
          const p = valueAt(d.s, hover.x);
          return p ? { run: d.s.run, x: p.x, y: d.smooth ? d.smooth[p.i] : p.y } : null;
        })
        .filter((r): r is { run: string; x: number; y: number } => r !== null)
        .sort((a, b) => b.y - a.y)
    : [];

  return (
    <div className="line-chart" style={{ position: "relative" }}>
      <div ref={el} />
      {hover && rows.length > 0 && (
        <div
          className="tooltip chart-tooltip"
          style={{
            left: Math.min(hover.left + 70, width - 220),
            top: 8,
          }}
          data-testid="chart-tooltip"
        >
          <div className="muted">
            {options.xAxis}: {formatX(options.xAxis, hover.x)}
          </div>
          {rows.slice(0, 12).map((r) => (
            <div key={r.run} className="tooltip-row">
              <span className="swatch" style={{ background: runColor(r.run) }} />
              <span className="tooltip-name">{names[r.run] ?? r.run}</span>
              <span className="num">{fmtNum(r.y, 5)}</span>
            </div>
          ))}
          {rows.length > 12 && <div className="muted">+{rows.length - 12} more</div>}
        </div>
      )}
    </div>
  );
}

function drawBands(u: uPlot, series: ChartSeries[], logY: boolean): void {
  if (series.length > MAX_BANDS) return;
  const ctx = u.ctx;
  ctx.save();
  ctx.beginPath();
  ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
  ctx.clip();
  for (const s of series) {
    if (!s.sampled || s.x.length < 2) continue;
    ctx.fillStyle = withAlpha(runColor(s.run), 0.13);
    ctx.beginPath();
    const y = (v: number) => u.valToPos(logY && v <= 0 ? Number.MIN_VALUE : v, "y", true);
    for (let i = 0; i < s.x.length; i++) {
      const px = u.valToPos(s.x[i], "x", true);
      if (i === 0) ctx.moveTo(px, y(s.max[i]));
      else ctx.lineTo(px, y(s.max[i]));
    }
    for (let i = s.x.length - 1; i >= 0; i--) ctx.lineTo(u.valToPos(s.x[i], "x", true), y(s.min[i]));
    ctx.closePath();
    ctx.fill();
  }
  ctx.restore();
}

function drawMarkers(u: uPlot, series: ChartSeries[]): void {
  const ctx = u.ctx;
  const pr = uPlot.pxRatio;
  const { left, top, width, height } = u.bbox;
  ctx.save();
  ctx.font = `${11 * pr}px system-ui, sans-serif`;
  ctx.textAlign = "center";
  for (const s of series) {
    ctx.fillStyle = runColor(s.run);
    for (const m of s.markers) {
      const px = u.valToPos(m.x, "x", true);
      if (px < left || px > left + width) continue;
      if (m.kind === "inf") ctx.fillText("▲", px, top + 10 * pr);
      else if (m.kind === "-inf") ctx.fillText("▼", px, top + height - 2 * pr);
      else ctx.fillText("✕", px, top + 22 * pr);
    }
  }
  ctx.restore();
}
