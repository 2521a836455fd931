// A project's runs: filter, sort, columns, grouping, selection, plots; all in the URL.
import { useQueryClient } from "@tanstack/react-query";
import { Suspense, lazy, useEffect, useMemo } from "react";
import { useParams, useSearchParams } from "react-router";
import { Loading } from "../../components/States";
import { ApiError } from "../../lib/api";
import { useLiveEvents } from "../../lib/live";
import { useUrlState } from "../../lib/urlState";
import { BulkBar } from "./BulkBar";
import { ColumnPicker } from "./ColumnPicker";
import { ExportCsv } from "./ExportCsv";
import { PresetPicker } from "./PresetPicker";
import { defaultColumns, nextSort, tableColumns } from "./columns";
import { brushLabel, effectiveFilter } from "./filter";
import { FilterBar } from "./FilterBar";
import { GroupView } from "./GroupView";
import { chooseColumns, rememberRunsQuery, saveColumns, useSavedColumns } from "./prefs";
import { invalidateProjectRuns, usePagedRows, useProjectKeys } from "./queries";
import { RunsTable } from "./RunsTable";
import {
  NONE,
  fromUrl,
  headerState,
  isSelected,
  offerAll,
  selectedCount,
  toUrl,
  toggleHeader,
  toggleRun,
  type Selection,
} from "./selection";
import { decodeBrush, encodeBrush, runsSchema, type Brush, type RunsState } from "./state";

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
  const [params] = useSearchParams();
  const qc = useQueryClient();
  const keys = useProjectKeys(project);
  const refresh = () => void invalidateProjectRuns(qc, project);

  // New runs, state changes and new points refresh what is on screen: the rows, and the
  // tags, metric and config keys (the old answers stay on screen meanwhile).
  useLiveEvents({ project }, refresh, 1000);

  // links back to this table (breadcrumb, "Back to runs") return to this very view
  const search = params.toString();
  useEffect(() => rememberRunsQuery(project, search), [project, search]);

  const keysData = keys.data;
  const keysError = keys.error;

  const brushes = useMemo(() => s.brush.map(decodeBrush).filter((b): b is Brush => b !== null), [s.brush]);
  const filter = effectiveFilter(s.filter, s.states, s.tags, brushes);

  // columns: the URL's pick, else the last one saved for the project, else defaults
  const saved = useSavedColumns(project);
  const choice = chooseColumns(
    { custom: s.customColumns, columns: s.columns },
    saved,
    keysData ? defaultColumns(keysData) : [],
  );
  const columnsKey = JSON.stringify(choice.columns);
  const columnIds = useMemo(() => JSON.parse(columnsKey) as string[], [columnsKey]); // one array per pick
  useEffect(() => {
    // put a restored pick in the URL too, so the link shares what is on screen
    if (choice.from === "saved") set({ columns: columnIds, customColumns: true }, { replace: true });
  }, [choice.from, columnIds, set]);
  const columns = useMemo(() => tableColumns(columnIds), [columnIds]);
  const rows = usePagedRows({ project, filter, order_by: s.sort, columns: columnIds });

  const knownTags = keysData?.tags ?? [];

  // selection: ids, or every run matching the filter less exclusions
  const selection = useMemo(() => fromUrl(s.all, s.selected, s.excluded), [s.all, s.selected, s.excluded]);
  const setSelection = (next: Selection) => set(toUrl(next), { replace: true });
  const loaded = rows.loadedIds();
  const header = headerState(selection, loaded);
  const count = selectedCount(selection, rows.total);

  // A new filter changes what "all matching" means: such a selection ends with it.
  const setQuery = (patch: Partial<RunsState>) => set(selection.all ? { ...patch, ...toUrl(NONE) } : patch);
  const clearFilter = () => setQuery({ filter: "", states: [], tags: [], brush: [] });

  const filterError = rows.error instanceof ApiError && rows.error.status === 400 ? rows.error.message : null;
  const setBrushes = (next: Brush[]) =>
    set(selection.all ? { brush: next.map(encodeBrush), ...toUrl(NONE) } : { brush: next.map(encodeBrush) }, {
      replace: true,
    });

  const groupOptions = [
    ["", "No grouping"],
    ["group", "Run group"],
    ["tags", "Tag"],
    ...(keysData?.config ?? []).map((k) => [`config.${k}`, `config.${k}`]),
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
        onApply={(f) => setQuery({ filter: f })}
        error={filterError}
        states={s.states}
        onStates={(states) => setQuery({ states })}
        tags={s.tags}
        knownTags={knownTags}
        onTags={(tags) => setQuery({ tags })}
        keys={keysData}
        onLeave={() => document.querySelector<HTMLElement>('[data-view="runs-table"] .scroller')?.focus()}
      />
      {keysError && (
        <div className="notice error" role="alert" data-testid="keys-error">
          <span>
            This project&apos;s columns, tags and plot axes could not be loaded:{" "}
            <span className="error-text">{keysError.message}</span>
          </span>
          <button className="ghost" onClick={() => void keys.refetch()}>
            Retry
          </button>
        </div>
      )}
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
      {s.view !== "table" && keysData && (
        <Suspense fallback={<Loading what="plot" />}>
          {s.view === "parallel" ? (
            <ParallelCoords
              project={project}
              filter={effectiveFilter(s.filter, s.states, s.tags, [])}
              keys={keysData}
              axes={s.axes}
              metric={s.metric}
              brushes={brushes}
              onAxes={(axes, metric) => set({ axes, metric })}
              onBrushes={setBrushes}
              colorBy={s.pcColor}
              logAxes={s.pcLog}
              onColor={(pcColor) => set({ pcColor })}
              onLog={(pcLog) => set({ pcLog })}
            />
          ) : (
            <ScatterPlot
              project={project}
              filter={filter}
              keys={keysData}
              x={s.scatterX}
              y={s.scatterY}
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
        {keysData ? (
          <ColumnPicker
            keys={keysData}
            columns={columnIds}
            onChange={(picked) => {
              saveColumns(project, picked);
              set({ columns: picked, customColumns: true });
            }}
            onReset={() => {
              saveColumns(project, null);
              set({ columns: [], customColumns: false });
            }}
          />
        ) : (
          <button disabled data-testid="columns-button">
            Columns
          </button>
        )}
        <PresetPicker
          project={project}
          columns={columnIds}
          onChoose={(picked) => {
            saveColumns(project, picked);
            set({ columns: picked, customColumns: true });
          }}
        />
        <ExportCsv
          project={project}
          filter={filter}
          sort={s.sort}
          columns={columns.map((c) => c.id)}
          dataColumns={columnIds}
        />
        <span className="spacer" />
        <span className="muted hint">
          / filter · ↑↓ move · Enter open · x select · shift-click a header to add a sort
        </span>
      </div>
      <BulkBar
        project={project}
        selection={selection}
        count={count}
        total={rows.total}
        filter={filter}
        offerAll={offerAll(selection, loaded, rows.total)}
        onSelectAll={() => setSelection({ all: true, excluded: [] })}
        onClear={() => setSelection(NONE)}
      />
      {s.group ? (
        <GroupView
          project={project}
          filter={filter}
          by={s.group}
          columns={columnIds}
          onPick={(clause) => setQuery({ filter: s.filter ? `(${s.filter}) and ${clause}` : clause, group: "" })}
        />
      ) : (
        <RunsTable
          project={project}
          rows={rows}
          columns={columns}
          sort={s.sort}
          onSort={(field, add) => set({ sort: nextSort(s.sort, field, add) })}
          isSelected={(id) => isSelected(selection, id)}
          header={header}
          onToggle={(id) => setSelection(toggleRun(selection, id))}
          onToggleAll={() => setSelection(toggleHeader(selection, loaded))}
          hasFilter={!!filter}
          onRetry={refresh}
          onClearFilter={clearFilter}
        />
      )}
    </section>
  );
}
