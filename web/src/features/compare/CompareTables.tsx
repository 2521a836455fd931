// The comparison tables shared by the runs comparison and the model-version comparison:
// differences of any flattened records (config, environment) with identical values
// folded away and each cell that differs from the reference run's marked, and metric
// summaries side by side with the best value starred.
import { useMemo, useState } from "react";
import { Link } from "react-router";
import { Empty, StateBadge, Swatch } from "../../components/States";
import type { Run } from "../../lib/api";
import { runColor, runColors } from "../../lib/colors";
import { differingCells, type DiffRow } from "../../lib/flatten";
import { fmtNum } from "../../lib/format";
import { valueText } from "../run/ConfigTable";
import { starIndex } from "./best";
import "./compare.css";

/** The colours of the runs compared (distinct within the set, as on the charts). */
export function useSetColors(runs: Run[]): (id: string) => string {
  const key = runs.map((r) => r.id).join(",");
  const palette = useMemo(() => runColors(key ? key.split(",") : []), [key]);
  return (id) => palette.get(id) ?? runColor(id);
}

/** One header cell per run; `labels` (e.g. model versions) go before the run's name. */
function RunHeads({ runs, labels, refIndex }: { runs: Run[]; labels?: string[]; refIndex?: number }) {
  const colors = useSetColors(runs);
  return (
    <>
      {runs.map((r, i) => (
        <th key={`${r.id}-${i}`} data-run-id={r.id} className={i === refIndex ? "ref" : undefined}>
          {labels?.[i] && <strong className="head-label">{labels[i]} </strong>}
          <Swatch color={colors(r.id)} /> <Link to={`/p/${encodeURIComponent(r.project)}/runs/${r.id}`}>{r.name}</Link>{" "}
          <StateBadge state={r.state} />
          {i === refIndex && runs.length > 1 && <span className="muted small ref-mark"> reference</span>}
        </th>
      ))}
    </>
  );
}

/**
 * Rows of a flattened record per run. A row where the runs disagree shows, in each
 * run's cell, whether it differs from the reference run's (`refIndex`, the first by
 * default); `onRef` adds a picker for the reference.
 */
export function DiffTable({
  runs,
  rows,
  what,
  labels,
  refIndex = 0,
  onRef,
}: {
  runs: Run[];
  rows: DiffRow[];
  what: string;
  labels?: string[];
  refIndex?: number;
  onRef?: (runId: string) => void;
}) {
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
        {onRef && runs.length > 1 && (
          <label className="ref-picker">
            Compared with{" "}
            <select aria-label="Reference run" value={runs[refIndex]?.id} onChange={(e) => onRef(e.target.value)}>
              {runs.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <span className="muted small">
          <span className="cell-differs legend-cell">marked</span> cells differ from{" "}
          {labels?.[refIndex] ?? runs[refIndex]?.name ?? "the first run"}
        </span>
      </div>
      {shown.length === 0 ? (
        <Empty title={`Every ${what} is the same`} />
      ) : (
        <div className="wide">
          <table className="grid diff-table">
            <thead>
              <tr>
                <th>Key</th>
                <RunHeads runs={runs} labels={labels} refIndex={refIndex} />
              </tr>
            </thead>
            <tbody>
              {shown.map((r) => {
                const marks = r.same ? null : differingCells(r.values, refIndex);
                return (
                  <tr key={r.path} className={r.same ? "same" : "differs"} data-key={r.path}>
                    <td className="key">{r.path}</td>
                    {r.values.map((v, i) => {
                      const cls = [
                        v === undefined ? "missing" : "",
                        i === refIndex ? "ref" : "",
                        marks?.[i] ? "cell-differs" : "",
                      ];
                      return (
                        <td
                          key={i}
                          className={cls.filter(Boolean).join(" ")}
                          data-differs={marks?.[i] ? "1" : undefined}
                        >
                          {v === undefined ? "–" : valueText(v)}
                        </td>
                      );
                    })}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

/** A run's summary value of `key`, as the run page shows it: `run.summary[k]` wins. */
export function summaryValue(run: Run, key: string): unknown {
  const overrides = run.summary_overrides ?? {};
  return key in overrides ? overrides[key] : run.metrics[key]?.value;
}

export function SummaryCompare({ runs, keys: metricKeys, labels }: { runs: Run[]; keys: string[]; labels?: string[] }) {
  // keys set only with run.summary[k] = v (never logged) are part of the summary too
  const keys = [...new Set([...metricKeys, ...runs.flatMap((r) => Object.keys(r.summary_overrides ?? {}))])].sort();
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
            const values = runs.map((r) => summaryValue(r, k));
            const goal = runs.find((r) => r.metrics[k])?.metrics[k].goal;
            const overridden = runs.map((r) => k in (r.summary_overrides ?? {}));
            const best = runs.length > 1 ? starIndex(k, values, goal) : -1;
            return (
              <tr key={k} data-key={k}>
                <td className="key">{k}</td>
                {values.map((v, i) => (
                  <td
                    key={i}
                    className={`num${i === best ? " best" : ""}`}
                    data-best={i === best ? "1" : undefined}
                    data-override={overridden[i] ? "1" : undefined}
                    title={overridden[i] ? "set with run.summary" : undefined}
                  >
                    {v === undefined ? "–" : typeof v === "number" ? fmtNum(v) : valueText(v)}
                    {i === best && (
                      <span className="best-mark" title="best">
                        {" "}
                        ★
                      </span>
                    )}
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
