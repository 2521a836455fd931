// Parallel coordinates over chosen config keys and one metric, drawn on canvas. Drag
// along an axis to brush a range (a number axis) or some values (a category axis, such
// as a string-valued config key): the brushes become filter clauses (`key >= a and
// key <= b`, `key in (...)`), so they filter the runs table (server-side) and travel in
// the URL. Lines take the runs' colours, or a colour scale over a chosen metric or
// config value (viridis, with a legend); each number axis can be drawn on a log scale.
import { useEffect, useMemo, useRef, useState, type PointerEvent } from "react";
import { Empty, ErrorBox, Loading } from "../../components/States";
import type { ProjectKeys } from "../../lib/api";
import { setupCanvas, themeColor, useWidth } from "../../lib/canvas";
import { runColor, withAlpha } from "../../lib/colors";
import { brushHolds } from "./filter";
import { columnLabel, fmtNum } from "../../lib/format";
import { useThemeName } from "../../lib/theme";
import { useRunRows } from "./queries";
import {
  canLog,
  categoriesBetween,
  categoryLabel,
  colorAt,
  colorGradient,
  logTicks,
  makeAxis,
  niceTicks,
  type Axis,
} from "./scale";
import type { Brush } from "./state";
import { KeySelect, columnChoices, defaultMetric, nothingToShow } from "./PlotControls";

const HEIGHT = 320;
const PAD = { top: 28, bottom: 28, left: 60, right: 60 };

interface Props {
  project: string;
  filter: string;
  keys: ProjectKeys;
  axes: string[];
  metric: string;
  brushes: Brush[];
  onAxes: (axes: string[], metric: string) => void;
  onBrushes: (b: Brush[]) => void;
  colorBy?: string; // a column whose value colours the lines ("" or none: the runs' colours)
  logAxes?: string[]; // columns drawn on a log scale
  onColor?: (key: string) => void;
  onLog?: (keys: string[]) => void;
}

const yOf = (t: number) => PAD.top + (1 - t) * (HEIGHT - PAD.top - PAD.bottom);
const tOf = (y: number) => 1 - (y - PAD.top) / (HEIGHT - PAD.top - PAD.bottom);

/** Whether a run's cells lie in every brush. */
const inBrushes = (brushes: Map<string, Brush>, cells: Record<string, unknown>) =>
  [...brushes.values()].every((b) => brushHolds(b, cells[b.key]));

const NO_LOG: string[] = [];

