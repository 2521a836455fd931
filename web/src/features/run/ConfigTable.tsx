// A run's config: searchable (the search lives in the URL), nested paths shown
// indented under their parents.
import { Fragment } from "react";
import { Empty } from "../../components/States";
import { flatten } from "../../lib/flatten";
import { fmtNum } from "../../lib/format";

export function valueText(v: unknown): string {
  if (v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number") return fmtNum(v, 8);
  return JSON.stringify(v);
}

/** How many parents `parts` shares with the row above: those are not shown again (a tree). */
function sharedParents(parts: string[], above: string[]): number {
  let common = 0;
  while (common < parts.length - 1 && above[common] === parts[common]) common++;
  return common;
}

export function ConfigTable({
  config,
  q,
  setQ,
}: {
  config: Record<string, unknown>;
  q: string;
  setQ: (q: string) => void;
}) {
  const rows = flatten(config);
  const needle = q.trim().toLowerCase();
  const shown = needle
    ? rows.filter(([p, v]) => p.toLowerCase().includes(needle) || valueText(v).toLowerCase().includes(needle))
    : rows;
  if (rows.length === 0) return <Empty title="No config">Pass config=... to heron.init to record one.</Empty>;
  return (
    <div className="config-view" data-view="config">
      <input
        type="search"
        placeholder="Search config keys and values"
        aria-label="Search config"
        value={q}
        onChange={(e) => setQ(e.target.value)}
      />
      <table className="grid kv">
        <tbody>
          {shown.map(([path, v], row) => {
            const parts = path.split(".");
            const common = sharedParents(parts, row > 0 ? shown[row - 1][0].split(".") : []);
            // each parent on a row of its own, so a value sits on its key's line
            const heads = parts.slice(common, -1).map((p, i) => (
              <tr key={`${path}-h${i}`} className="tree-parent-row">
                <td className="key">
                  <div className="tree-parent" style={{ paddingLeft: (common + i) * 14 }}>
                    {p}
                  </div>
                </td>
                <td className="val" />
              </tr>
            ));
            return (
              <Fragment key={path}>
                {heads}
                <tr data-key={path}>
                  <td className="key">
                    <div style={{ paddingLeft: (parts.length - 1) * 14 }} title={path}>
                      {parts[parts.length - 1]}
                    </div>
                  </td>
                  <td className="val">
                    <span className={`v-${typeof v}`}>{valueText(v)}</span>
                  </td>
                </tr>
              </Fragment>
            );
          })}
        </tbody>
      </table>
      {shown.length === 0 && <div className="muted pad">Nothing matches “{q}”.</div>}
    </div>
  );
}
