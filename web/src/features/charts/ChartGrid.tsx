// Every metric of some runs as charts, grouped by namespace (the part before the first
// "/"), with the shared settings bar: x axis, log scale, smoothing, a key search, and
// zoom (drag; double-click resets) that applies to every chart. All in the URL, the
// enlarged chart included. The runs shown together get distinct colours (runColors).
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { Empty, ErrorBox, Swatch } from "../../components/States";
import { useWidth } from "../../lib/canvas";
import { runColor, runColors } from "../../lib/colors";
import type { SetUrlState } from "../../lib/urlState";
import { useSeries } from "./queries";
import type { SmoothingKind } from "./smoothing";
import type { ChartState, chartSchema } from "./state";
import "./charts.css";
import { LineChart, type ChartOptions } from "./LineChart";
import { BAND_KINDS, groupSeries, type BandKind, type RunGroup } from "../analysis/bands";

export interface ChartRun {
  id: string;
  name: string;
}

interface Props {
  runs: ChartRun[];
  keys: string[];
  state: ChartState;
  set: SetUrlState<typeof chartSchema>;
  xAxisChoices: string[];
  title?: string;
  /** Seed groups: with two runs or more in one, the settings offer their mean and band. */
  groups?: RunGroup[];
}

/** The x axes every chart offers; `xAxisChoices` adds metrics. */
export const BASE_X_AXES = ["step", "time", "relative_time"];

export function namespaceOf(key: string): string {
  const i = key.indexOf("/");
  return i < 0 ? "" : key.slice(0, i);
}

export function ChartGrid({ runs, keys, state, set, xAxisChoices, title, groups }: Props) {
  const q = state.chartFilter.trim().toLowerCase();
  const shownKeys = useMemo(() => keys.filter((k) => k.toLowerCase().includes(q)), [keys, q]);
  const sections = useMemo(() => {
    const m = new Map<string, string[]>();
    for (const k of shownKeys) {
      const ns = namespaceOf(k);
      if (!m.has(ns)) m.set(ns, []);
      m.get(ns)!.push(k);
    }
    return [...m.entries()].sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1));
  }, [shownKeys]);
  const hidden = new Set(state.hidden);
  const visibleRuns = useMemo(() => runs.filter((r) => !state.hidden.includes(r.id)), [runs, state.hidden]);
  // Colours of the whole set (hidden runs included, so hiding one changes no colour).
  const idsKey = runs.map((r) => r.id).join(",");
  const palette = useMemo(() => runColors(idsKey ? idsKey.split(",") : []), [idsKey]);
  const colors = useCallback((id: string) => palette.get(id) ?? runColor(id), [palette]);
  // An x axis these charts cannot use (a metric chosen on another tab, say the System
  // tab of a run) falls back to step, with a note; the choice stays in the URL.
  const xValid = BASE_X_AXES.includes(state.xAxis) || xAxisChoices.includes(state.xAxis);
  const xAxis = xValid ? state.xAxis : "step";
  const xRange: [number, number] | null =
    xValid && Number.isFinite(state.xMin) && Number.isFinite(state.xMax) ? [state.xMin, state.xMax] : null;
  const options: ChartOptions = {
    xAxis,
    logY: state.logY,
    smoothing: state.smoothing,
    smoothKind: state.smoothKind === "avg" ? "avg" : "ema",
  };
  const enlarged = state.enlarged && keys.includes(state.enlarged) ? state.enlarged : null;
  const grid = useRef<HTMLDivElement>(null);
  const onZoom = (r: [number, number] | null) =>
    set({ xMin: r ? r[0] : Number.NaN, xMax: r ? r[1] : Number.NaN }, { replace: true });
  const closeEnlarged = () => {
    // Close the dialog now, which lifts the page's inertness, so that the focus can go
    // back to the chart's ⤢ button (also when the dialog came from a link); then the URL.
    grid.current?.querySelector<HTMLDialogElement>("dialog.chart-dialog")?.close();
    grid.current
      ?.querySelector<HTMLElement>(`figure[data-metric="${CSS.escape(enlarged ?? "")}"] button.enlarge`)
      ?.focus();
    set({ enlarged: "" }, { replace: true });
  };
  const grouped = groups?.some((g) => g.runIds.length > 1) ? groups : undefined;
  const band = grouped && BAND_KINDS.some((b) => b.id === state.band) ? (state.band as BandKind) : null;
  const bands = band && grouped ? { kind: band, groups: grouped } : undefined;
  const panel = { runs: visibleRuns, colors, options, xRange, onZoom, bands }; // every chart's

  return (
    <div className="chart-grid" data-view="charts" ref={grid}>
      <ChartSettings
        state={state}
        set={set}
        xAxis={xAxis}
        xAxisChoices={xAxisChoices}
        zoomed={xRange !== null}
        title={title}
        grouped={!!grouped}
      />
      {!xValid && (
        <div className="muted small chart-note" role="note" data-testid="x-axis-note">
          These charts are shown against step: {state.xAxis} is not logged alongside them.
        </div>
      )}
      {runs.length > 1 && (
        <div className="legend" aria-label="Runs (click to show or hide)">
          {runs.map((r) => (
            <button
              key={r.id}
              className={`legend-item${hidden.has(r.id) ? " off" : ""}`}
              aria-pressed={!hidden.has(r.id)}
              onClick={() =>
                set({ hidden: hidden.has(r.id) ? state.hidden.filter((x) => x !== r.id) : [...state.hidden, r.id] })
              }
              data-run-id={r.id}
              data-color={colors(r.id)}
            >
              <Swatch color={colors(r.id)} /> {r.name}
            </button>
          ))}
        </div>
      )}
      {keys.length === 0 ? (
        <Empty title="No metrics logged yet">Charts appear as soon as the run logs with run.log(...).</Empty>
      ) : shownKeys.length === 0 ? (
        <Empty title={`No metric matches “${state.chartFilter}”`} />
      ) : (
        sections.map(([ns, ks]) => (
          <details key={ns} open className="chart-section" data-namespace={ns}>
            <summary>
              {ns || "metrics"} <span className="muted">({ks.length})</span>
            </summary>
            <div className="charts">
              {ks.map((k) => (
                <ChartPanel key={k} metric={k} {...panel} onEnlarge={() => set({ enlarged: k })} />
              ))}
            </div>
          </details>
        ))
      )}
      {enlarged && (
        <EnlargedChart metric={enlarged} onClose={closeEnlarged}>
          <ChartPanel metric={enlarged} {...panel} large onEnlarge={closeEnlarged} />
        </EnlargedChart>
      )}
    </div>
  );
}

