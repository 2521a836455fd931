import { QueryClientProvider } from "@tanstack/react-query";
import { StrictMode, Suspense, lazy } from "react";
import { createRoot } from "react-dom/client";
import { createBrowserRouter, RouterProvider } from "react-router";
import { Layout } from "./components/Layout";
import { Loading } from "./components/States";
import { createQueryClient } from "./lib/queryClient";
import { onDemand } from "./lib/onDemand";
import { ProjectsPage } from "./features/projects/ProjectsPage";
import { RunsPage } from "./features/runs/RunsPage";
import { NotFound } from "./components/NotFound";
import { AuthGate } from "./features/auth/AuthGate";
import "./styles.css";

// The run page and the comparison carry uPlot and the chart code: loaded on demand,
// so the first page stays small.
const RunPage = lazy(() => import("./features/run/RunPage"));
const ComparePage = lazy(() => import("./features/compare/ComparePage"));
// The model registry pages, likewise their own chunks.
const ModelsPage = lazy(() => import("./features/models/ModelsPage"));
const ModelPage = lazy(() => import("./features/models/ModelPage"));
const ModelComparePage = lazy(() => import("./features/models/ModelComparePage"));
const ModelVersionPage = lazy(() => import("./features/lineage/ModelVersionPage"));
// Sweeps and the analysis of runs (issue 15), their own chunks.
const SweepsPage = lazy(() => import("./features/sweeps/SweepsPage"));
const SweepPage = lazy(() => import("./features/sweeps/SweepPage"));
const AnalysisPage = lazy(() => import("./features/analysis/AnalysisPage"));
// Accounts (issue 12): tokens, users, a project's members, the audit log.
const TokensPage = lazy(() => import("./features/auth/TokensPage"));
const UsersPage = lazy(() => import("./features/auth/UsersPage"));
const MembersPage = lazy(() => import("./features/auth/MembersPage"));
const AuditPage = lazy(() => import("./features/auth/AuditPage"));

// Alerts (issue 15): a project's alerts, rules and delivery log.
const AlertsPage = lazy(() => import("./features/alerts/AlertsPage"));
// Reports (issue 16): Markdown documents with live charts, tables and run sets.
const ReportsPage = lazy(() => import("./features/reports/ReportsPage"));
const ReportPage = lazy(() => import("./features/reports/ReportPage"));
// A project's workspace of panels and its saved views (issue 16), its own chunk; not
// through lazy() and Suspense, whose reveal React holds back up to 300 ms (lib/onDemand).
const workspace = onDemand(() => import("./features/workspace/WorkspacePage"), <Loading what="page" />);

const lazyPage = (el: React.ReactNode) => <Suspense fallback={<Loading what="page" />}>{el}</Suspense>;

const router = createBrowserRouter([
  {
    element: (
      <AuthGate>
        <Layout />
      </AuthGate>
    ),
    children: [
      { path: "/", element: <ProjectsPage /> },
      { path: "/p/:project", element: <RunsPage /> },
      { path: "/p/:project/runs/:runId", element: lazyPage(<RunPage />) },
      { path: "/p/:project/compare", element: lazyPage(<ComparePage />) },
      { path: "/p/:project/alerts", element: lazyPage(<AlertsPage />) },
      { path: "/p/:project/workspace", element: <workspace.Page /> },
      { path: "/p/:project/sweeps", element: lazyPage(<SweepsPage />) },
      { path: "/p/:project/sweeps/:sweep", element: lazyPage(<SweepPage />) },
      { path: "/p/:project/analysis", element: lazyPage(<AnalysisPage />) },
      { path: "/p/:project/reports", element: lazyPage(<ReportsPage />) },
      { path: "/p/:project/reports/:reportId", element: lazyPage(<ReportPage />) },
      { path: "/p/:project/members", element: lazyPage(<MembersPage />) },
      { path: "/account/tokens", element: lazyPage(<TokensPage />) },
      { path: "/admin/users", element: lazyPage(<UsersPage />) },
      { path: "/admin/audit", element: lazyPage(<AuditPage />) },
      { path: "/models", element: lazyPage(<ModelsPage />) },
      { path: "/models/:name", element: lazyPage(<ModelPage />) },
      { path: "/models/:name/compare", element: lazyPage(<ModelComparePage />) },
      { path: "/models/:name/versions/:version", element: lazyPage(<ModelVersionPage />) },
      { path: "*", element: <NotFound /> },
    ],
  },
]);

const queryClient = createQueryClient();

// Opened at a workspace's link: its chunk, its view and the project's keys load beside
// the sign-in check, not after it.
if (/^\/p\/[^/]+\/workspace\/?$/.test(window.location.pathname)) {
  void workspace.load();
  void import("./features/workspace/queries").then((m) =>
    m.prefetchWorkspace(queryClient, window.location.pathname, window.location.search),
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  </StrictMode>,
);
