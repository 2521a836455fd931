// One panel per media kind; each draws what it is given (the items of one key) and
// fetches only its own bytes (an <img>, an <audio>, a table's or a text's content).
import { useEffect, useMemo, useRef } from "react";
import { ErrorBox, Loading } from "../../components/States";
import { mediaApi, type MediaItem, type TableCellValue } from "./api";
import { cellText, heatmap, tableView } from "./media";
import { useMediaTable, useMediaText } from "./queries";

interface Box {
  box: [number, number, number, number];
  label?: string;
  score?: number;
}

export function ImagePanel({ runId, item }: { runId: string; item: MediaItem }) {
  const width = Number(item.meta.width) || 1;
  const height = Number(item.meta.height) || 1;
  const boxes = (item.meta.boxes as Box[] | undefined) ?? [];
  const mask = typeof item.meta.mask === "string" ? item.meta.mask : null;
  const caption = typeof item.meta.caption === "string" ? item.meta.caption : "";
  return (
    <figure className="media-image" data-kind="image" data-step={item.step}>
      <div className="media-image-frame" style={{ aspectRatio: `${width} / ${height}` }}>
        <img src={mediaApi.blobUrl(runId, item.key, item.step)} alt={caption || `${item.key} at step ${item.step}`} />
        {mask && (
          <img
            className="media-mask"
            src={mediaApi.blobUrl(runId, item.key, item.step, mask)}
            alt={`mask of ${item.key}`}
          />
        )}
        {boxes.length > 0 && (
          <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" className="media-boxes">
            {boxes.map((b, i) => (
              <g key={i}>
                <rect
                  x={b.box[0]}
                  y={b.box[1]}
                  width={b.box[2] - b.box[0]}
                  height={b.box[3] - b.box[1]}
                  vectorEffect="non-scaling-stroke"
                />
                {b.label && (
                  <text x={b.box[0]} y={b.box[1]}>
                    {b.label}
                    {b.score !== undefined ? ` ${b.score.toFixed(2)}` : ""}
                  </text>
                )}
              </g>
            ))}
          </svg>
        )}
      </div>
      <figcaption>
        {caption && <span>{caption} · </span>}
        <span className="muted">
          step {item.step} · {width}×{height}
        </span>
      </figcaption>
    </figure>
  );
}

export function AudioPanel({ runId, item }: { runId: string; item: MediaItem }) {
  const caption = typeof item.meta.caption === "string" ? item.meta.caption : "";
  return (
    <figure className="media-audio" data-kind="audio" data-step={item.step}>
      <audio controls preload="none" src={mediaApi.blobUrl(runId, item.key, item.step)} />
      <figcaption>
        {caption && <span>{caption} · </span>}
        <span className="muted">
          step {item.step} · {Number(item.meta.duration ?? 0).toFixed(2)} s at {String(item.meta.rate)} Hz
        </span>
      </figcaption>
    </figure>
  );
}

export function TextPanel({ runId, item }: { runId: string; item: MediaItem }) {
  const text = useMediaText(runId, item.key, item.step);
  return (
    <figure className="media-text" data-kind="text" data-step={item.step}>
      {text.error ? (
        <ErrorBox error={text.error} retry={() => void text.refetch()} />
      ) : text.data === undefined ? (
        <Loading what="text" />
      ) : (
        <pre>{text.data}</pre>
      )}
      <figcaption className="muted">step {item.step}</figcaption>
    </figure>
  );
}

/** Histograms over steps: one column per step, value going up, darker where more fell. */
export function HistogramPanel({ items }: { items: MediaItem[] }) {
  const map = useMemo(() => heatmap(items), [items]);
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const el = canvas.current;
    const ctx = el?.getContext("2d");
    if (!el || !ctx || !map) return;
    const cols = map.steps.length;
    el.width = Math.max(cols, 1);
    el.height = map.rows;
    const image = ctx.createImageData(el.width, el.height);
    for (let c = 0; c < cols; c++) {
      for (let r = 0; r < map.rows; r++) {
        const v = map.cells[c * map.rows + r];
        const p = ((map.rows - 1 - r) * el.width + c) * 4; // value grows upwards
        image.data[p] = 255 - Math.round(v * 200);
        image.data[p + 1] = 255 - Math.round(v * 120);
        image.data[p + 2] = 255 - Math.round(v * 40);
        image.data[p + 3] = 255;
      }
    }
    ctx.putImageData(image, 0, 0);
  }, [map]);
  if (!map) return <div className="muted">No bins.</div>;
  return (
    <figure className="media-histogram" data-kind="histogram" data-steps={map.steps.length}>
      <div className="media-heatmap">
        <span className="media-axis-y">
          <span>{fmt(map.high)}</span>
          <span>{fmt(map.low)}</span>
        </span>
        <canvas ref={canvas} aria-label="histograms over steps" />
      </div>
      <figcaption className="muted">
        steps {map.steps[0]} – {map.steps[map.steps.length - 1]} ({map.steps.length} histograms)
      </figcaption>
    </figure>
  );
}

const fmt = (x: number) =>
  Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(2) : String(+x.toFixed(4));

export function TablePanel({
  runId,
  item,
  filter,
  sort,
  onFilter,
  onSort,
}: {
  runId: string;
  item: MediaItem;
  filter: string;
  sort: string;
  onFilter: (f: string) => void;
  onSort: (s: string) => void;
}) {
  const table = useMediaTable(runId, item.key, item.step);
  const descending = sort.startsWith("-");
  const sortBy = sort === "" ? -1 : Number(sort.replace("-", ""));
  const order = useMemo(
    () => (table.data ? tableView(table.data.rows, filter, Number.isFinite(sortBy) ? sortBy : -1, descending) : []),
    [table.data, filter, sortBy, descending],
  );
  if (table.error) return <ErrorBox error={table.error} retry={() => void table.refetch()} />;
  if (!table.data) return <Loading what="table" />;
  const { columns, rows } = table.data;
  return (
    <figure className="media-table" data-kind="table" data-step={item.step}>
      <input
        type="search"
        placeholder="Filter rows"
        aria-label={`filter ${item.key}`}
        value={filter}
        onChange={(e) => onFilter(e.target.value)}
      />
      <span className="muted">
        {" "}
        {order.length} of {rows.length} rows · step {item.step}
      </span>
      <div className="media-table-scroll">
        <table className="grid">
          <thead>
            <tr>
              {columns.map((c, i) => (
                <th key={c} aria-sort={sortBy === i ? (descending ? "descending" : "ascending") : "none"}>
                  <button
                    type="button"
                    className="link"
                    onClick={() => onSort(sortBy === i && !descending ? `-${i}` : sortBy === i ? "" : String(i))}
                  >
                    {c}
                    {sortBy === i ? (descending ? " ▼" : " ▲") : ""}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {order.map((r) => (
              <tr key={r}>
                {rows[r].map((cell, c) => (
                  <td key={c}>
                    <Cell runId={runId} item={item} cell={cell} />
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}

function Cell({ runId, item, cell }: { runId: string; item: MediaItem; cell: TableCellValue }) {
  if (cell !== null && typeof cell === "object" && "image" in cell) {
    return (
      <img
        className="media-cell-image"
        src={mediaApi.blobUrl(runId, item.key, item.step, cell.image)}
        alt=""
        width={Math.min(cell.width, 96)}
      />
    );
  }
  return <>{cellText(cell)}</>;
}
