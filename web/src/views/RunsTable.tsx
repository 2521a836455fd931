// The virtual runs table: only the rows in view exist in the DOM; rows come a page at
// a time from the server (sorted and filtered there), so 10,000 runs cost no more
// than 100.
import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import { useNavigate } from "react-router";
import { Empty, ErrorBox } from "../components/States";
import type { PagedRows } from "../lib/rows";
import { sortDirection, type Column } from "./columns";

const ROW_HEIGHT = 34;

interface Props {
  project: string;
  rows: PagedRows;
  columns: Column[];
  sort: string[];
  onSort: (field: string, add: boolean) => void;
  selected: Set<string>;
  onToggle: (id: string) => void;
  onToggleAll: () => void;
  hasFilter: boolean;
}

export function RunsTable({ project, rows, columns, sort, onSort, selected, onToggle, onToggleAll, hasFilter }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const navigate = useNavigate();
  const [active, setActive] = useState(0);
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

  const template = `36px ${columns.map((c) => `${c.width}px`).join(" ")}`;
  const width = 36 + columns.reduce((s, c) => s + c.width, 0);

  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.target instanceof HTMLInputElement || total === 0) return;
    const move = (to: number) => {
      const i = Math.max(0, Math.min(total - 1, to));
      setActive(i);
      v.scrollToIndex(i, { align: "auto" });
      e.preventDefault();
    };
    if (e.key === "ArrowDown" || e.key === "j") move(active + 1);
    else if (e.key === "ArrowUp" || e.key === "k") move(active - 1);
    else if (e.key === "PageDown") move(active + 20);
    else if (e.key === "PageUp") move(active - 20);
    else if (e.key === "Home") move(0);
    else if (e.key === "End") move(total - 1);
    else if (e.key === "Enter" || e.key === "x" || e.key === " ") {
      const r = rows.row(active);
      if (!r) return;
      e.preventDefault();
      if (e.key === "Enter") navigate(`/p/${encodeURIComponent(project)}/runs/${r.id}`);
      else onToggle(r.id);
    }
  };

  // with rows on screen, a failed query (a bad filter, shown inline) keeps them there
  if (rows.error && rows.total === null) return <ErrorBox error={rows.error} />;
  const allSelected = total > 0 && selected.size >= total;
  return (
    <div
      className="runs-table"
      data-view="runs-table"
      data-total={rows.total ?? ""}
      data-ready={rows.ready ? "1" : "0"}
      data-sort={sort.join(" ")}
      data-rendered={items.length}
    >
      <div
        ref={scroller}
        className="scroller"
        tabIndex={0}
        role="grid"
        aria-rowcount={total}
        aria-label="Runs (arrows move, Enter opens, x selects)"
        onKeyDown={onKey}
      >
        <div className="thead" role="row" style={{ gridTemplateColumns: template, width }}>
          <div className="th select" role="columnheader">
            <input
              type="checkbox"
              aria-label="Select all loaded runs"
              checked={allSelected}
              onChange={onToggleAll}
            />
          </div>
          {columns.map((c) => {
            const dir = c.sortField ? sortDirection(sort, c.sortField) : null;
            return (
              <div
                key={c.id}
                role="columnheader"
                aria-sort={dir === "asc" ? "ascending" : dir === "desc" ? "descending" : "none"}
                className={`th${c.numeric ? " num" : ""}${c.sortField ? " sortable" : ""}`}
                title={c.sortField ? `${c.title} — click to sort, shift-click to add` : c.title}
                data-col={c.id}
              >
                {c.sortField ? (
                  <button className="th-button" onClick={(e) => onSort(c.sortField!, e.shiftKey)}>
                    <span className="th-label">{c.label}</span>
                    <span className="sort-mark">{dir === "asc" ? "▲" : dir === "desc" ? "▼" : ""}</span>
                  </button>
                ) : (
                  <span className="th-label">{c.label}</span>
                )}
              </div>
            );
          })}
        </div>
        {rows.ready && total === 0 ? (
          <Empty title={hasFilter ? "No run matches the filter" : "No runs in this project yet"}>
            {hasFilter ? "Loosen the filter or clear it." : "Runs appear here as soon as they start."}
          </Empty>
        ) : (
          <div className="tbody" style={{ height: v.getTotalSize(), width }}>
            {items.map((item) => {
              const r = rows.row(item.index);
              return (
                <div
                  key={item.key}
                  role="row"
                  aria-rowindex={item.index + 1}
                  className={`tr${r && selected.has(r.id) ? " selected" : ""}${item.index === active ? " active" : ""}`}
                  style={{ transform: `translateY(${item.start}px)`, gridTemplateColumns: template }}
                  data-index={item.index}
                  data-run-id={r?.id}
                  onClick={() => setActive(item.index)}
                >
                  <div className="td select" role="gridcell">
                    {r && (
                      <input
                        type="checkbox"
                        aria-label={`Select ${r.name}`}
                        checked={selected.has(r.id)}
                        onChange={() => onToggle(r.id)}
                        tabIndex={-1}
                      />
                    )}
                  </div>
                  {columns.map((c) => (
                    <div key={c.id} role="gridcell" className={`td${c.numeric ? " num" : ""}`} data-col={c.id}>
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
