// One sweep: its controls (pause, resume, stop), the best-so-far curve, parallel
// coordinates of the parameters coloured by the objective, parameter importance and
// the trials table (each trial's run linked). Polls while the sweep runs.
import { Link, useParams } from "react-router";
import { ErrorBox, Loading, StateBadge } from "../../components/States";
import type { RunState } from "../../lib/api";
import { ImportanceBars } from "../analysis/ImportanceBars";
import { useAccess } from "../auth/queries";
import "../analysis/analysis.css";
import type { SweepDetail, SweepStatus, Trial } from "./api";
import { bestSoFar, fmt, goodness, paramAxes, rampColor } from "./logic";
import { useSetSweepStatus, useSweep, useSweepImportance } from "./queries";
import "./sweeps.css";

export default function SweepPage() {
  const { project = "", sweep = "" } = useParams();
  const q = useSweep(sweep);
  if (q.error) return <ErrorBox error={q.error} retry={() => void q.refetch()} />;
  if (!q.data) return <Loading what="sweep" />;
  return <SweepView project={project} detail={q.data} />;
}

function SweepView({ project, detail }: { project: string; detail: SweepDetail }) {
  const { sweep, trials } = detail;
  const names = Object.keys(sweep.spec.parameters as Record<string, unknown>);
  const done = trials.filter((t) => t.status === "complete").length;
  return (
    <section className="page" data-view="sweep" data-status={sweep.status}>
      <div className="page-head">
        <h1>
          Sweep {sweep.name} <span className={`badge sweep-${sweep.status}`}>{sweep.status}</span>
        </h1>
        <Controls project={project} name={sweep.name} status={sweep.status} />
      </div>
      <p className="muted">
        {sweep.method} · {sweep.goal} {sweep.metric} · {trials.length}/{sweep.run_cap} trials · best{" "}
        <strong data-best={sweep.best_value ?? ""}>{fmt(sweep.best_value)}</strong>
        {sweep.best_trial !== null && <> (trial {sweep.best_trial})</>} · runs in group <code>{sweep.group}</code>
      </p>
      <div className="sweep-panels">
        <div className="sweep-panel" data-panel="best-so-far">
          <h2>Best so far</h2>
          <BestCurve trials={trials} goal={sweep.goal} />
        </div>
        <div className="sweep-panel" data-panel="importance">
          <h2>Parameter importance</h2>
          <SweepImportance name={sweep.name} done={done} metric={sweep.metric} />
        </div>
      </div>
      <div className="sweep-panel" data-panel="parallel">
        <h2>Parameters, coloured by {sweep.metric}</h2>
        <Parallel trials={trials} names={names} goal={sweep.goal} />
      </div>
      <h2>Trials</h2>
      <TrialsTable project={project} trials={trials} names={names} />
    </section>
  );
}

function Controls({ project, name, status }: { project: string; name: string; status: string }) {
  const change = useSetSweepStatus(name);
  const { canWrite, readOnly } = useAccess(project);
  const button = (to: SweepStatus, label: string) => (
    <button
      key={to}
      disabled={change.isPending || !canWrite}
      title={readOnly || undefined}
      onClick={() => change.mutate(to)}
      data-action={to}
    >
      {label}
    </button>
  );
  return (
    <div className="sweep-controls">
      {status === "running" && [button("paused", "Pause"), button("stopped", "Stop")]}
      {status === "paused" && [button("running", "Resume"), button("stopped", "Stop")]}
      {status === "stopped" && button("running", "Resume")}
      {change.error && <ErrorBox error={change.error} />}
    </div>
  );
}

function SweepImportance({ name, done, metric }: { name: string; done: number; metric: string }) {
  const q = useSweepImportance(name, done);
  if (q.error) return <ErrorBox error={q.error} retry={() => void q.refetch()} />;
  if (!q.data) return <Loading what="importance" />;
  return <ImportanceBars params={q.data.params} metric={metric} />;
}

const W = 520;
const H = 220;
const P = { l: 56, r: 12, t: 12, b: 28 };

