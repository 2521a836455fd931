// One metric, any number of runs, on uPlot. uPlot's faceted mode (mode 2) gives each
// run its own x array, so runs logged at different steps are never joined into one
// sparse table (100 runs x 1,000 buckets stay 100 arrays, not 100,000 rows). Drawn
// on top: each run's bucket min/max band (spikes stay visible), and non-finite points
// as markers (▲ +inf, ▼ -inf, ✕ NaN) along the edges. The hover lists every run that
// has a point near x. Focused, the chart zooms from the keyboard.
import { useEffect, useEffectEvent, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { themeColor } from "../../lib/canvas";
import { withAlpha } from "../../lib/colors";
import { fmtDate, fmtDuration, fmtNum } from "../../lib/format";
import { useThemeName } from "../../lib/theme";
import { hoverRows, pointsPerBucket, yExtent, type ChartSeries, type HoverRow } from "./series";
import { smooth, type SmoothingKind } from "./smoothing";

export interface ChartOptions {
  xAxis: string;
  logY: boolean;
  smoothing: number;
  smoothKind: SmoothingKind;
}

interface Props {
  series: ChartSeries[]; // one per run (hidden ones already removed)
  names: Record<string, string>;
  colors: (run: string) => string; // the colours of the set of runs shown together
  options: ChartOptions;
  width: number;
  height: number;
  xRange: [number, number] | null;
  onZoom: (range: [number, number] | null) => void;
  label: string; // what the chart is, for screen readers
}

const MAX_BANDS = 20; // beyond this many runs the bands would only be noise
const HOVER_PX = 3; // a run answers the hover if it has a point within this many pixels...
const NEAR_PX = 24; // ...and the line this close to the pointer is highlighted

interface Hover {
  left: number; // pointer in the plot area, CSS px
  top: number;
  clientX: number; // and on the screen, to keep the tooltip on it
  clientY: number;
  x: number; // in x-axis units
  tolerance: number; // HOVER_PX in x-axis units
  yPos: (y: number) => number; // where a y value is drawn, CSS px from the plot's top
}

export function formatX(xAxis: string, v: number): string {
  if (xAxis === "time") return fmtDate(v);
  if (xAxis === "relative_time") return fmtDuration(v);
  return fmtNum(v, 4);
}

export function LineChart({ series, names, colors, options, width, height, xRange, onZoom, label }: Props) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [hover, setHover] = useState<Hover | null>(null);
  const zoomTo = useEffectEvent(onZoom); // for uPlot's hooks, made once per plot
  const xMin = xRange?.[0] ?? null;
  const xMax = xRange?.[1] ?? null;
  const theme = useThemeName(); // axis and grid colours come from the theme: rebuild on change

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
      const color = colors(d.s.run);
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
    // The y range holds each bucket's min–max band, not only the means drawn as the line:
    // a spike the server kept as a bucket's max stays in view (and so visible).
    const bands =
      drawn.length <= MAX_BANDS
        ? yExtent(
            drawn.map((d) => d.s).filter((x) => x.sampled),
            true,
          )
        : null;
    const yRange: uPlot.Range.Function = (_u, lo, hi) => {
      const a = bands && Number.isFinite(lo) ? Math.min(lo, bands[0]) : (bands?.[0] ?? lo);
      const b = bands && Number.isFinite(hi) ? Math.max(hi, bands[1]) : (bands?.[1] ?? hi);
      return uPlot.rangeNum(a, b, 0.1, true);
    };
    const opts: uPlot.Options = {
      mode: 2,
      width,
      height,
      legend: { show: false },
      scales: {
        x:
          xMin !== null && xMax !== null
            ? { time: false, auto: false, range: () => [xMin, xMax] }
            : { time: false, auto: true },
        y: options.logY ? { distr: 3, log: 10 } : { auto: true, range: yRange },
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
              zoomTo([lo, hi]);
            }
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          },
        ],
        setCursor: [
          (u) => {
            const { left, top } = u.cursor;
            if (left === undefined || left < 0 || top === undefined || top < 0) return setHover(null);
            const box = u.over.getBoundingClientRect();
            const x = u.posToVal(left, "x");
            setHover({
              left,
              top,
              clientX: box.left + left,
              clientY: box.top + top,
              x,
              tolerance: Math.abs(u.posToVal(left + HOVER_PX, "x") - x),
              yPos: (y) => u.valToPos(y, "y"),
            });
          },
        ],
        drawAxes: [
          (u) =>
            drawBands(
              u,
              drawn.map((d) => d.s),
              options.logY,
              colors,
            ),
        ],
        draw: [
          (u) => {
            // the y range drawn (the tests read it)
            if (el.current) el.current.dataset.yRange = `${u.scales.y.min ?? ""},${u.scales.y.max ?? ""}`;
          },
          (u) =>
            drawMarkers(
              u,
              drawn.map((d) => d.s),
              colors,
            ),
        ],
      },
    };
    plot.current?.destroy();
    plot.current = new uPlot(opts, data as uPlot.AlignedData, el.current);
    el.current.dataset.axisStroke = fg; // what the axes were drawn with (the tests read it)
    const over = plot.current.over;
    const reset = () => zoomTo(null);
    over.addEventListener("dblclick", reset);
    return () => over.removeEventListener("dblclick", reset);
  }, [drawn, width, height, xMin, xMax, options.xAxis, options.logY, names, colors, theme]); // theme: colours read here

  useEffect(() => () => plot.current?.destroy(), []);

  const rows = useMemo(
    () =>
      hover
        ? hoverRows(
            drawn.map((d) => d.s),
            hover.x,
            hover.tolerance,
            drawn.map((d) => d.smooth),
          )
        : [],
    [hover, drawn],
  );
  // the run whose line passes closest to the pointer, if it is close
  let near: string | null = null;
  if (hover) {
    let best = NEAR_PX;
    for (const r of rows) {
      if (!Number.isFinite(r.y)) continue;
      const d = Math.abs(hover.yPos(r.y) - hover.top);
      if (d < best) {
        best = d;
        near = r.run;
      }
    }
  }

  // Keyboard: + / - zoom around the middle, ← / → pan, Esc or 0 resets the zoom.
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const u = plot.current;
    if (!u) return;
    const lo = u.scales.x.min ?? 0;
    const hi = u.scales.x.max ?? 0;
    const span = hi - lo;
    const mid = (lo + hi) / 2;
    let next: [number, number] | null | undefined;
    if (e.key === "+" || e.key === "=") next = [mid - span / 4, mid + span / 4];
    else if (e.key === "-" || e.key === "_") next = [mid - span, mid + span];
    else if (e.key === "ArrowLeft") next = [lo - span / 4, hi - span / 4];
    else if (e.key === "ArrowRight") next = [lo + span / 4, hi + span / 4];
    else if ((e.key === "Escape" || e.key === "0") && xRange) next = null;
    if (next === undefined || !(span > 0)) return;
    e.preventDefault();
    e.stopPropagation(); // Esc resets the zoom first; the next Esc closes a dialog
    onZoom(next);
  };

  return (
    <div
      className="line-chart"
      style={{ position: "relative" }}
      tabIndex={0}
      role="group"
      aria-label={`${label}: + and − zoom, ← and → pan, Esc resets the zoom`}
      onKeyDown={onKey}
      data-theme-drawn={theme}
    >
      <div ref={el} />
      {hover && rows.length > 0 && (
        <HoverTip hover={hover} rows={rows} near={near} names={names} colors={colors} xAxis={options.xAxis} />
      )}
    </div>
  );
}

