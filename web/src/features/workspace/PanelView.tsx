// One panel of the workspace: its frame (title, settings, move, size, remove; drag its
// title bar onto another panel to move it there, drag its corner to resize it) and its
// body, drawn by the chart components the rest of the UI uses.
import { Suspense, lazy, useMemo, useRef, useState, type PointerEvent as ReactPointerEvent } from "react";
import { ErrorBox, Loading } from "../../components/States";
import type { ProjectKeys } from "../../lib/api";
import { BAND_KINDS } from "../analysis/bands";
import { BarPanel } from "./BarPanel";
import { LinePanel } from "./LinePanel";
import { MAX_H, MAX_RUN_LIMIT, MAX_W, MIN_H, panelTitle, type Panel } from "./model";
import { panelRunSet, useRunSet } from "./queries";

const ScatterPlot = lazy(() => import("../runs/ScatterPlot"));
const ParallelCoords = lazy(() => import("../runs/ParallelCoords"));
const MediaCompare = lazy(() => import("../media/MediaCompare"));
const MarkdownPanel = lazy(() => import("./MarkdownPanel"));

interface Props {
  project: string;
  panel: Panel;
  keys: ProjectKeys;
  filter: string; // the workspace's
  sort: string[];
  canEdit: boolean;
  onChange: (patch: Partial<Panel>) => void;
  onRemove: () => void;
  onMove: (delta: -1 | 1) => void;
  onDropPanel: (draggedId: string) => void;
  onResize: (w: number, h: number) => void;
  columnWidth: () => number; // px of one grid column (for resizing by drag)
}

export function PanelView(props: Props) {
  const { project, panel, keys, filter, sort, onChange, onRemove, onMove, onDropPanel, onResize } = props;
  const [editing, setEditing] = useState(false);
  const [over, setOver] = useState(false);
  const [preview, setPreview] = useState<{ w: number; h: number } | null>(null);
  const frame = useRef<HTMLElement>(null);
  const title = panelTitle(panel);
  const w = preview?.w ?? panel.w;
  const h = preview?.h ?? panel.h;

  const startResize = (e: ReactPointerEvent<HTMLSpanElement>) => {
    e.preventDefault();
    const el = frame.current;
    if (!el) return;
    const x0 = e.clientX;
    const y0 = e.clientY;
    const width0 = el.getBoundingClientRect().width;
    const col = Math.max(1, props.columnWidth());
    const h0 = panel.h;
    let last = { w: panel.w, h: panel.h };
    const move = (ev: PointerEvent) => {
      last = {
        w: Math.min(MAX_W, Math.max(1, Math.round((width0 + ev.clientX - x0) / col))),
        h: Math.min(MAX_H, Math.max(MIN_H, Math.round(h0 + ev.clientY - y0))),
      };
      setPreview(last);
    };
    const up = () => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      setPreview(null);
      onResize(last.w, last.h);
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  };

  return (
    <figure
      ref={frame}
      className={`ws-panel${over ? " drop-target" : ""}`}
      // the height a panel not yet drawn takes (content-visibility: auto skips far ones):
      // its fixed 30 px head and 4 px gap above the body
      style={{ gridColumn: `span ${w}`, containIntrinsicHeight: `auto ${h + 34}px` }}
      data-panel={panel.id}
      data-kind={panel.kind}
      data-w={w}
      data-h={h}
      aria-label={title}
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes("application/x-heron-panel")) {
          e.preventDefault();
          setOver(true);
        }
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        setOver(false);
        const id = e.dataTransfer.getData("application/x-heron-panel");
        if (id && id !== panel.id) {
          e.preventDefault();
          onDropPanel(id);
        }
      }}
    >
      <figcaption
        className="ws-panel-head"
        draggable={props.canEdit}
        onDragStart={(e) => {
          e.dataTransfer.setData("application/x-heron-panel", panel.id);
          e.dataTransfer.effectAllowed = "move";
        }}
      >
        <span className="chart-title" title={title}>
          {title}
        </span>
        <button
          className="ghost icon"
          aria-label={`Settings of ${title}`}
          aria-expanded={editing}
          onClick={() => setEditing(!editing)}
        >
          ⚙
        </button>
        <button className="ghost icon" aria-label={`Move ${title} earlier`} onClick={() => onMove(-1)}>
          ←
        </button>
        <button className="ghost icon" aria-label={`Move ${title} later`} onClick={() => onMove(1)}>
          →
        </button>
        <select
          aria-label={`Width of ${title}`}
          value={panel.w}
          onChange={(e) => onResize(Number(e.target.value), panel.h)}
        >
          <option value={1}>⅓</option>
          <option value={2}>⅔</option>
          <option value={3}>full</option>
        </select>
        <button className="ghost icon" aria-label={`Remove ${title}`} onClick={onRemove}>
          ✕
        </button>
      </figcaption>
      {editing && <PanelSettings panel={panel} keys={keys} onChange={onChange} />}
      <PanelBody
        project={project}
        panel={{ ...panel, h }}
        keys={keys}
        filter={filter}
        sort={sort}
        onChange={onChange}
      />
      <span
        className="ws-resize"
        role="separator"
        aria-label={`Resize ${title}`}
        title="Drag to resize"
        onPointerDown={startResize}
      />
    </figure>
  );
}

