// The HTTP client for docs/rest-api.md. Every call goes through `request`, which turns
// RFC 7807 problem JSON into an ApiError carrying the server's message.
import { decodeNumber } from "./wire";

export const API = "/api/v1";

export type RunState = "running" | "finished" | "failed" | "killed" | "crashed";
export const RUN_STATES: RunState[] = ["running", "finished", "failed", "killed", "crashed"];

export interface MetricSummary {
  count: number;
  last: number;
  last_step: number;
  last_time: number;
  min: number;
  max: number;
  first_time: number;
  goal: "last" | "min" | "max";
  x_axis: string | null;
  value: number;
}

export interface Run {
  id: string;
  project: string;
  name: string;
  group: string | null;
  state: RunState;
  tags: string[];
  notes: string;
  config: Record<string, unknown>;
  system: Record<string, unknown>;
  metrics: Record<string, MetricSummary>;
  summary: Record<string, unknown>;
  summary_overrides: Record<string, unknown>;
  created_at: number;
  ended_at: number | null;
  heartbeat_at: number | null;
  duration: number | null;
  error: string | null;
  traceback: string | null;
  last_step: number | null;
}

export interface Project {
  name: string;
  run_count: number;
  created_at: number;
  last_activity: number | null;
}

export interface ProjectKeys {
  config: string[];
  metrics: string[];
  summary: string[];
  tags: string[];
}

export type Cell = number | string | boolean | null | unknown[];

export interface TableRows {
  total: number;
  ids: string[];
  names: string[];
  states: RunState[];
  groups: (string | null)[];
  tags: string[][];
  created_at: number[];
  durations: (number | null)[];
  columns: Record<string, Cell[]>;
}

export interface TableQuery {
  project: string;
  filter?: string;
  order_by?: string[];
  columns?: string[];
  limit?: number;
  offset?: number;
}

/** POST /projects/{project}/runs/bulk: ids, or a filter ("" for all) less exclusions. */
export type BulkRequest = ({ ids: string[] } | { filter: string; exclude?: string[] }) & {
  action: "add_tags" | "remove_tags" | "delete";
  tags?: string[];
  force?: boolean;
  dry_run?: boolean;
};

export interface BulkResult {
  action: string;
  matched: number;
  running: number;
  done: number;
  failed: { id: string; status: number; detail: string }[];
  limit: number;
}

/** One line a run printed (GET /runs/{id}/console); `partial`: still being redrawn. */
export interface ConsoleLine {
  line: number;
  stream: "stdout" | "stderr";
  time: number;
  text: string;
  truncated: boolean;
  partial: boolean;
}

export interface ConsolePage {
  lines: ConsoleLine[];
  total: number;
}

export interface FileEntry {
  path: string;
  digest: string;
  size: number;
}

export interface ArtifactVersion {
  id: number;
  project: string;
  name: string;
  version: number;
  ref: string;
  type: string;
  digest: string;
  size: number;
  files: FileEntry[];
  aliases: string[];
  metadata: Record<string, unknown>;
  created_by: string | null;
  created_at: number;
  used_by: string[];
}

export interface SeriesQuery {
  runs: string[];
  keys: string[];
  x_axis: string;
  buckets: number;
  x_min?: number | null;
  x_max?: number | null;
}

/** One downsampled series as the server sends it (non-finite values as strings). */
export interface WireSeries {
  run: string;
  key: string;
  total: number;
  sampled: boolean;
  x: number[];
  y: number[];
  min: number[];
  max: number[];
  nonfinite: { x: number[]; y: string[] };
}

export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly type: string;
  constructor(status: number, title: string, detail: string, type = "") {
    super(detail || title || `HTTP ${status}`);
    this.status = status;
    this.title = title;
    this.type = type;
  }
}

/** One call to the API; non-2xx answers throw an ApiError with the server's message. */
export async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(API + path, {
      ...init,
      headers: init.body ? { "content-type": "application/json", ...init.headers } : init.headers,
    });
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    throw new ApiError(0, "Server unreachable", "Cannot reach the Heron server. Is `heron server` running?");
  }
  if (!res.ok) {
    let title = res.statusText;
    let detail = "";
    let type = "";
    try {
      const body = (await res.json()) as { title?: string; detail?: unknown; type?: string };
      title = body.title ?? title;
      detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail ?? "");
      type = body.type ?? "";
    } catch {
      // not problem JSON (a proxy's error page): keep the status text
    }
    throw new ApiError(res.status, title, detail, type);
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

const post = (body: unknown, signal?: AbortSignal): RequestInit => ({
  method: "POST",
  body: JSON.stringify(body),
  signal,
});

function qs(params: Record<string, string | string[] | number | boolean | undefined | null>): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "") continue;
    for (const item of Array.isArray(v) ? v : [v]) sp.append(k, String(item));
  }
  const s = sp.toString();
  return s ? `?${s}` : "";
}

const enc = encodeURIComponent;
/** A '/'-separated file path with each segment escaped (slashes kept). */
export const encPath = (p: string): string => p.split("/").map(enc).join("/");

/** Summary values may be non-finite strings on the wire; make them numbers again. */
function decodeRun(run: Run): Run {
  const metrics: Record<string, MetricSummary> = {};
  for (const [k, m] of Object.entries(run.metrics ?? {})) {
    metrics[k] = {
      ...m,
      last: decodeNumber(m.last),
      min: decodeNumber(m.min),
      max: decodeNumber(m.max),
      value: decodeNumber(m.value),
    };
  }
  return { ...run, metrics };
}

export const api = {
  projects: (signal?: AbortSignal) => request<Project[]>("/projects", { signal }),
  keys: (project: string, signal?: AbortSignal) => request<ProjectKeys>(`/projects/${enc(project)}/keys`, { signal }),
  table: (q: TableQuery, signal?: AbortSignal) => request<TableRows>("/runs/table", post(q, signal)),
  count: (project: string, filter: string, signal?: AbortSignal) =>
    request<{ count: number }>(`/runs/count${qs({ project, filter })}`, { signal }),
  run: async (id: string, signal?: AbortSignal) => decodeRun(await request<Run>(`/runs/${enc(id)}`, { signal })),
  patchRun: async (id: string, body: { name?: string; notes?: string; add_tags?: string[]; remove_tags?: string[] }) =>
    decodeRun(await request<Run>(`/runs/${enc(id)}`, { method: "PATCH", body: JSON.stringify(body) })),
  bulkRuns: (project: string, body: BulkRequest) =>
    request<BulkResult>(`/projects/${enc(project)}/runs/bulk`, post(body)),
  series: (q: SeriesQuery, signal?: AbortSignal) => request<{ series: WireSeries[] }>("/series", post(q, signal)),
  files: (id: string, signal?: AbortSignal) => request<FileEntry[]>(`/runs/${enc(id)}/files`, { signal }),
  fileUrl: (id: string, path: string) => `${API}/runs/${enc(id)}/files/${encPath(path)}`,
  runArtifacts: (id: string, signal?: AbortSignal) =>
    request<ArtifactVersion[]>(`/runs/${enc(id)}/artifacts${qs({ produced: true, used: true })}`, { signal }),
  artifactFileUrl: (versionId: number, path: string) => `${API}/artifacts/${versionId}/files/${encPath(path)}`,
  console: (id: string, q: { after?: number; limit?: number; tail?: number }, signal?: AbortSignal) =>
    request<ConsolePage>(`/runs/${enc(id)}/console${qs(q)}`, { signal }),
  consoleTextUrl: (id: string) => `${API}/runs/${enc(id)}/console.txt`,
};
