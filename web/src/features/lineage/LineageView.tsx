// A lineage graph with its depth picker, states, and the datasets it holds listed with
// their digests (too long for a box).
import type { UseQueryResult } from "@tanstack/react-query";
import { Empty, ErrorBox, Loading } from "../../components/States";
import { DEPTHS, type LineageGraph as Graph } from "./api";
import { LineageGraph } from "./LineageGraph";
import "./lineage.css";

export function LineageView({
  res,
  depth,
  setDepth,
  subject,
}: {
  res: UseQueryResult<Graph>;
  depth: number;
  setDepth: (depth: number) => void;
  subject: string;
}) {
  const graph = res.data;
  const datasets = graph?.nodes.filter((n) => n.kind === "dataset") ?? [];
  return (
    <div className="lineage" data-view="lineage" data-depth={depth}>
      <div className="toolbar">
        <label>
          Depth{" "}
          <select aria-label="Lineage depth" value={depth} onChange={(ev) => setDepth(Number(ev.target.value))}>
            {DEPTHS.map((d) => (
              <option key={d} value={d}>
                {d} {d === 1 ? "hop" : "hops"}
              </option>
            ))}
          </select>
        </label>
        <span className="muted small">
          Inputs on the left (datasets, artifacts used), then runs, what they logged, and registered model versions.
          Click a run or a model version to open it.
        </span>
      </div>
      {res.error && !graph ? (
        <ErrorBox error={res.error} retry={() => void res.refetch()} />
      ) : !graph ? (
        <Loading what="lineage" />
      ) : graph.nodes.length <= 1 ? (
        <Empty title={`No lineage recorded for ${subject}`}>
          Datasets hashed with run.use_dataset, artifacts used and logged, and model versions registered from a run
          appear here.
        </Empty>
      ) : (
        <>
          {graph.truncated && (
            <p className="warn small" role="status">
              Only the first {graph.nodes.length} nodes are shown: pick a smaller depth.
            </p>
          )}
          <LineageGraph graph={graph} />
          {datasets.length > 0 && <DatasetTable datasets={datasets} className="lineage-datasets" />}
        </>
      )}
    </div>
  );
}

/** Datasets with their digests and paths (the lineage view, a model version's training data). */
export function DatasetTable({
  datasets,
  className,
}: {
  datasets: { id: string; label: string; data: Record<string, unknown> }[];
  className?: string;
}) {
  return (
    <table className={className ? `grid ${className}` : "grid"} data-count={datasets.length}>
      <thead>
        <tr>
          <th>Dataset</th>
          <th>Digest</th>
          <th>Path</th>
        </tr>
      </thead>
      <tbody>
        {datasets.map((n) => {
          const d = n.data;
          return (
            <tr key={n.id} data-digest={String(d.digest)}>
              <td>{Array.isArray(d.names) ? d.names.join(", ") : n.label}</td>
              <td>
                <code>{String(d.digest)}</code>
              </td>
              <td className="muted">{typeof d.path === "string" ? d.path : ""}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