function PanelBody({
  project,
  panel,
  keys,
  filter,
  sort,
  onChange,
}: Pick<Props, "project" | "panel" | "keys" | "filter" | "sort" | "onChange">) {
  const args = panelRunSet(panel, filter, keys);
  const columnsKey = JSON.stringify(args.columns);
  const columns = useMemo(() => JSON.parse(columnsKey) as string[], [columnsKey]);
  const runs = useRunSet(project, args.where, sort, panel.runs.limit, columns, args.needed);
  if (panel.kind === "markdown")
    return (
      <Suspense fallback={<Loading what="notes" />}>
        <MarkdownPanel text={panel.text} onChange={(text) => onChange({ text })} />
      </Suspense>
    );
  if (panel.kind === "scatter" || panel.kind === "parallel")
    return (
      <div className="ws-plot">
        <Suspense fallback={<Loading what="plot" />}>
          {panel.kind === "scatter" ? (
            <ScatterPlot
              project={project}
              filter={args.where}
              keys={keys}
              x={panel.keys[0] ?? ""}
              y={panel.keys[1] ?? ""}
              onChange={(x, y) => onChange({ keys: [x, y] })}
            />
          ) : (
            <ParallelCoords
              project={project}
              filter={args.where}
              keys={keys}
              axes={panel.keys.filter((k) => !k.startsWith("metrics."))}
              metric={panel.keys.find((k) => k.startsWith("metrics.")) ?? ""}
              brushes={[]}
              onAxes={(axes, metric) => onChange({ keys: metric ? [...axes, metric] : axes })}
              onBrushes={() => undefined}
            />
          )}
        </Suspense>
      </div>
    );
  if (runs.error) return <ErrorBox error={runs.error} retry={() => void runs.refetch()} />;
  if (!runs.data) return <div className="chart-skeleton" style={{ height: panel.h }} aria-label="loading runs" />;
  if (panel.kind === "bar") return <BarPanel panel={panel} runs={runs.data} />;
  if (panel.kind === "media")
    return (
      <Suspense fallback={<Loading what="media" />}>
        <div className="ws-media" style={{ maxHeight: panel.h * 2, overflowY: "auto" }}>
          <MediaCompare runs={runs.data.slice(0, 8).map((r) => ({ id: r.id, name: r.name }))} />
        </div>
      </Suspense>
    );
  return <LinePanel panel={panel} runs={runs.data} />;
}

