// The virtual runs table: only the rows in view exist in the DOM; rows come a page at
// a time from the server (sorted and filtered there), so 10,000 runs cost no more
// than 100. Before the first page: skeleton rows; a failed first page: an error with
// Retry; no rows: why (an empty project, or a filter nothing matches).
import { useVirtualizer } from "@tanstack/react-virtual";
import { useCallback, useEffect, useRef, useState, type KeyboardEvent } from "react";
import { useNavigate } from "react-router";
import { ApiError } from "../../lib/api";
import type { PagedRows } from "./queries";
import type { HeaderState } from "./selection";
import { sortDirection, type Column } from "./columns";
import "./runs.css";

const ROW_HEIGHT = 34;
const SELECT_WIDTH = 36;
const NAME_WIDTH = { min: 120, max: 800, initial: 230 };
const NAME_WIDTH_KEY = "heron.runs.nameWidth";
const SKELETON_ROWS = 8;

interface Props {
  project: string;
  rows: PagedRows;
  columns: Column[];
  sort: string[];
  onSort: (field: string, add: boolean) => void;
  isSelected: (id: string) => boolean;
  header: HeaderState;
  onToggle: (id: string) => void;
  onToggleAll: () => void;
  hasFilter: boolean;
  onRetry: () => void;
  onClearFilter: () => void;
}

/** The Name column's width, dragged by the user and kept in this browser. */
function useNameWidth(): [number, (w: number) => void] {
  const [w, setW] = useState(() => {
    const saved = Number(localStorage.getItem(NAME_WIDTH_KEY));
    return saved >= NAME_WIDTH.min && saved <= NAME_WIDTH.max ? saved : NAME_WIDTH.initial;
  });
  const set = useCallback((next: number) => {
    const clamped = Math.round(Math.max(NAME_WIDTH.min, Math.min(NAME_WIDTH.max, next)));
    setW(clamped);
    localStorage.setItem(NAME_WIDTH_KEY, String(clamped));
  }, []);
  return [w, set];
}

/** The Name header's right edge: drag it (or focus it and press ←/→) to resize the column. */
function NameResizer({ width, onWidth }: { width: number; onWidth: (w: number) => void }) {
  const start = useRef<{ x: number; w: number } | null>(null);
  return (
    <span
      className="col-resize"
      role="separator"
      aria-orientation="vertical"
      aria-label="Resize the Name column"
      aria-valuenow={width}
      aria-valuemin={NAME_WIDTH.min}
      aria-valuemax={NAME_WIDTH.max}
      tabIndex={0}
      data-testid="name-resizer"
      onPointerDown={(e) => {
        e.currentTarget.setPointerCapture(e.pointerId);
        start.current = { x: e.clientX, w: width };
      }}
      onPointerMove={(e) => start.current && onWidth(start.current.w + e.clientX - start.current.x)}
      onPointerUp={() => (start.current = null)}
      onClick={(e) => e.stopPropagation()}
      onKeyDown={(e) => {
        if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
          e.preventDefault();
          e.stopPropagation();
          onWidth(width + (e.key === "ArrowRight" ? 20 : -20));
        }
      }}
    />
  );
}

type Phase = "loading" | "error" | "empty" | "no-match" | "rows";

const rowId = (index: number) => `runs-row-${index}`;