const TIP_GAP = 16;
const TIP_MARGIN = 8;

/**
 * Every run's value at the hovered x, highest first, in a box that stays on the screen
 * (right of the pointer, or left when there is no room), at most half the window high
 * and scrolled so that the highlighted run (the line nearest the pointer) is in view.
 */
function HoverTip({
  hover,
  rows,
  near,
  names,
  colors,
  xAxis,
}: {
  hover: Hover;
  rows: HoverRow[];
  near: string | null;
  names: Record<string, string>;
  colors: (run: string) => string;
  xAxis: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const list = useRef<HTMLDivElement>(null);
  const [pos, setPos] = useState<{ left: number; top: number } | null>(null);
  useLayoutEffect(() => {
    const tip = box.current;
    if (!tip) return;
    const w = tip.offsetWidth;
    const h = tip.offsetHeight;
    const vw = document.documentElement.clientWidth;
    const vh = document.documentElement.clientHeight;
    let left = hover.clientX + TIP_GAP;
    if (left + w > vw - TIP_MARGIN) left = hover.clientX - TIP_GAP - w;
    left = Math.max(TIP_MARGIN, Math.min(left, vw - TIP_MARGIN - w));
    const top = Math.max(TIP_MARGIN, Math.min(hover.clientY - h / 2, vh - TIP_MARGIN - h));
    setPos((p) => (p && p.left === left && p.top === top ? p : { left, top }));
  }, [hover.clientX, hover.clientY, rows.length]);
  useLayoutEffect(() => {
    const l = list.current;
    const row = near === null ? null : l?.querySelector<HTMLElement>(`[data-run="${CSS.escape(near)}"]`);
    if (!l || !row) return;
    if (row.offsetTop < l.scrollTop) l.scrollTop = row.offsetTop;
    else if (row.offsetTop + row.offsetHeight > l.scrollTop + l.clientHeight)
      l.scrollTop = row.offsetTop + row.offsetHeight - l.clientHeight;
  }, [near, rows]);
  return (
    <div
      ref={box}
      className="tooltip chart-tooltip"
      style={{ position: "fixed", left: pos?.left ?? -9999, top: pos?.top ?? -9999 }}
      data-testid="chart-tooltip"
      data-rows={rows.length}
      aria-hidden="true"
    >
      <div className="muted tooltip-head">
        {xAxis}: {formatX(xAxis, hover.x)}
        {rows.length > 1 && <span> · {rows.length} runs</span>}
      </div>
      <div ref={list} className="tooltip-list">
        {rows.map((r) => (
          <div
            key={r.run}
            className={`tooltip-row${r.run === near ? " near" : ""}`}
            data-run={r.run}
            aria-current={r.run === near ? "true" : undefined}
          >
            <span className="swatch" style={{ background: colors(r.run) }} />
            <span className="tooltip-name">{names[r.run] ?? r.run}</span>
            <span className="num">{Number.isFinite(r.y) ? fmtNum(r.y, 5) : "–"}</span>
          </div>
        ))}
      </div>
    </div>
  );
}

function drawBands(u: uPlot, series: ChartSeries[], logY: boolean, colors: (run: string) => string): void {
  if (series.length > MAX_BANDS) return;
  const ctx = u.ctx;
  ctx.save();
  ctx.beginPath();
  ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
  ctx.clip();
  for (const s of series) {
    if (!s.sampled || s.x.length < 2) continue;
    ctx.fillStyle = withAlpha(colors(s.run), 0.13);
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

function drawMarkers(u: uPlot, series: ChartSeries[], colors: (run: string) => string): void {
  const ctx = u.ctx;
  const pr = uPlot.pxRatio;
  const { left, top, width, height } = u.bbox;
  ctx.save();
  ctx.font = `${11 * pr}px system-ui, sans-serif`;
  ctx.textAlign = "center";
  for (const s of series) {
    ctx.fillStyle = colors(s.run);
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