/** The panel's own settings: title, keys, x axis, smoothing, log scale, runs, groups. */
function PanelSettings({
  panel,
  keys,
  onChange,
}: {
  panel: Panel;
  keys: ProjectKeys;
  onChange: (patch: Partial<Panel>) => void;
}) {
  const title = panelTitle(panel);
  const choices =
    panel.kind === "line"
      ? keys.metrics
      : [...keys.metrics.map((k) => `metrics.${k}`), ...keys.config.map((k) => `config.${k}`)];
  const [runFilter, setRunFilter] = useState(panel.runs.filter);
  return (
    <div className="ws-settings" role="group" aria-label={`${title} settings`}>
      <label>
        Title{" "}
        <input
          aria-label="Panel title"
          value={panel.title}
          placeholder={title}
          maxLength={128}
          onChange={(e) => onChange({ title: e.target.value })}
        />
      </label>
      {panel.kind !== "markdown" && panel.kind !== "media" && (
        <label>
          Keys{" "}
          <select
            multiple
            aria-label="Panel keys"
            value={panel.keys}
            size={Math.min(6, Math.max(2, choices.length))}
            onChange={(e) => onChange({ keys: [...e.target.selectedOptions].map((o) => o.value) })}
          >
            {choices.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
      )}
      {panel.kind === "line" && (
        <>
          <label>
            X axis{" "}
            <select aria-label="Panel x axis" value={panel.xAxis} onChange={(e) => onChange({ xAxis: e.target.value })}>
              <option value="step">step</option>
              <option value="time">wall time</option>
              <option value="relative_time">relative time</option>
              {keys.metrics.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </label>
          <label>
            <input type="checkbox" checked={panel.logY} onChange={(e) => onChange({ logY: e.target.checked })} /> log y
          </label>
          <label>
            Smoothing{" "}
            <select
              aria-label="Panel smoothing kind"
              value={panel.smoothKind}
              onChange={(e) => onChange({ smoothKind: e.target.value === "avg" ? "avg" : "ema", smoothing: 0 })}
            >
              <option value="ema">EMA</option>
              <option value="avg">running avg</option>
            </select>
          </label>
          <input
            type="range"
            aria-label="Panel smoothing"
            min={0}
            max={panel.smoothKind === "ema" ? 0.99 : 200}
            step={panel.smoothKind === "ema" ? 0.01 : 1}
            value={panel.smoothing}
            onChange={(e) => onChange({ smoothing: Number(e.target.value) })}
          />
        </>
      )}
      {(panel.kind === "line" || panel.kind === "bar") && (
        <>
          <label>
            Groups{" "}
            <select
              aria-label="Panel groups"
              value={panel.band}
              onChange={(e) => onChange({ band: e.target.value as Panel["band"] })}
            >
              <option value="">every run</option>
              {BAND_KINDS.map((b) => (
                <option key={b.id} value={b.id}>
                  {b.label}
                </option>
              ))}
            </select>
          </label>
          <label title="Runs whose config differs only in these keys form a group">
            Group over{" "}
            <input
              aria-label="Panel group over"
              value={panel.groupBy.join(", ")}
              onChange={(e) =>
                onChange({
                  groupBy: e.target.value
                    .split(",")
                    .map((s) => s.trim())
                    .filter(Boolean),
                })
              }
            />
          </label>
        </>
      )}
      {panel.kind !== "markdown" && (
        <>
          <label title="A filter clause added to the workspace's (docs/query.md)">
            Runs{" "}
            <input
              aria-label="Panel runs filter"
              placeholder="e.g. config.lr < 0.01"
              value={runFilter}
              onChange={(e) => setRunFilter(e.target.value)}
              onBlur={() => onChange({ runs: { ...panel.runs, filter: runFilter } })}
              onKeyDown={(e) => e.key === "Enter" && onChange({ runs: { ...panel.runs, filter: runFilter } })}
            />
          </label>
          <label>
            at most{" "}
            <input
              type="number"
              aria-label="Panel run limit"
              min={1}
              max={MAX_RUN_LIMIT}
              value={panel.runs.limit}
              onChange={(e) =>
                onChange({
                  runs: { ...panel.runs, limit: Math.min(MAX_RUN_LIMIT, Math.max(1, Number(e.target.value) || 1)) },
                })
              }
            />
          </label>
        </>
      )}
    </div>
  );
}
