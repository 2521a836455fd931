// Parameter importance as bars: the random forest's share, and the correlation's sign
// and size beside it. Draws what it is given (the sweep page and the analysis page).
import type { ParamImportance } from "./api";

export function ImportanceBars({ params, metric }: { params: ParamImportance[]; metric: string }) {
  if (params.length === 0) return <p className="muted">Not enough runs with a value of {metric} yet (3 or more).</p>;
  return (
    <table className="grid importance" data-metric={metric}>
      <thead>
        <tr>
          <th>Parameter</th>
          <th>Importance</th>
          <th className="num">Correlation</th>
        </tr>
      </thead>
      <tbody>
        {params.map((p) => (
          <tr key={p.name} data-param={p.name}>
            <td>{p.name}</td>
            <td>
              <span className="importance-bar" style={{ width: `${Math.round((p.importance ?? 0) * 100)}%` }} />
              <span className="muted"> {p.importance === null ? "–" : p.importance.toFixed(2)}</span>
            </td>
            <td className="num">
              {p.correlation === null ? (
                <span className="muted">–</span>
              ) : (
                <span className={p.correlation >= 0 ? "corr-pos" : "corr-neg"}>{p.correlation.toFixed(2)}</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
