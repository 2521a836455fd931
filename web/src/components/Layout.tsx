import { Link, NavLink, Outlet, useMatch, useParams, useSearchParams } from "react-router";
import { useTheme } from "../lib/theme";
import { AlertsBell } from "../features/alerts/Bell";
import { useRunsHref } from "../features/runs/prefs";
import { analysisHref } from "../features/analysis/links";
import { ProjectAccountNav, UserMenu } from "../features/auth/UserMenu";

export function Layout() {
  const [theme, toggle] = useTheme();
  const { project, name: model } = useParams();
  const [params] = useSearchParams();
  const onRuns = useMatch("/p/:project") !== null; // the analysis then takes the runs in view
  return (
    <div className="app">
      <header className="topbar">
        <Link to="/" className="brand" aria-label="Heron: all projects">
          <svg width="18" height="18" viewBox="0 0 16 16" aria-hidden="true">
            <circle cx="8" cy="8" r="7" fill="var(--accent)" />
          </svg>
          Heron
        </Link>
        {project && (
          <nav className="crumbs" aria-label="breadcrumb">
            <span className="sep">/</span>
            <ProjectCrumb project={project} />
          </nav>
        )}
        {model && (
          <nav className="crumbs" aria-label="breadcrumb">
            <span className="sep">/</span>
            <Link to="/models">models</Link>
            <span className="sep">/</span>
            <Link to={`/models/${encodeURIComponent(model)}`}>{model}</Link>
          </nav>
        )}
        <span className="spacer" />
        {project && (
          <>
            <NavLink to={`/p/${encodeURIComponent(project)}/workspace`} className="nav-link">
              Workspace
            </NavLink>
            <NavLink to={`/p/${encodeURIComponent(project)}/sweeps`} className="nav-link">
              Sweeps
            </NavLink>
            <NavLink to={analysisHref(project, onRuns ? params : null)} className="nav-link">
              Analysis
            </NavLink>
            <NavLink to={`/p/${encodeURIComponent(project)}/alerts`} className="nav-link">
              Alerts
            </NavLink>
            <NavLink to={`/p/${encodeURIComponent(project)}/reports`} className="nav-link">
              Reports
            </NavLink>
            <ProjectAccountNav project={project} />
          </>
        )}
        <NavLink to="/models" className="nav-link">
          Models
        </NavLink>
        <AlertsBell />
        <button
          className="ghost"
          onClick={toggle}
          title="Switch between light and dark"
          aria-label={`Switch to ${theme === "dark" ? "light" : "dark"} theme`}
        >
          {theme === "dark" ? "☀ Light" : "☾ Dark"}
        </button>
        <UserMenu project={project} />
      </header>
      <main className="content">
        <Outlet />
      </main>
    </div>
  );
}

/** The project's runs table as last seen (filter, sort, columns...). */
function ProjectCrumb({ project }: { project: string }) {
  return <Link to={useRunsHref(project)}>{project}</Link>;
}
