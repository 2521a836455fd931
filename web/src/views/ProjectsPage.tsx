import { useEffect, useMemo } from "react";
import { Link } from "react-router";
import { Empty, ErrorBox, Loading } from "../components/States";
import { api } from "../lib/api";
import { fmtAgo, fmtDate } from "../lib/format";
import { useAsync, useUrlState } from "../lib/hooks";
import { str } from "../lib/urlState";

const schema = { search: str("q") };

export function ProjectsPage() {
  const [state, setState] = useUrlState(schema);
  const projects = useAsync((signal) => api.projects(signal), []);
  // run counts change as runs start; there is no all-projects event stream, so poll gently
  const { reload } = projects;
  useEffect(() => {
    const t = window.setInterval(reload, 10_000);
    return () => window.clearInterval(t);
  }, [reload]);
  const shown = useMemo(() => {
    const q = state.search.trim().toLowerCase();
    const all = [...(projects.data ?? [])].sort((a, b) => (b.last_activity ?? 0) - (a.last_activity ?? 0));
    return q ? all.filter((p) => p.name.toLowerCase().includes(q)) : all;
  }, [projects.data, state.search]);
  return (
    <section className="page" data-view="projects">
      <div className="page-head">
        <h1>Projects</h1>
        <input
          type="search"
          className="search"
          placeholder="Search projects"
          aria-label="Search projects"
          value={state.search}
          onChange={(e) => setState({ search: e.target.value }, { replace: true })}
        />
      </div>
      {projects.error ? (
        <ErrorBox error={projects.error} retry={projects.reload} />
      ) : !projects.data ? (
        <Loading what="projects" />
      ) : projects.data.length === 0 ? (
        <Empty title="No runs yet">
          Start one with <code>heron.init(project="demo")</code> in a training script; it shows up here.
        </Empty>
      ) : shown.length === 0 ? (
        <Empty title={`No project matches “${state.search}”`} />
      ) : (
        <table className="grid projects" data-count={shown.length}>
          <thead>
            <tr>
              <th>Project</th>
              <th className="num">Runs</th>
              <th>Last activity</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((p) => (
              <tr key={p.name} data-project={p.name}>
                <td>
                  <Link to={`/p/${encodeURIComponent(p.name)}`}>{p.name}</Link>
                </td>
                <td className="num">{p.run_count.toLocaleString("en-US")}</td>
                <td title={fmtDate(p.last_activity)}>{fmtAgo(p.last_activity)}</td>
                <td>{fmtDate(p.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

