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

/** PATCH /runs/{id}: what changes (tags added and removed). */
export interface RunPatch {
  name?: string;
  notes?: string;
  add_tags?: string[];
  remove_tags?: string[];
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

// --- the model registry (docs/rest-api.md#model-registry) ---

export type Stage = "none" | "staging" | "production" | "archived";

export interface Model {
  name: string;
  description: string;
  tags: Record<string, string>;
  protected: string[];
  created_by: string;
  created_at: number;
  updated_at: number;
  latest_version: number | null;
  stages: Partial<Record<Stage, number[]>>;
  aliases: Record<string, number>;
}

export interface ModelVersion {
  model: string;
  version: number;
  stage: Stage;
  aliases: string[];
  description: string;
  tags: Record<string, string>;
  run_id: string | null;
  artifact_id: number;
  artifact_digest: string;
  created_by: string;
  created_at: number;
  updated_at: number;
  uri: string;
}

export interface VersionDetail extends ModelVersion {
  artifact: ArtifactVersion;
  run: Run | null; // null: the source run was deleted
}

export interface HistoryEntry {
  id: number;
  model: string;
  version: number | null;
  kind: "stage" | "alias";
  name: string | null;
  from_value: string | null;
  to_value: string | null;
  actor: string;
  actor_admin: boolean;
  reason: string | null;
  time: number;
  rollback_of: number | null;
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

export const post = (body: unknown, signal?: AbortSignal): RequestInit => ({
  method: "POST",
  body: JSON.stringify(body),
  signal,
});

export function qs(params: Record<string, string | string[] | number | boolean | undefined | null>): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "") continue;
    for (const item of Array.isArray(v) ? v : [v]) sp.append(k, String(item));
  }
  const s = sp.toString();
  return s ? `?${s}` : "";
}

export const enc = encodeURIComponent;
/** A '/'-separated file path with each segment escaped (slashes kept). */
export const encPath = (p: string): string => p.split("/").map(enc).join("/");

/** Summary values may be non-finite strings on the wire; make them numbers again. */
export function decodeRun(run: Run): Run {
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
