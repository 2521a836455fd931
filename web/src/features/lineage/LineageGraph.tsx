// Draws a lineage graph it is given (no fetching): inputs left, outputs right, one box
// per node; runs and model versions open their pages.
import { useMemo } from "react";
import { useNavigate } from "react-router";
import type { LineageGraph as Graph, LineageNode, NodeKind } from "./api";
import { modelVersionPath } from "./api";
import { layout, NODE_H, NODE_W } from "./layout";

export const KIND_LABEL: Record<NodeKind, string> = {
  dataset: "dataset",
  artifact: "artifact",
  run: "run",
  checkpoint: "checkpoint",
  model_version: "model version",
};

/** The page a node opens, if any. */
export function nodeHref(n: LineageNode): string | null {
  const d = n.data as Record<string, unknown>;
  if (n.kind === "run") return `/p/${encodeURIComponent(String(d.project))}/runs/${String(d.id)}`;
  if (n.kind === "model_version") return modelVersionPath(String(d.model), Number(d.version));
  return null;
}

/** What a node's tooltip says: its digest, path, stage... */
export function nodeTitle(n: LineageNode): string {
  const d = n.data as Record<string, unknown>;
  const parts = [`${KIND_LABEL[n.kind]} ${n.label}`];
  if (typeof d.digest === "string") parts.push(d.digest);
  if (typeof d.path === "string") parts.push(d.path);
  if (typeof d.state === "string") parts.push(d.state);
  if (typeof d.stage === "string" && d.stage !== "none") parts.push(d.stage);
  if (Array.isArray(d.aliases) && d.aliases.length) parts.push(`@${d.aliases.join(", @")}`);
  return parts.join("\n");
}

const clip = (text: string, n = 21) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

export function LineageGraph({ graph }: { graph: Graph }) {
  const navigate = useNavigate();
  const drawn = useMemo(() => layout(graph), [graph]);
  return (
    <div className="lineage-scroll">
      <svg
        className="lineage-graph"
        width={drawn.width}
        height={drawn.height}
        role="img"
        aria-label={`Lineage: ${graph.nodes.length} nodes, ${graph.edges.length} edges`}
        data-nodes={graph.nodes.length}
        data-edges={graph.edges.length}
      >
        <defs>
          <marker
            id="lineage-arrow"
            viewBox="0 0 10 10"
            refX="10"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto"
          >
            <path d="M0,0 L10,5 L0,10 z" className="lineage-arrow" />
          </marker>
        </defs>
        {drawn.edges.map((e) => (
          <path
            key={`${e.source}>${e.target}>${e.kind}`}
            className={`lineage-edge edge-${e.kind}`}
            d={e.path}
            markerEnd="url(#lineage-arrow)"
            data-source={e.source}
            data-target={e.target}
            data-kind={e.kind}
          >
            <title>{e.kind}</title>
          </path>
        ))}
        {drawn.nodes.map(({ node, x, y }) => {
          const href = nodeHref(node);
          const open = href ? () => void navigate(href) : undefined;
          return (
            <g
              key={node.id}
              className={`lineage-node kind-${node.kind}${node.id === graph.root ? " root" : ""}${href ? " linked" : ""}`}
              transform={`translate(${x},${y})`}
              data-node-id={node.id}
              data-kind={node.kind}
              data-label={node.label}
              role={href ? "link" : undefined}
              aria-label={href ? `Open ${KIND_LABEL[node.kind]} ${node.label}` : undefined}
              tabIndex={href ? 0 : undefined}
              onClick={open}
              onKeyDown={(ev) => {
                if (open && (ev.key === "Enter" || ev.key === " ")) {
                  ev.preventDefault();
                  open();
                }
              }}
            >
              <title>{nodeTitle(node)}</title>
              <rect width={NODE_W} height={NODE_H} rx={6} />
              <text x={10} y={16} className="lineage-kind">
                {KIND_LABEL[node.kind]}
              </text>
              <text x={10} y={34} className="lineage-label">
                {clip(node.label)}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}