function BestCurve({ trials, goal }: { trials: Trial[]; goal: string }) {
  const points = bestSoFar(trials, goal);
  if (points.length === 0) return <p className="muted">No complete trial yet.</p>;
  const xs = points.map((p) => p.trial);
  const ys = points.map((p) => p.value);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs, x0 + 1);
  const y0 = Math.min(...ys);
  const y1 = Math.max(...ys, y0 + 1e-12);
  const sx = (x: number) => P.l + ((x - x0) / (x1 - x0)) * (W - P.l - P.r);
  const sy = (y: number) => H - P.b - ((y - y0) / (y1 - y0)) * (H - P.t - P.b);
  const path = points.map((p, i) => `${i ? "L" : "M"}${sx(p.trial)},${sy(p.best)}`).join(" ");
  return (
    <svg width={W} height={H} className="sweep-chart" role="img" aria-label="best value so far by trial">
      <line x1={P.l} y1={H - P.b} x2={W - P.r} y2={H - P.b} className="axis" />
      <line x1={P.l} y1={P.t} x2={P.l} y2={H - P.b} className="axis" />
      <text x={P.l - 4} y={sy(y1) + 4} textAnchor="end" className="tick">
        {fmt(y1)}
      </text>
      <text x={P.l - 4} y={sy(y0) + 4} textAnchor="end" className="tick">
        {fmt(y0)}
      </text>
      <text x={W - P.r} y={H - 8} textAnchor="end" className="tick">
        trial
      </text>
      {points.map((p) => (
        <circle key={p.trial} cx={sx(p.trial)} cy={sy(p.value)} r={3} className="trial-dot" data-trial={p.trial} />
      ))}
      <path d={path} className="best-line" data-points={points.length} />
    </svg>
  );
}

function Parallel({ trials, names, goal }: { trials: Trial[]; names: string[]; goal: string }) {
  const complete = trials.filter((t) => t.status === "complete" && t.value !== null);
  if (complete.length === 0 || names.length === 0) return <p className="muted">No complete trial yet.</p>;
  const axes = paramAxes(complete, names);
  const values = complete.map((t) => t.value as number);
  const width = Math.max(W, 140 * (axes.length + 1));
  const ax = (i: number) => P.l + (i / axes.length) * (width - P.l - P.r - 40);
  const ay = (t: number) => H - P.b - t * (H - P.t - P.b);
  const objective = { lo: Math.min(...values), hi: Math.max(...values) };
  const vt = (v: number) => (objective.hi > objective.lo ? (v - objective.lo) / (objective.hi - objective.lo) : 0.5);
  return (
    <svg width={width} height={H} className="sweep-chart" role="img" aria-label="parallel coordinates">
      {complete.map((t) => {
        const pts = axes.map((a, i) => {
          const place = a.place(t.params[a.name]);
          return place === null ? null : `${ax(i)},${ay(place)}`;
        });
        pts.push(`${ax(axes.length)},${ay(vt(t.value as number))}`);
        const d = pts.filter((p) => p !== null).join(" L");
        const color = rampColor(goodness(t.value as number, values, goal));
        return <path key={t.number} d={`M${d}`} stroke={color} className="pc-line" data-trial={t.number} />;
      })}
      {[...axes.map((a) => a.name), "objective"].map((name, i) => (
        <g key={name}>
          <line x1={ax(i)} y1={P.t} x2={ax(i)} y2={H - P.b} className="axis" />
          <text x={ax(i)} y={H - 8} textAnchor="middle" className="tick">
            {name}
          </text>
        </g>
      ))}
      {axes.map((a, i) =>
        a.ticks.map((t) => (
          <text key={`${a.name}-${t.label}`} x={ax(i) + 4} y={ay(t.at) + 4} className="tick">
            {t.label}
          </text>
        )),
      )}
    </svg>
  );
}

function TrialsTable({ project, trials, names }: { project: string; trials: Trial[]; names: string[] }) {
  return (
    <div className="wide">
      <table className="grid trials-table" data-count={trials.length}>
        <thead>
          <tr>
            <th className="num">#</th>
            <th>Trial</th>
            <th>Run</th>
            <th className="num">Value</th>
            {names.map((n) => (
              <th key={n}>{n}</th>
            ))}
            <th>Note</th>
          </tr>
        </thead>
        <tbody>
          {[...trials]
            .sort((a, b) => a.number - b.number)
            .map((t) => (
              <tr key={t.number} data-trial={t.number} data-status={t.status}>
                <td className="num">{t.number}</td>
                <td>
                  <span className={`badge trial-${t.status}`}>{t.status}</span>
                </td>
                <td>
                  {t.run_id && t.run_state ? (
                    <Link to={`/p/${encodeURIComponent(project)}/runs/${t.run_id}`}>
                      <StateBadge state={t.run_state as RunState} />
                    </Link>
                  ) : (
                    <span className="muted">{t.run_id ?? "–"}</span>
                  )}
                </td>
                <td className="num">{fmt(t.value)}</td>
                {names.map((n) => (
                  <td key={n}>{fmt(t.params[n])}</td>
                ))}
                <td className="muted">{t.error ?? ""}</td>
              </tr>
            ))}
        </tbody>
      </table>
    </div>
  );
}
