// A project's runs: filter, sort, columns, grouping, selection, plots; all in the URL.
import { Suspense, lazy, useCallback, useEffect, useMemo, useState } from "react";
import { useParams } from "react-router";
import { Loading } from "../components/States";
import { ApiError, api } from "../lib/api";
import { brushLabel, effectiveFilter } from "../lib/filter";
import { useAsync, useLiveEvents, useUrlState } from "../lib/hooks";
import { usePagedRows } from "../lib/rows";
import { decodeBrush, encodeBrush, runsSchema, type Brush } from "../lib/urlState";
import { BulkBar } from "./BulkBar";
import { ColumnPicker } from "./ColumnPicker";
import { FIXED_COLUMNS, dataColumn, defaultColumns, nextSort } from "./columns";
import { FilterBar } from "./FilterBar";
import { GroupView } from "./GroupView";
import { RunsTable } from "./RunsTable";

// canvas plots: loaded when first shown
const ParallelCoords = lazy(() => import("./ParallelCoords"));
const ScatterPlot = lazy(() => import("./ScatterPlot"));

const VIEWS = [
  ["table", "Table"],
  ["parallel", "Parallel coordinates"],
  ["scatter", "Scatter"],
] as const;

export function RunsPage() {
  const project = useParams().project!;
  const [s, set] = useUrlState(runsSchema);
  const keys = useAsync((signal) => api.keys(project, signal), [project]);
  const [version, setVersion] = useState(0);
  const refresh = useCallback(() => setVersion((v) => v + 1), []);

  // new runs, state changes and new points refresh what is on screen
  useLiveEvents({ project }, refresh, 1000);

  const brushes = useMemo(() => s.brush.map(decodeBrush).filter((b): b is Brush => b !== null), [s.brush]);
  const filter = effectiveFilter(s.filter, s.states, s.tags, brushes);
  const columnIds = useMemo(
    () => (s.customColumns ? s.columns : keys.data ? defaultColumns(keys.data) : []),
    [s.customColumns, s.columns, keys.data],
  );
  const columns = useMemo(() => [...FIXED_COLUMNS, ...columnIds.map(dataColumn)], [columnIds]);
  const rows = usePagedRows({ project, filter, order_by: s.sort, columns: columnIds }, version);
  const selected = useMemo(() => new Set(s.selected), [s.selected]);

  // Tags, metric and config keys change as runs log and get tagged: ask again (the
  // old answer stays on screen meanwhile).
  const reloadKeys = keys.reload;
  useEffect(() => {
    if (version > 0) reloadKeys();
  }, [version, reloadKeys]);
  const knownTags = keys.data?.tags ?? [];

  const filterError = rows.error instanceof ApiError && rows.error.status === 400 ? rows.error.message : null;
  const toggle = (id: string) =>
    set({ selected: selected.has(id) ? s.selected.filter((x) => x !== id) : [...s.selected, id] }, { replace: true });
  const toggleAll = () => {
    const loaded: string[] = [];
    for (let i = 0; i < (rows.total ?? 0); i++) {
      const r = rows.row(i);
      if (r) loaded.push(r.id);
    }
    const all = loaded.every((id) => selected.has(id));
    set({ selected: all ? [] : [...new Set([...s.selected, ...loaded])] }, { replace: true });
  };
  const setBrushes = (next: Brush[]) => set({ brush: next.map(encodeBrush) }, { replace: true });

  const groupOptions = [
    ["", "No grouping"],
    ["group", "Run group"],
    ["tags", "Tag"],
    ...(keys.data?.config ?? []).map((k) => [`config.${k}`, `config.${k}`]),
  ];

  return (
    <section className="page runs-page" data-view="runs">
      <div className="page-head">
        <h1>{project}</h1>
        <span className="muted" data-testid="run-total">
          {rows.total === null ? "" : `${rows.total.toLocaleString("en-US")} run${rows.total === 1 ? "" : "s"}`}
        </span>
        <span className="spacer" />
        <div className="segmented" role="tablist" aria-label="View">
          {VIEWS.map(([id, label]) => (
            <button
              key={id}
              role="tab"
              aria-selected={s.view === id}
              className={s.view === id ? "on" : ""}
              onClick={() => set({ view: id })}
            >
              {label}
            </button>
          ))}
        </div>
      </div>
      <FilterBar
        value={s.filter}
        onApply={(f) => set({ filter: f })}
        error={filterError}
        states={s.states}
        onStates={(states) => set({ states })}
        tags={s.tags}
        knownTags={knownTags}
        onTags={(tags) => set({ tags })}
      />
      {brushes.length > 0 && (
        <div className="brush-bar">
          Brushed:{" "}
          {brushes.map((b) => (
            <span key={b.key} className="chip on">
              {brushLabel(b)}
            </span>
          ))}
          <button className="ghost" onClick={() => setBrushes([])}>
            Clear brushes
          </button>
        </div>
      )}
      {s.view !== "table" && keys.data && (
        <Suspense fallback={<Loading what="plot" />}>
          {s.view === "parallel" ? (
            <ParallelCoords
              project={project}
              filter={effectiveFilter(s.filter, s.states, s.tags, [])}
              keys={keys.data}
              axes={s.axes}
              metric={s.metric}
              brushes={brushes}
              version={version}
              onAxes={(axes, metric) => set({ axes, metric })}
              onBrushes={setBrushes}
            />
          ) : (
            <ScatterPlot
              project={project}
              filter={filter}
              keys={keys.data}
              x={s.scatterX}
              y={s.scatterY}
              version={version}
              onChange={(scatterX, scatterY) => set({ scatterX, scatterY })}
            />
          )}
        </Suspense>
      )}
      <div className="table-tools">
        <label>
          Group by{" "}
          <select value={s.group} onChange={(e) => set({ group: e.target.value })} aria-label="Group by">
            {groupOptions.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </label>
        {keys.data && (
          <ColumnPicker
            keys={keys.data}
            columns={columnIds}
            onChange={(columns) => set({ columns, customColumns: true })}
            onReset={() => set({ columns: [], customColumns: false })}
          />
        )}
        <span className="spacer" />
        <span className="muted hint">↑↓ move · Enter open · x select · shift-click a header to add a sort</span>
      </div>
      {s.selected.length > 0 && (
        <BulkBar project={project} selected={s.selected} onClear={() => set({ selected: [] })} onChanged={refresh} />
      )}
      {s.group ? (
        <GroupView
          project={project}
          filter={filter}
          by={s.group}
          columns={columnIds}
          version={version}
          onPick={(clause) => set({ filter: s.filter ? `(${s.filter}) and ${clause}` : clause, group: "" })}
        />
      ) : (
        <RunsTable
          project={project}
          rows={rows}
          columns={columns}
          sort={s.sort}
          onSort={(field, add) => set({ sort: nextSort(s.sort, field, add) })}
          selected={selected}
          onToggle={toggle}
          onToggleAll={toggleAll}
          hasFilter={!!filter}
        />
      )}
    </section>
  );
}