export function RunsTable(props: Props) {
  const { project, rows, sort, onSort, isSelected, header, onToggle, onToggleAll, hasFilter } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const headerBox = useRef<HTMLInputElement>(null);
  const navigate = useNavigate();
  const [active, setActiveState] = useState(0);
  // keys can come faster than renders (a held arrow key): read the latest, not a stale render's
  const activeNow = useRef(0);
  const setActive = useCallback((i: number) => {
    activeNow.current = i;
    setActiveState(i);
  }, []);
  const total = rows.total ?? 0;
  const v = useVirtualizer({
    count: total,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const items = v.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;
  const { ensure } = rows;
  useEffect(() => ensure(first, last), [ensure, first, last, rows.queryKey, rows.total]);
  // a new query (filter, sort, columns) starts again at the first row
  useEffect(() => setActive(0), [rows.orderKey, setActive]); // other runs, or another order
  useEffect(() => {
    if (headerBox.current) headerBox.current.indeterminate = header === "some";
  }, [header]);

  const [nameWidth, setNameWidth] = useNameWidth();
  const columns = props.columns.map((c) => (c.id === "name" ? { ...c, width: nameWidth } : c));
  const template = `${SELECT_WIDTH}px ${columns.map((c) => `${c.width}px`).join(" ")}`;
  const width = SELECT_WIDTH + columns.reduce((s, c) => s + c.width, 0);
  // the select box and the name stay in view while the table scrolls sideways
  const pin = (id: string) => (id === "name" ? " pinned" : "");

  const phase: Phase =
    rows.total === null
      ? rows.error
        ? "error"
        : "loading"
      : total === 0
        ? !rows.ready
          ? "loading" // the previous query had no rows either: nothing to keep on screen
          : hasFilter
            ? "no-match"
            : "empty"
        : "rows";

  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.target instanceof HTMLInputElement || total === 0) return;
    const move = (to: number) => {
      const i = Math.max(0, Math.min(total - 1, to));
      setActive(i);
      v.scrollToIndex(i, { align: "auto" });
      e.preventDefault();
    };
    const at = activeNow.current;
    if (e.key === "ArrowDown" || e.key === "j") move(at + 1);
    else if (e.key === "ArrowUp" || e.key === "k") move(at - 1);
    else if (e.key === "PageDown") move(at + 20);
    else if (e.key === "PageUp") move(at - 20);
    else if (e.key === "Home") move(0);
    else if (e.key === "End") move(total - 1);
    else if (e.key === "Enter" || e.key === "x" || e.key === " ") {
      const r = rows.row(at);
      if (!r) return;
      e.preventDefault();
      if (e.key === "Enter") navigate(`/p/${encodeURIComponent(project)}/runs/${r.id}`);
      else onToggle(r.id);
    }
  };
  const activeShown = phase === "rows" && items.some((item) => item.index === active);

  return (
    <div
      className="runs-table"
      data-view="runs-table"
      data-state={phase}
      data-total={rows.total ?? ""}
      data-ready={rows.ready ? "1" : "0"}
      data-sort={sort.join(" ")}
      data-rendered={items.length}
      data-active={active}
    >
      <div
        ref={scroller}
        className="scroller"
        tabIndex={0}
        role="grid"
        aria-rowcount={total}
        aria-busy={phase === "loading"}
        aria-label="Runs (arrows move, Enter opens, x selects)"
        aria-activedescendant={activeShown ? rowId(active) : undefined}
        onKeyDown={onKey}
      >
        <div className="thead" role="row" style={{ gridTemplateColumns: template, width }}>
          <div className="th select pinned" role="columnheader">
            <input
              ref={headerBox}
              type="checkbox"
              aria-label="Select all loaded runs"
              checked={header === "all"}
              disabled={phase !== "rows"}
              onChange={onToggleAll}
            />
          </div>
          {columns.map((c) => {
            const dir = c.sortField ? sortDirection(sort, c.sortField) : null;
            return (
              <div
                key={c.id}
                role="columnheader"
                aria-sort={
                  c.sortField ? (dir === "asc" ? "ascending" : dir === "desc" ? "descending" : "none") : undefined
                }
                className={`th${c.numeric ? " num" : ""}${c.sortField ? " sortable" : ""}${pin(c.id)}`}
                title={c.sortField ? `${c.title} — click to sort, shift-click to add` : c.title}
                data-col={c.id}
              >
                {c.sortField ? (
                  <button className="th-button" onClick={(e) => onSort(c.sortField!, e.shiftKey)}>
                    {c.kind && <span className="th-kind">{c.kind}</span>}
                    <span className="th-label">{c.label}</span>
                    <span className="sort-mark">{dir === "asc" ? "▲" : dir === "desc" ? "▼" : ""}</span>
                  </button>
                ) : (
                  <span className="th-label">{c.label}</span>
                )}
                {c.id === "name" && <NameResizer width={nameWidth} onWidth={setNameWidth} />}
              </div>
            );
          })}
        </div>
        {phase === "loading" ? (
          <div className="tbody skeleton-rows" style={{ width }} role="status" aria-label="Loading runs">
            {Array.from({ length: SKELETON_ROWS }, (_, i) => (
              <div key={i} className="tr" style={{ gridTemplateColumns: template }} aria-hidden="true">
                <div className="td select">
                  <span className="skeleton box" />
                </div>
                {columns.map((c) => (
                  <div key={c.id} className={`td${c.numeric ? " num" : ""}`}>
                    <span className="skeleton shimmer" style={{ width: `${40 + ((i * 7 + c.width) % 45)}%` }} />
                  </div>
                ))}
              </div>
            ))}
          </div>
        ) : phase === "error" ? (
          <TableError error={rows.error!} onRetry={props.onRetry} onClearFilter={props.onClearFilter} />
        ) : phase === "empty" ? (
          <NoRunsYet project={project} />
        ) : phase === "no-match" ? (
          <div className="state-box empty table-state" data-testid="no-match">
            <strong>No run matches this filter</strong>
            <div className="muted">Loosen it, or clear it to see every run of the project.</div>
            <button onClick={props.onClearFilter}>Clear filter</button>
          </div>
        ) : (
          <div className="tbody" style={{ height: v.getTotalSize(), width }}>
            {items.map((item) => {
              const r = rows.row(item.index);
              const selected = !!r && isSelected(r.id);
              return (
                <div
                  key={item.key}
                  id={rowId(item.index)}
                  role="row"
                  aria-rowindex={item.index + 1}
                  aria-selected={item.index === active}
                  className={`tr${selected ? " selected" : ""}${item.index === active ? " active" : ""}`}
                  style={{ transform: `translateY(${item.start}px)`, gridTemplateColumns: template }}
                  data-index={item.index}
                  data-run-id={r?.id}
                  data-selected={selected ? "1" : undefined}
                  onClick={() => setActive(item.index)}
                >
                  <div className="td select pinned" role="gridcell">
                    {r && (
                      <input
                        type="checkbox"
                        aria-label={`Select ${r.name}`}
                        checked={selected}
                        onChange={() => onToggle(r.id)}
                        tabIndex={-1}
                      />
                    )}
                  </div>
                  {columns.map((c) => (
                    <div
                      key={c.id}
                      role="gridcell"
                      className={`td${c.numeric ? " num" : ""}${pin(c.id)}`}
                      data-col={c.id}
                    >
                      {r ? c.render(r, project) : <span className="skeleton" />}
                    </div>
                  ))}
                </div>
              );
            })}
          </div>
        )}
      </div>
    </div>
  );
}

function TableError({
  error,
  onRetry,
  onClearFilter,
}: {
  error: Error;
  onRetry: () => void;
  onClearFilter: () => void;
}) {
  // a bad filter fails again on retry: offer to clear it instead (the message is above)
  const badFilter = error instanceof ApiError && error.status === 400;
  return (
    <div className="state-box error table-state" role="alert" data-testid="table-error">
      <strong>{badFilter ? "The filter cannot run" : "The runs could not be loaded"}</strong>
      <span className="error-text">{error.message}</span>
      {badFilter ? (
        <button onClick={onClearFilter}>Clear filter</button>
      ) : (
        <button className="primary" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

function NoRunsYet({ project }: { project: string }) {
  return (
    <div className="state-box empty table-state" data-testid="no-runs">
      <strong>No runs in this project yet</strong>
      <div className="muted">Log one from Python; it appears here as soon as it starts:</div>
      <pre className="code snippet">
        {`import heron\nwith heron.init(project=${JSON.stringify(project)}) as run:\n    run.log({"loss": 0.5})`}
      </pre>
    </div>
  );
}
