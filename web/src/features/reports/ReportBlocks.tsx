// A report's live blocks: a chart (inline SVG, so an export keeps it as it is), a
// table and a run set, each reading the project's runs as they are now.
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { StateBadge } from "../../components/States";
import type { RunState } from "../../lib/api";
import { runColor } from "../../lib/colors";
import { columnLabel, fmtDate, fmtDuration, fmtNum } from "../../lib/format";
import { decodeNumber } from "../../lib/wire";
import { seriesApi } from "../charts/api";
import { runsApi } from "../runs/api";
import { toRows } from "../runs/rows";
import { blockKind, chartGeometry, parseBlock, type BlockSpec, type Line } from "./blocks";

/** The renderer Markdown calls for fenced blocks: heron-* blocks drawn, others declined. */
export function reportBlocks(project: string) {
  return (lang: string, text: string) => {
    const kind = blockKind(lang);
    if (!kind) return undefined;
    const parsed = parseBlock(kind, text);
    if ("error" in parsed)
      return (
        <div className="report-block block-error" role="alert">
          <strong>heron-{kind}:</strong> {parsed.error}
        </div>
      );
    return <Block project={project} spec={parsed.spec} />;
  };
}

function Block({ project, spec }: { project: string; spec: BlockSpec }) {
  const columns = spec.kind === "table" ? spec.columns : [];
  const runs = useQuery({
    queryKey: ["reports", "runs", project, spec.runs, spec.sort, spec.limit, columns],
    queryFn: ({ signal }) =>
      runsApi
        .table({ project, filter: spec.runs, order_by: spec.sort, columns, limit: spec.limit }, signal)
        .then((t) => toRows(t, 0)),
  });
  const title = spec.title && <div className="block-title">{spec.title}</div>;
  if (runs.error)
    return (
      <div className="report-block block-error" role="alert">
        {title}
        {runs.error.message}
      </div>
    );
  if (!runs.data)
    return (
      <div className="report-block muted" data-block={spec.kind}>
        {title}
        Loading…
      </div>
    );
  const rows = runs.data;
  if (spec.kind === "chart") return <ChartBlock spec={spec} runs={rows.map((r) => ({ id: r.id, name: r.name }))} />;
  if (spec.kind === "runs")
    return (
      <div className="report-block" data-block="runs" data-count={rows.length}>
        {title}
        {rows.length === 0 && <span className="muted">No run matches.</span>}
        <ul className="run-set">
          {rows.map((r) => (
            <li key={r.id}>
              <span className="swatch" style={{ background: runColor(r.id) }} />
              <Link to={`/p/${encodeURIComponent(project)}/runs/${r.id}`}>{r.name}</Link>{" "}
              <StateBadge state={r.state as RunState} />{" "}
              <span className="muted small">
                {fmtDate(r.created_at)} · {fmtDuration(r.duration)}
              </span>
            </li>
          ))}
        </ul>
      </div>
    );
  return (
    <div className="report-block" data-block="table" data-count={rows.length}>
      {title}
      <table className="grid report-table">
        <thead>
          <tr>
            <th>Run</th>
            {spec.columns.map((c) => (
              <th key={c} className="num" title={c}>
                {columnLabel(c)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id}>
              <td>
                <Link to={`/p/${encodeURIComponent(project)}/runs/${r.id}`}>{r.name}</Link>
              </td>
              {spec.columns.map((c) => (
                <td key={c} className="num">
                  {fmtNum(r.cells[c])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const FRAME = { width: 680, height: 260, pad: { top: 12, right: 16, bottom: 28, left: 56 } };

function ChartBlock({ spec, runs }: { spec: BlockSpec; runs: { id: string; name: string }[] }) {
  const ids = runs.map((r) => r.id);
  const series = useQuery({
    queryKey: ["reports", "series", ids, spec.keys, spec.x],
    queryFn: ({ signal }) => seriesApi.get({ runs: ids, keys: spec.keys, x_axis: spec.x, buckets: 300 }, signal),
    enabled: ids.length > 0,
  });
  const title = <div className="block-title">{spec.title || spec.keys.join(", ")}</div>;
  if (ids.length === 0)
    return (
      <div className="report-block" data-block="chart">
        {title}
        <span className="muted">No run matches.</span>
      </div>
    );
  if (series.error)
    return (
      <div className="report-block block-error" role="alert">
        {title}
        {series.error.message}
      </div>
    );
  if (!series.data)
    return (
      <div className="report-block muted" data-block="chart">
        {title}
        Loading…
      </div>
    );
  const lines: Line[] = series.data.series.map((s) => ({
    run: s.run,
    key: s.key,
    xs: s.x.map(decodeNumber),
    ys: s.y.map(decodeNumber),
  }));
  const g = chartGeometry(lines, FRAME, spec.log);
  const names = new Map(runs.map((r) => [r.id, r.name]));
  const dashes = ["", "6 3", "2 3", "8 3 2 3"];
  const { width, height, pad } = FRAME;
  return (
    <figure className="report-block report-chart" data-block="chart" data-lines={g.paths.length}>
      {title}
      {g.empty ? (
        <span className="muted">These runs have no values for {spec.keys.join(", ")}.</span>
      ) : (
        <svg
          viewBox={`0 0 ${width} ${height}`}
          width="100%"
          role="img"
          aria-label={`${spec.keys.join(", ")} of ${runs.length} runs against ${spec.x}`}
          xmlns="http://www.w3.org/2000/svg"
        >
          <g fill="none" stroke="#8884" strokeWidth="1">
            {g.yTicks.map((t) => (
              <line key={`y${t.value}`} x1={pad.left} x2={width - pad.right} y1={t.at} y2={t.at} />
            ))}
          </g>
          <g fontSize="10" fill="#888" fontFamily="system-ui, sans-serif">
            {g.yTicks.map((t) => (
              <text key={`yl${t.value}`} x={pad.left - 6} y={t.at + 3} textAnchor="end">
                {fmtNum(t.value, 3)}
              </text>
            ))}
            {g.xTicks.map((t) => (
              <text key={`xl${t.value}`} x={t.at} y={height - pad.bottom + 14} textAnchor="middle">
                {fmtNum(t.value, 3)}
              </text>
            ))}
            <text x={width - pad.right} y={height - 2} textAnchor="end">
              {spec.x}
              {spec.log ? " · log y" : ""}
            </text>
          </g>
          {g.paths.map((p) => (
            <path
              key={`${p.run}/${p.key}`}
              d={p.d}
              fill="none"
              stroke={runColor(p.run)}
              strokeWidth="1.5"
              strokeDasharray={dashes[spec.keys.indexOf(p.key) % dashes.length] || undefined}
            >
              <title>
                {names.get(p.run) ?? p.run} · {p.key}
              </title>
            </path>
          ))}
        </svg>
      )}
      <figcaption className="chart-legend">
        {runs.map((r) => (
          <span key={r.id} className="legend-item">
            <span className="swatch" style={{ background: runColor(r.id) }} />
            {r.name}
          </span>
        ))}
        {spec.keys.length > 1 && (
          <span className="muted small">
            {spec.keys
              .map((k, i) => `${k}${i ? ` (${["solid", "dashed", "dotted", "dash-dot"][i % 4]})` : " (solid)"}`)
              .join(", ")}
          </span>
        )}
      </figcaption>
    </figure>
  );
}