/**
 * A modal <dialog>: it takes the focus (on its close button) and keeps it inside; Esc
 * or a click on the backdrop closes it. (Esc on a zoomed chart resets the zoom first.)
 */
function EnlargedChart({ metric, onClose, children }: { metric: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      className="chart-dialog"
      aria-label={`${metric} enlarged`}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onClick={(e) => e.target === e.currentTarget && onClose()}
    >
      {children}
    </dialog>
  );
}

function ChartSettings({
  state,
  set,
  xAxis,
  xAxisChoices,
  zoomed,
  title,
  grouped,
}: {
  state: ChartState;
  set: SetUrlState<typeof chartSchema>;
  xAxis: string; // the one in effect
  xAxisChoices: string[];
  zoomed: boolean;
  title?: string;
  grouped: boolean;
}) {
  const kind: SmoothingKind = state.smoothKind === "avg" ? "avg" : "ema";
  return (
    <div className="chart-settings" role="toolbar" aria-label="Chart settings">
      {title && <strong>{title}</strong>}
      <input
        type="search"
        placeholder="Search metrics"
        aria-label="Search metrics"
        value={state.chartFilter}
        onChange={(e) => set({ chartFilter: e.target.value }, { replace: true })}
      />
      <label>
        X axis{" "}
        <select
          aria-label="X axis"
          value={xAxis}
          onChange={(e) => set({ xAxis: e.target.value, xMin: Number.NaN, xMax: Number.NaN })}
        >
          <option value="step">step</option>
          <option value="time">wall time</option>
          <option value="relative_time">relative time</option>
          {xAxisChoices.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
      </label>
      <label>
        <input type="checkbox" checked={state.logY} onChange={(e) => set({ logY: e.target.checked })} /> log y
      </label>
      <label>
        Smoothing{" "}
        <select
          aria-label="Smoothing kind"
          value={kind}
          onChange={(e) => set({ smoothKind: e.target.value, smoothing: 0 })}
        >
          <option value="ema">EMA</option>
          <option value="avg">running avg</option>
        </select>
      </label>
      <input
        type="range"
        aria-label={kind === "ema" ? "EMA weight" : "Window"}
        min={0}
        max={kind === "ema" ? 0.99 : 200}
        step={kind === "ema" ? 0.01 : 1}
        value={state.smoothing}
        onChange={(e) => set({ smoothing: Number(e.target.value) }, { replace: true })}
      />
      <span className="num muted smoothing-value">{kind === "ema" ? state.smoothing.toFixed(2) : state.smoothing}</span>
      {grouped && (
        <label>
          Seeds{" "}
          <select aria-label="Seed groups" value={state.band} onChange={(e) => set({ band: e.target.value })}>
            <option value="">every run</option>
            {BAND_KINDS.map((b) => (
              <option key={b.id} value={b.id}>
                {b.label}
              </option>
            ))}
          </select>
        </label>
      )}
      {zoomed && (
        <button className="ghost" onClick={() => set({ xMin: Number.NaN, xMax: Number.NaN })}>
          Reset zoom
        </button>
      )}
      <span className="muted hint">drag to zoom · double-click or Esc (on a focused chart) resets</span>
    </div>
  );
}

interface PanelProps {
  metric: string;
  runs: ChartRun[];
  colors: (run: string) => string;
  options: ChartOptions;
  xRange: [number, number] | null;
  onZoom: (r: [number, number] | null) => void;
  onEnlarge: () => void;
  large?: boolean;
  bands?: { kind: BandKind; groups: RunGroup[] };
}

/** One chart: fetched when it first scrolls into view, refetched on zoom and live updates. */
export function ChartPanel({ metric, runs, colors, options, xRange, onZoom, onEnlarge, large, bands }: PanelProps) {
  const box = useRef<HTMLDivElement>(null);
  const width = useWidth(box, large ? 1000 : 460);
  const [seen, setSeen] = useState(!!large);
  useEffect(() => {
    if (seen || !box.current) return;
    const io = new IntersectionObserver(([e]) => e.isIntersecting && setSeen(true), { rootMargin: "300px" });
    io.observe(box.current);
    return () => io.disconnect();
  }, [seen]);
  const buckets = Math.max(200, Math.min(2000, Math.round(width * (large ? 1.5 : 1))));
  const res = useSeries(
    {
      runs: runs.map((r) => r.id),
      keys: [metric],
      x_axis: options.xAxis,
      buckets,
      x_min: xRange?.[0] ?? null,
      x_max: xRange?.[1] ?? null,
    },
    seen && runs.length > 0,
  );
  const names = useMemo(
    () => Object.fromEntries([...runs.map((r) => [r.id, r.name]), ...(bands?.groups ?? []).map((g) => [g.id, g.name])]),
    [runs, bands],
  );
  // every run hidden: nothing to draw (not the last answer, which showed them)
  const shown = runs.length > 0;
  const data = useMemo(() => {
    if (!shown) return [];
    const drawn = res.data?.filter((s) => s.x.length > 0 || s.markers.length > 0) ?? null;
    return drawn && bands ? groupSeries(drawn, bands.groups, bands.kind) : drawn; // seed groups: mean + band
  }, [shown, res.data, bands]);
  const points = data?.reduce((n, s) => n + s.x.length, 0) ?? 0;
  const logged = data?.reduce((n, s) => n + s.total, 0) ?? 0;
  const markers = data?.reduce((n, s) => n + s.markers.length, 0) ?? 0;
  return (
    <figure
      className={`chart-panel${large ? " large" : ""}`}
      data-metric={metric}
      data-loaded={data ? "1" : "0"}
      data-series={data?.length ?? 0}
      data-points={points}
      data-logged={logged}
      data-nonfinite={markers}
      data-sampled={data?.some((s) => s.sampled) ? "1" : "0"}
      data-band={bands?.kind ?? ""}
      data-drawn={data?.map((s) => names[s.run] ?? s.run).join("|") ?? ""}
    >
      <figcaption>
        <span className="chart-title" title={metric}>
          {metric}
        </span>
        {data && data.some((s) => s.sampled) && (
          <span className="muted small" title="Each point is a bucket's mean; the band is its min–max">
            {points.toLocaleString("en-US")} of {logged.toLocaleString("en-US")} pts
          </span>
        )}
        {markers > 0 && (
          <span className="nonfinite small" title="NaN / ±inf points, marked on the chart edges">
            {markers} non-finite
          </span>
        )}
        <button
          className={`ghost icon ${large ? "close" : "enlarge"}`}
          onClick={onEnlarge}
          aria-label={large ? "Close" : `Enlarge ${metric}`}
          aria-haspopup={large ? undefined : "dialog"}
        >
          {large ? "✕" : "⤢"}
        </button>
      </figcaption>
      <div ref={box} className="chart-body" style={{ minHeight: large ? 480 : 220 }}>
        {res.error ? (
          <ErrorBox error={res.error} retry={() => void res.refetch()} />
        ) : !data ? (
          <div className="chart-skeleton" aria-label="loading chart" />
        ) : data.length === 0 ? (
          <Empty title="No points in this range" />
        ) : (
          <LineChart
            series={data}
            names={names}
            colors={colors}
            label={`Chart of ${metric}`}
            options={options}
            width={width}
            height={large ? 480 : 220}
            xRange={xRange}
            onZoom={onZoom}
          />
        )}
      </div>
    </figure>
  );
}
