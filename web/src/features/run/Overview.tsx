// A run at a glance: state and why it ended, times, command, code, host, hardware,
// packages, then its summary.
import { useState, type ReactNode } from "react";
import { Link } from "react-router";
import { StateBadge } from "../../components/States";
import type { Run } from "../../lib/api";
import { fmtDate, fmtDuration, fmtNum } from "../../lib/format";
import { asText, getPath } from "../../lib/get";
import { ReproducibilityCard } from "../lineage/Reproducibility";
import { useAccess } from "../auth/queries";
import { TagEditor } from "../runs/TagEditor";

function Item({ label, children }: { label: string; children: ReactNode }) {
  if (children === null || children === undefined || children === "") return null;
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  );
}

export function Overview({ run, diffLink }: { run: Run; diffLink: string | null }) {
  const sys = run.system ?? {};
  const argv = getPath(sys, "program.process.argv");
  const command = Array.isArray(argv) ? argv.join(" ") : null;
  const git = getPath(sys, "git") as Record<string, unknown> | null | undefined;
  const gpus = getPath(sys, "environment.gpu.devices");
  const gpuText =
    Array.isArray(gpus) && gpus.length
      ? gpus.map((g: Record<string, unknown>) => `${asText(g.name)} (${asText(g.memory_gb)} GB)`).join(", ")
      : asText(getPath(sys, "environment.gpu.nvml"))
        ? "none"
        : null;
  const ended = run.state !== "running";
  const { canWrite } = useAccess(run.project);
  return (
    <div className="overview" data-view="overview">
      {(run.state === "failed" || run.state === "crashed" || run.state === "killed") && (
        <div className={`callout state-${run.state}`} role="status" data-testid="end-reason">
          <strong>Run {run.state}.</strong>{" "}
          {run.error ?? (run.state === "crashed" ? "The process stopped reporting (no heartbeat)." : "")}
          {run.traceback && (
            <details>
              <summary>Traceback</summary>
              <pre className="code">{run.traceback}</pre>
            </details>
          )}
        </div>
      )}
      <div className="cards">
        <section className="card">
          <h3>Run</h3>
          <dl>
            <Item label="State">
              <StateBadge state={run.state} />
            </Item>
            <Item label="Id">
              <code>{run.id}</code>
            </Item>
            <Item label="Group">{run.group}</Item>
            <Item label="Tags">
              <TagEditor project={run.project} runId={run.id} tags={run.tags} canWrite={canWrite} />
            </Item>
            <Item label="Created">{fmtDate(run.created_at)}</Item>
            <Item label={ended ? "Ended" : "Last heartbeat"}>{fmtDate(ended ? run.ended_at : run.heartbeat_at)}</Item>
            <Item label="Duration">
              <span title="Active time: the time between a crash and a resume is not counted">
                {fmtDuration(run.duration)}
              </span>
            </Item>
            <Item label="Last step">{run.last_step === null ? null : fmtNum(run.last_step)}</Item>
          </dl>
        </section>
        <section className="card">
          <h3>Code</h3>
          <dl>
            <Item label="Command">{command && <code className="wrap">{command}</code>}</Item>
            <Item label="Directory">{asText(getPath(sys, "program.process.cwd"))}</Item>
            <Item label="Commit">
              {git?.commit ? (
                <>
                  <code>{String(git.commit).slice(0, 12)}</code>
                  {git.dirty ? (
                    <span className="badge dirty" title="Uncommitted changes were recorded as a diff">
                      dirty
                    </span>
                  ) : null}
                  {git.dirty && diffLink ? (
                    <Link to={diffLink} className="small">
                      view diff
                    </Link>
                  ) : null}
                </>
              ) : git === null ? (
                <span className="muted">not a git repository</span>
              ) : null}
            </Item>
            <Item label="Branch">{asText(git?.branch)}</Item>
            <Item label="Remote">{asText(git?.remote_url)}</Item>
          </dl>
        </section>
        <section className="card">
          <h3>Environment</h3>
          <dl>
            <Item label="Host">{asText(getPath(sys, "environment.platform.hostname"))}</Item>
            <Item label="OS">{asText(getPath(sys, "environment.platform.platform"))}</Item>
            <Item label="CPU">{asText(getPath(sys, "environment.cpu.model"))}</Item>
            <Item label="GPU">{gpuText}</Item>
            <Item label="Python">{asText(getPath(sys, "program.python.version"))}</Item>
            <Item label="torch">{asText(getPath(sys, "environment.torch.version"))}</Item>
            <Item label="Heron">{asText(getPath(sys, "heron.version"))}</Item>
          </dl>
        </section>
        <ReproducibilityCard run={run} />
      </div>
      <Packages packages={getPath(sys, "packages")} />
    </div>
  );
}

function Packages({ packages }: { packages: unknown }) {
  const [q, setQ] = useState("");
  if (!Array.isArray(packages) || packages.length === 0) return null;
  const list = packages as { name: string; version: string }[];
  const shown = list.filter((p) => p.name.toLowerCase().includes(q.toLowerCase()));
  return (
    <details className="card packages">
      <summary>
        Packages <span className="muted">({list.length})</span>
      </summary>
      <input type="search" placeholder="Search packages" value={q} onChange={(e) => setQ(e.target.value)} />
      <div className="package-list">
        {shown.map((p) => (
          <span key={p.name} className="package">
            {p.name} <span className="muted">{p.version}</span>
          </span>
        ))}
      </div>
    </details>
  );
}

export function SummaryTable({ run }: { run: Run }) {
  const metricKeys = Object.keys(run.metrics).sort();
  const overrides = Object.keys(run.summary_overrides ?? {}).filter((k) => !(k in run.metrics));
  if (metricKeys.length === 0 && overrides.length === 0) return null;
  return (
    <table className="grid summary" data-view="summary">
      <thead>
        <tr>
          <th>Metric</th>
          <th className="num">Value</th>
          <th className="num">Last</th>
          <th className="num">Min</th>
          <th className="num">Max</th>
          <th className="num">Points</th>
          <th className="num">Last step</th>
        </tr>
      </thead>
      <tbody>
        {metricKeys.map((k) => {
          const m = run.metrics[k];
          const shown = k in (run.summary_overrides ?? {}) ? run.summary_overrides[k] : m.value;
          return (
            <tr key={k} data-key={k}>
              <td>
                {k} {m.goal !== "last" && <span className="muted small">({m.goal})</span>}
              </td>
              <td className="num strong">{fmtNum(shown)}</td>
              <td className="num">{fmtNum(m.last)}</td>
              <td className="num">{fmtNum(m.min)}</td>
              <td className="num">{fmtNum(m.max)}</td>
              <td className="num">{fmtNum(m.count)}</td>
              <td className="num">{fmtNum(m.last_step)}</td>
            </tr>
          );
        })}
        {overrides.map((k) => (
          <tr key={k} data-key={k}>
            <td>{k}</td>
            <td className="num strong">{fmtNum(run.summary_overrides[k])}</td>
            <td colSpan={5} className="muted">
              set with run.summary
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
