// A project's reports (docs/rest-api.md: /projects/{project}/reports).
import type { components } from "../../api/schema";
import { enc, post, request } from "../../lib/api";

export type Report = components["schemas"]["ReportDocument"];
export type ReportSummary = components["schemas"]["ReportSummary"];
type NewReport = components["schemas"]["NewReport"];
type ReportPatch = components["schemas"]["ReportPatch"];

const base = (project: string) => `/projects/${enc(project)}/reports`;

export const reportsApi = {
  list: (project: string, signal?: AbortSignal) => request<ReportSummary[]>(base(project), { signal }),
  get: (project: string, id: number, signal?: AbortSignal) => request<Report>(`${base(project)}/${id}`, { signal }),
  create: (project: string, body: NewReport) => request<Report>(base(project), post<NewReport>(body)),
  update: (project: string, id: number, patch: ReportPatch) =>
    request<Report>(`${base(project)}/${id}`, { method: "PATCH", body: JSON.stringify(patch) }),
  remove: (project: string, id: number) => request<void>(`${base(project)}/${id}`, { method: "DELETE" }),
};

export const reportKeys = {
  list: (project: string) => ["reports", project] as const,
  one: (project: string, id: number) => ["reports", project, id] as const,
};

/** The Markdown a new report starts with: one of each block, to edit. */
export const STARTER = `# Findings

What we tried and what we saw.

\`\`\`heron-chart
title: Validation accuracy
runs: state = "finished"
keys: val/acc
limit: 5
\`\`\`

\`\`\`heron-table
runs: state = "finished"
columns: val/acc, val/loss, config.lr
sort: -metrics.val/acc
limit: 10
\`\`\`

\`\`\`heron-runs
runs: tags has "baseline"
\`\`\`
`;
