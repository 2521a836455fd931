// Runs grouped by a config value, the run group or a tag: counts and mean/min/max of
// each metric column. Clicking a group narrows the table to it.
import { useMemo } from "react";
import { Empty, ErrorBox, Loading } from "../../components/States";
import { fieldRef, quote } from "./filter";
import { columnLabel, fmtNum } from "../../lib/format";
import { groupRows, type Group } from "./groups";
import { useRunRows } from "./queries";

interface Props {
  project: string;
  filter: string;
  by: string;
  columns: string[];
  onPick: (clause: string) => void;
}

function clauseFor(by: string, g: Group): string | null {
  const literal = (v: unknown) =>
    typeof v === "string" ? quote(v) : typeof v === "number" || typeof v === "boolean" ? String(v) : null;
  if (by === "tags") return g.value === null ? "tags not exists" : `tags has ${quote(String(g.value))}`;
  const field = by === "group" ? "group" : fieldRef(by);
  if (g.value === null) return `${field} not exists`;
  const lit = literal(g.value);
  return lit === null ? null : `${field} = ${lit}`;
}

export function GroupView({ project, filter, by, columns, onPick }: Props) {
  const metricCols = useMemo(() => columns.filter((c) => !c.startsWith("config.")), [columns]);
  const wantCols = [...new Set([...metricCols, ...(by.includes(".") ? [by] : [])])];
  const res = useRunRows(project, filter, wantCols);
  const groups = useMemo(() => (res.data ? groupRows(res.data, by, metricCols) : []), [res.data, by, metricCols]);
  if (res.error) return <ErrorBox error={res.error} retry={() => void res.refetch()} />;
  if (!res.data) return <Loading what="groups" />;
  if (groups.length === 0) return <Empty title="No runs to group" />;
  return (
    <div className="group-view" data-view="groups" data-groups={groups.length}>
      <table className="grid">
        <thead>
          <tr>
            <th>{by === "tags" ? "Tag" : columnLabel(by)}</th>
            <th className="num">Runs</th>
            {metricCols.map((c) => (
              <th key={c} className="num" title={c}>
                {columnLabel(c)} <span className="muted">mean [min, max]</span>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {groups.map((g) => {
            const clause = clauseFor(by, g);
            return (
              <tr key={g.key} data-group={g.key}>
                <td>
                  {clause ? (
                    <button className="link" onClick={() => onPick(clause)} title={`Show only: ${clause}`}>
                      {g.key}
                    </button>
                  ) : (
                    g.key
                  )}
                </td>
                <td className="num" data-count={g.runs.length}>
                  {g.runs.length}
                </td>
                {metricCols.map((c) => {
                  const s = g.stats[c];
                  return (
                    <td key={c} className="num">
                      {s ? (
                        <>
                          {fmtNum(s.mean)}{" "}
                          <span className="muted">
                            [{fmtNum(s.min)}, {fmtNum(s.max)}]
                          </span>
                        </>
                      ) : (
                        <span className="missing">–</span>
                      )}
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
