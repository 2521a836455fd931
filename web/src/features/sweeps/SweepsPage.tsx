// A project's sweeps: status, method, trials by state, best value; each links to its page.
import { Link, useParams } from "react-router";
import { Empty, ErrorBox, Loading } from "../../components/States";
import { fmtAgo } from "../../lib/format";
import { sweepPath } from "./api";
import { fmt } from "./logic";
import { useSweeps } from "./queries";
import "./sweeps.css";

export default function SweepsPage() {
  const { project = "" } = useParams();
  const sweeps = useSweeps(project);
  return (
    <section className="page" data-view="sweeps">
      <div className="page-head">
        <h1>Sweeps</h1>
      </div>
      {sweeps.error ? (
        <ErrorBox error={sweeps.error} retry={() => void sweeps.refetch()} />
      ) : !sweeps.data ? (
        <Loading what="sweeps" />
      ) : sweeps.data.length === 0 ? (
        <Empty title="No sweeps in this project">
          Create one with <code>heron sweep create sweep.yaml</code>, then run{" "}
          <code>heron agent NAME -- python train.py</code>.
        </Empty>
      ) : (
        <table className="grid sweeps-table" data-count={sweeps.data.length}>
          <thead>
            <tr>
              <th>Sweep</th>
              <th>Status</th>
              <th>Method</th>
              <th>Objective</th>
              <th className="num">Trials</th>
              <th className="num">Best</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {sweeps.data.map((s) => (
              <tr key={s.name} data-sweep={s.name}>
                <td>
                  <Link className="strong" to={sweepPath(project, s.name)}>
                    {s.name}
                  </Link>
                </td>
                <td>
                  <span className={`badge sweep-${s.status}`}>{s.status}</span>
                </td>
                <td>{s.method}</td>
                <td>
                  {s.goal} {s.metric}
                </td>
                <td className="num">
                  {Object.values(s.counts).reduce((a, b) => a + b, 0)}/{s.run_cap}
                </td>
                <td className="num">{fmt(s.best_value)}</td>
                <td>{fmtAgo(s.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
