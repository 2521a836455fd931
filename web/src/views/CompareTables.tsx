// The comparison tables shared by the runs comparison and the model-version comparison:
// differences of any flattened records (config, environment) with identical values
// folded away, and metric summaries side by side with the best value starred.
import { useState } from "react";
import { Link } from "react-router";
import { Empty, StateBadge, Swatch } from "../components/States";
import type { Run } from "../lib/api";
import { runColor } from "../lib/colors";
import { bestIndex, higherIsBetter, type DiffRow } from "../lib/flatten";
import { fmtNum } from "../lib/format";
import { valueText } from "./run/ConfigTable";

/** One header cell per run; `labels` (e.g. model versions) go before the run's name. */
function RunHeads({ runs, labels }: { runs: Run[]; labels?: string[] }) {
  return (
    <>
      {runs.map((r, i) => (
        <th key={`${r.id}-${i}`} data-run-id={r.id}>
          {labels?.[i] && <strong className="head-label">{labels[i]} </strong>}
          <Swatch color={runColor(r.id)} />{" "}
          <Link to={`/p/${encodeURIComponent(r.project)}/runs/${r.id}`}>{r.name}</Link> <StateBadge state={r.state} />
        </th>
      ))}
    </>
  );
}

export function DiffTable({ runs, rows, what, labels }: { runs: Run[]; rows: DiffRow[]; what: string; labels?: string[] }) {
  const [showSame, setShowSame] = useState(false);
  const differing = rows.filter((r) => !r.same);
  const shown = showSame ? rows : differing;
  return (
    <div data-view="diff" data-differing={differing.length} data-same={rows.length - differing.length}>
      <div className="row">
        <span>
          <strong>{differing.length}</strong> {what}
          {differing.length === 1 ? "" : "s"} differ; {rows.length - differing.length} identical{" "}
          {showSame ? "shown" : "folded away"}.
        </span>
        <button className="ghost" onClick={() => setShowSame((v) => !v)}>
          {showSame ? "Hide identical" : "Show identical"}
        </button>
      </div>
      {shown.length === 0 ? (
        <Empty title={`Every ${what} is the same`} />
      ) : (
        <div className="wide">
          <table className="grid diff-table">
            <thead>
              <tr>
                <th>Key</th>
                <RunHeads runs={runs} labels={labels} />
              </tr>
            </thead>
            <tbody>
              {shown.map((r) => (
                <tr key={r.path} className={r.same ? "same" : "differs"} data-key={r.path}>
                  <td className="key">{r.path}</td>
                  {r.values.map((v, i) => (
                    <td key={i} className={v === undefined ? "missing" : ""}>
                      {v === undefined ? "–" : valueText(v)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

export function SummaryCompare({ runs, keys, labels }: { runs: Run[]; keys: string[]; labels?: string[] }) {
  if (keys.length === 0) return <Empty title="None of these runs logged metrics" />;
  return (
    <div className="wide" data-view="summary-compare">
      <table className="grid diff-table">
        <thead>
          <tr>
            <th>Metric</th>
            <RunHeads runs={runs} labels={labels} />
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => {
            const values = runs.map((r) => r.metrics[k]?.value);
            const goal = runs.find((r) => r.metrics[k])?.metrics[k].goal;
            const best = runs.length > 1 ? bestIndex(values, higherIsBetter(k, goal)) : -1;
            return (
              <tr key={k} data-key={k}>
                <td className="key">{k}</td>
                {values.map((v, i) => (
                  <td key={i} className={`num${i === best ? " best" : ""}`} data-best={i === best ? "1" : undefined}>
                    {v === undefined ? "–" : fmtNum(v)}
                    {i === best && <span className="best-mark" title="best"> ★</span>}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
