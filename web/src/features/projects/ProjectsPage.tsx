// Every project, live: GET /events without a project or run streams every event, so
// new projects, run counts and activity show up as they happen.
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef } from "react";
import { Link } from "react-router";
import { Empty, ErrorBox, Loading } from "../../components/States";
import { fmtAgo, fmtDate } from "../../lib/format";
import { useLiveEvents } from "../../lib/live";
import { str, useUrlState } from "../../lib/urlState";
import { runsHref } from "../runs/prefs";
import { invalidateProjects, useProjects } from "./queries";

const schema = { search: str("q") };

export function ProjectsPage() {
  const [state, setState] = useUrlState(schema);
  const qc = useQueryClient();
  // every event of every project; a burst (a sweep starting) is one refetch per 1.5 s
  const live = useLiveEvents({}, () => void invalidateProjects(qc), 1500);
  const projects = useProjects(live === "error"); // polled while the stream is down
  const wasDown = useRef(false);
  useEffect(() => {
    if (live === "open" && wasDown.current) void invalidateProjects(qc); // events may have been missed
    wasDown.current = live === "error";
  }, [live, qc]);
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
        <ErrorBox error={projects.error} retry={() => void projects.refetch()} />
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