export default function ParallelCoords(props: Props) {
  const { project, filter, keys, axes, metric, brushes, onAxes, onBrushes } = props;
  const { colorBy = "", logAxes = NO_LOG, onColor, onLog } = props;
  const configChoices = columnChoices(keys, ["config"]);
  const metricChoices = columnChoices(keys, ["metrics"]);
  const chosen = axes.length ? axes : configChoices.slice(0, 4);
  const target = metric || defaultMetric(metricChoices);
  const columnsKey = JSON.stringify(target ? [...chosen, target] : chosen);
  const all = useMemo(() => JSON.parse(columnsKey) as string[], [columnsKey]); // one array per pick
  const fetched = useMemo(() => (colorBy && !all.includes(colorBy) ? [...all, colorBy] : all), [all, colorBy]);

  const res = useRunRows(project, filter, fetched);
  const rows = res.data;
  const box = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const width = useWidth(box);
  const [drag, setDrag] = useState<{ axis: number; y0: number; y1: number } | null>(null);
  const theme = useThemeName();

  const axisObjs = useMemo(
    () =>
      rows
        ? all.map((k) =>
            makeAxis(
              k,
              rows.map((r) => r.cells[k] ?? null),
              logAxes.includes(k),
            ),
          )
        : [],
    [rows, all, logAxes],
  );
  const colorAxis = useMemo(
    () =>
      rows && colorBy
        ? makeAxis(
            colorBy,
            rows.map((r) => r.cells[colorBy] ?? null),
            logAxes.includes(colorBy),
          )
        : null,
    [rows, colorBy, logAxes],
  );
  const xs = useMemo(() => {
    const n = axisObjs.length;
    const inner = width - PAD.left - PAD.right;
    return axisObjs.map((_, i) => PAD.left + (n <= 1 ? inner / 2 : (inner * i) / (n - 1)));
  }, [axisObjs, width]);

  const brushMap = useMemo(() => new Map(brushes.map((b) => [b.key, b])), [brushes]);
  const highlighted = rows ? rows.filter((r) => inBrushes(brushMap, r.cells)).length : 0;

  useEffect(() => {
    if (!canvas.current || !rows) return;
    const ctx = setupCanvas(canvas.current, width, HEIGHT);
    const fg = themeColor("--fg", "#222");
    const muted = themeColor("--muted", "#888");
    const faint = themeColor("--line-faint", "#ccc");
    const brushColor = themeColor("--brush", "#2563eb");
    const bg = themeColor("--panel", "#fff"); // the panel the canvas sits on
    const labelBoxes: number[][] = [];
    ctx.clearRect(0, 0, width, HEIGHT);
    // lines: brushed-out runs first and faint, the rest in their colours on top
    const drawLine = (cells: Record<string, unknown>, color: string) => {
      ctx.strokeStyle = color;
      ctx.beginPath();
      let pen = false;
      axisObjs.forEach((a, i) => {
        const t = a.norm(cells[a.key]);
        if (t === null) {
          pen = false;
          return;
        }
        if (pen) ctx.lineTo(xs[i], yOf(t));
        else ctx.moveTo(xs[i], yOf(t));
        pen = true;
      });
      ctx.stroke();
    };
    ctx.lineWidth = 1;
    const alpha = rows.length > 2000 ? 0.25 : rows.length > 300 ? 0.5 : 0.85;
    const on = rows.filter((r) => inBrushes(brushMap, r.cells));
    if (on.length < rows.length) for (const r of rows) if (!inBrushes(brushMap, r.cells)) drawLine(r.cells, faint);
    const none = themeColor("--muted", "#888"); // a run without the colour key's value
    const lineColor = (id: string, cells: Record<string, unknown>) => {
      if (!colorAxis) return runColor(id);
      const t = colorAxis.norm(cells[colorAxis.key]);
      return t === null ? none : colorAt(t);
    };
    for (const r of on) drawLine(r.cells, withAlpha(lineColor(r.id, r.cells), alpha));
    // axes, ticks, brushes
    ctx.font = "11px system-ui, sans-serif";
    axisObjs.forEach((a, i) => {
      const x = xs[i];
      ctx.strokeStyle = fg;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(x, yOf(0));
      ctx.lineTo(x, yOf(1));
      ctx.stroke();
      ctx.fillStyle = fg;
      ctx.textAlign = "center";
      ctx.fillText(columnLabel(a.key), x, 14, 140);
      ctx.fillStyle = muted;
      ctx.textAlign = "right";
      const ticks: [number, string][] =
        a.kind === "number"
          ? (a.log ? logTicks(a.lo, a.hi) : niceTicks(a.lo, a.hi, 5)).map((v) => [a.norm(v) ?? 0, fmtNum(v, 3)])
          : a.categories.map((c, j, arr) => [arr.length === 1 ? 0.5 : j / (arr.length - 1), c]);
      for (const [t, label] of ticks) {
        // on a backing of the page's colour: the labels sit where the lines run
        const w = Math.min(ctx.measureText(label).width, PAD.left - 8);
        const box = [Math.round(x - 7 - w), Math.round(yOf(t) - 7), Math.round(w + 4), 14];
        ctx.fillStyle = bg;
        ctx.fillRect(box[0], box[1], box[2], box[3]);
        labelBoxes.push(box);
        ctx.fillStyle = muted;
        ctx.fillText(label, x - 5, yOf(t) + 4, PAD.left - 8);
        ctx.fillRect(x - 3, yOf(t), 3, 1);
      }
      const b = brushMap.get(a.key);
      const mark = (y0: number, y1: number) => {
        ctx.fillStyle = withAlpha(brushColor, 0.25);
        ctx.fillRect(x - 7, y0, 14, y1 - y0);
        ctx.strokeStyle = brushColor;
        ctx.strokeRect(x - 7, y0, 14, y1 - y0);
      };
      if (b && !b.values && a.kind === "number") {
        mark(yOf(a.norm(b.hi) ?? 1), yOf(a.norm(b.lo) ?? 0));
      } else if (b?.values && a.kind === "category") {
        const picked = new Set(b.values.map(categoryLabel));
        a.categories.forEach((c, j, arr) => {
          if (!picked.has(c)) return;
          const y = yOf(arr.length === 1 ? 0.5 : j / (arr.length - 1));
          mark(y - 6, y + 6);
        });
      }
    });
    canvas.current.dataset.labelBoxes = JSON.stringify(labelBoxes); // the tests read it
    if (drag) {
      ctx.fillStyle = withAlpha(brushColor, 0.2);
      ctx.fillRect(xs[drag.axis] - 7, Math.min(drag.y0, drag.y1), 14, Math.abs(drag.y1 - drag.y0));
    }
  }, [rows, axisObjs, colorAxis, xs, width, brushMap, drag, theme]); // theme: its colours are read when drawing

  const axisAt = (x: number): number => {
    let best = -1;
    xs.forEach((ax, i) => {
      if (Math.abs(ax - x) < 24 && (best < 0 || Math.abs(ax - x) < Math.abs(xs[best] - x))) best = i;
    });
    return best;
  };
  const local = (e: PointerEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };
  const onDown = (e: PointerEvent<HTMLCanvasElement>) => {
    const p = local(e);
    const i = axisAt(p.x);
    if (i < 0) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    setDrag({ axis: i, y0: p.y, y1: p.y });
  };
  const onMove = (e: PointerEvent<HTMLCanvasElement>) => drag && setDrag({ ...drag, y1: local(e).y });
  const onUp = () => {
    if (!drag) return;
    const a: Axis = axisObjs[drag.axis];
    const rest = brushes.filter((b) => b.key !== a.key);
    const clamp = (t: number) => Math.max(0, Math.min(1, t));
    if (Math.abs(drag.y1 - drag.y0) < 3)
      onBrushes(rest); // a click clears the axis's brush
    else if (a.kind === "category") {
      // the values whose ticks the drag covered (with a little slack around each tick)
      const slack = 6 / (HEIGHT - PAD.top - PAD.bottom);
      const values = categoriesBetween(
        a,
        clamp(tOf(Math.max(drag.y0, drag.y1))) - slack,
        clamp(tOf(Math.min(drag.y0, drag.y1))) + slack,
      );
      onBrushes(values.length ? [...rest, { key: a.key, lo: Number.NaN, hi: Number.NaN, values }] : rest);
    } else {
      const lo = a.denorm(clamp(tOf(Math.max(drag.y0, drag.y1))));
      const hi = a.denorm(clamp(tOf(Math.min(drag.y0, drag.y1))));
      onBrushes([...rest, { key: a.key, lo: Number(lo.toPrecision(6)), hi: Number(hi.toPrecision(6)) }]);
    }
    setDrag(null);
  };

  const removeAxis = (k: string) =>
    onAxes(
      chosen.filter((x) => x !== k),
      target,
    );
  return (
    <div className="plot-panel" data-view="parallel">
      <div className="plot-controls">
        <span className="muted">Axes:</span>
        {chosen.map((k) => (
          <span key={k} className="chip on">
            {columnLabel(k)}
            {onLog && <LogToggle column={k} rows={rows} logAxes={logAxes} onLog={onLog} />}
            <button className="chip-x" aria-label={`Remove axis ${k}`} onClick={() => removeAxis(k)}>
              ×
            </button>
          </span>
        ))}
        <KeySelect
          label="Add axis"
          value=""
          placeholder="+ config key"
          choices={configChoices.filter((c) => !chosen.includes(c))}
          onChange={(k) => k && onAxes([...chosen, k], target)}
        />
        <KeySelect label="Metric" value={target} choices={metricChoices} onChange={(m) => onAxes(chosen, m)} />
        {onLog && target && <LogToggle column={target} rows={rows} logAxes={logAxes} onLog={onLog} />}
        {onColor && (
          <KeySelect
            label="Colour by"
            value={colorBy}
            placeholder="run colours"
            choices={[...metricChoices, ...configChoices]}
            onChange={onColor}
          />
        )}
        <span className="muted">Drag along an axis to brush a range or some values; click it to clear.</span>
      </div>
      {colorAxis && <ColorLegend axis={colorAxis} />}
      <div ref={box} className="plot-box">
        {res.error ? (
          <ErrorBox error={res.error} retry={() => void res.refetch()} />
        ) : !res.data ? (
          <Loading what="runs" />
        ) : all.length === 0 ? (
          <Empty title="Nothing to plot">This project has no config values or metrics yet.</Empty>
        ) : nothingToShow(res.data, all) !== null ? (
          <Empty title="Nothing to plot">
            <span data-testid="plot-empty-reason">{nothingToShow(res.data, all)}</span>
          </Empty>
        ) : (
          <canvas
            ref={canvas}
            data-testid="parallel-canvas"
            data-lines={res.data.length}
            data-highlighted={highlighted}
            data-axes={axisObjs.length}
            data-log-axes={axisObjs
              .filter((a) => a.log)
              .map((a) => a.key)
              .join(" ")}
            data-color-by={colorAxis?.key ?? ""}
            role="img"
            aria-label={`Parallel coordinates of ${res.data.length} runs over ${all.join(", ")}`}
            onPointerDown={onDown}
            onPointerMove={onMove}
            onPointerUp={onUp}
            style={{ touchAction: "none", cursor: "crosshair" }}
          />
        )}
      </div>
    </div>
  );
}

