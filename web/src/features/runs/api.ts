// A project's runs: its keys, pages of the runs table, bulk actions (docs/rest-api.md).
import {
  enc,
  post,
  request,
  type BulkRequest,
  type BulkResult,
  type ProjectKeys,
  type TableQuery,
  type TableRows,
} from "../../lib/api";

export const runsApi = {
  keys: (project: string, signal?: AbortSignal) => request<ProjectKeys>(`/projects/${enc(project)}/keys`, { signal }),
  table: (q: TableQuery, signal?: AbortSignal) => request<TableRows>("/runs/table", post<TableQuery>(q, signal)),
  bulk: (project: string, body: BulkRequest) =>
    request<BulkResult>(`/projects/${enc(project)}/runs/bulk`, post<BulkRequest>(body)),
};
