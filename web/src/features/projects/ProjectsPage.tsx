// Every project, live: GET /events without a project or run streams every event, so
// new projects, run counts and activity show up as they happen.
import { useEffect, useMemo, useRef } from "react";
import { Link } from "react-router";
import { Empty, ErrorBox, Loading } from "../../components/States";
import { api } from "../../lib/api";
import { fmtAgo, fmtDate } from "../../lib/format";
import { useAsync, useLiveEvents, useUrlState } from "../../lib/hooks";
import { runsHref } from "../runs/prefs";
import { str } from "../../lib/urlState";

const schema = { search: str("q") };
const FALLBACK_POLL_MS = 30_000; // only while the event stream is down

export function ProjectsPage() {
  const [state, setState] = useUrlState(schema);
  const projects = useAsync((signal) => api.projects(signal), []);
  const { reload } = projects;
  // every event of every project; a burst (a sweep starting) is one refetch per 1.5 s
  const live = useLiveEvents({}, reload, 1500);
  const wasDown = useRef(false);
  useEffect(() => {
    if (live === "open" && wasDown.current) reload(); // events may have been missed
    wasDown.current = live === "error";
    if (live !== "error") return;
    const t = window.setInterval(reload, FALLBACK_POLL_MS);
    return () => window.clearInterval(t);
  }, [live, reload]);
  const shown = useMemo(() => {
    const q = state.search.trim().toLowerCase();
    const all = [...(projects.data ?? [])].sort((a, b) => (b.last_activity ?? 0) - (a.last_activity ?? 0));
    return q ? all.filter((p) => p.name.toLowerCase().includes(q)) : all;
  }, [projects.data, state.search]);
  return (
    <section className="page" data-view="projects" data-live={live}>
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
                  <Link to={runsHref(p.name)}>{p.name}</Link>
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