/** "log" on a number axis's chip: draws the axis on a log scale (values above zero only). */
function LogToggle(props: {
  column: string;
  rows: { cells: Record<string, unknown> }[] | undefined;
  logAxes: string[];
  onLog: (keys: string[]) => void;
}) {
  const { column, rows, logAxes, onLog } = props;
  const on = logAxes.includes(column);
  const possible = !rows || canLog(rows.map((r) => r.cells[column] ?? null));
  if (!possible && !on) return null;
  return (
    <button
      className={`chip-log${on ? " on" : ""}`}
      aria-pressed={on}
      aria-label={`Log scale for ${column}`}
      title={possible ? "Log scale" : "A log scale needs values above zero: this axis stays linear"}
      onClick={() => onLog(on ? logAxes.filter((k) => k !== column) : [...logAxes, column])}
    >
      log
    </button>
  );
}

/** The colour scale's legend: the key, its lowest and highest value (or its categories). */
function ColorLegend({ axis }: { axis: Axis }) {
  if (axis.kind === "category")
    return (
      <div className="color-legend" data-testid="pc-legend">
        <span className="muted">Colour: {axis.key}</span>
        {axis.categories.slice(0, 12).map((c, i, arr) => (
          <span key={c} className="legend-item">
            <span className="swatch" style={{ background: colorAt(arr.length === 1 ? 0.5 : i / (arr.length - 1)) }} />
            {c}
          </span>
        ))}
      </div>
    );
  return (
    <div className="color-legend" data-testid="pc-legend">
      <span className="muted">
        Colour: {axis.key}
        {axis.log ? " (log)" : ""}
      </span>
      <span data-testid="pc-legend-lo">{fmtNum(axis.lo, 3)}</span>
      <span className="legend-bar" style={{ background: colorGradient() }} />
      <span data-testid="pc-legend-hi">{fmtNum(axis.hi, 3)}</span>
    </div>
  );
}
