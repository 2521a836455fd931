// The HTTP client for docs/rest-api.md, and the types of what goes over the wire. Every
// call goes through `request`, which turns RFC 7807 problem JSON into an ApiError
// carrying the server's message.
//
// The types come from the server's OpenAPI document (src/api/schema.d.ts, written by
// scripts/web-types) wherever it has them: the request bodies, query parameters and the
// keys answer. Most routes still answer untyped dicts, so their answers are typed here
// by hand, each marked TODO(schema) with its route: once the server declares a response
// model and the schema is regenerated, switch the type to `Schemas[...]`. Floats that
// may be NaN or ±inf arrive as `WireNumber`s and are decoded in lib/wire.ts.
import type { components, paths } from "../api/schema";
import { decodeNumber, type Decoded, type WireNumber } from "./wire";

export type { WireNumber } from "./wire";

type Schemas = components["schemas"];
/** The JSON answer (200) of a route, as the schema has it. */
type Answer<P extends keyof paths, M extends "get" | "post" | "patch"> = paths[P][M] extends {
  responses: { 200: { content: { "application/json": infer T } } };
}
  ? T
  : never;
/** The query parameters of a route, as the schema has them. */
type QueryOf<P extends keyof paths, M extends "get" | "post"> = paths[P][M] extends {
  parameters: { query?: infer Q };
}
  ? NonNullable<Q>
  : never;

export const API = "/api/v1";

// --- runs ------------------------------------------------------------------------------

// TODO(schema): the run states of GET /runs/{run_id} (a plain string in the schema now)
export type RunState = "running" | "finished" | "failed" | "killed" | "crashed";
export const RUN_STATES: RunState[] = ["running", "finished", "failed", "killed", "crashed"];

// TODO(schema): GET /runs/{run_id}, PATCH /runs/{run_id} (a run's `metrics`)
export interface WireMetricSummary {
  count: number;
  last: WireNumber;
  last_step: number;
  last_time: number;
  min: WireNumber;
  max: WireNumber;
  first_time: number;
  goal: "last" | "min" | "max";
  x_axis: string | null;
  value: WireNumber;
}
export type MetricSummary = Decoded<WireMetricSummary>;

// TODO(schema): GET /runs/{run_id}, PATCH /runs/{run_id}
export interface WireRun {
  id: string;
  project: string;
  name: string;
  group: string | null;
  state: RunState;
  tags: string[];
  notes: string;
  config: Record<string, unknown>;
  system: Record<string, unknown>;
  metrics: Record<string, WireMetricSummary>;
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
/** A run as the UI holds it: its summary values decoded. */
export type Run = Omit<WireRun, "metrics"> & { metrics: Record<string, MetricSummary> };

/** PATCH /runs/{run_id}: what changes (tags added and removed). */
export type RunPatch = Schemas["RunPatch"];

// TODO(schema): GET /projects
export interface Project {
  name: string;
  run_count: number;
  created_at: number;
  last_activity: number | null;
}

/** GET /projects/{project}/keys: the keys each kind has (the schema: lists by name). */
// TODO(schema): the four names, once the answer has a model
export type ProjectKeys = Answer<"/api/v1/projects/{project}/keys", "get"> &
  Record<"config" | "metrics" | "summary" | "tags", string[]>;

/** A table cell (config values as logged; numbers may be WireNumber strings until decoded). */
export type Cell = number | string | boolean | null | unknown[];

/** POST /runs/table: which runs, in which order, with which columns. */
export type TableQuery = Schemas["TableQuery"];

// TODO(schema): POST /runs/table (columnar: one array per field)
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

/** POST /projects/{project}/runs/bulk: ids, or a filter ("" for all) less exclusions. */
export type BulkRequest = Omit<Schemas["BulkRuns"], "ids" | "filter" | "exclude"> &
  ({ ids: string[] } | { filter: string; exclude?: string[] });

// TODO(schema): POST /projects/{project}/runs/bulk
export interface BulkResult {
  action: string;
  matched: number;
  running: number;
  done: number;
  failed: { id: string; status: number; detail: string }[];
  limit: number;
}

/** GET /runs/{run_id}/console: lines after a number, or the last N. */
export type ConsoleQuery = QueryOf<"/api/v1/runs/{run_id}/console", "get">;

// TODO(schema): GET /runs/{run_id}/console (one line a run printed; `partial`: still being redrawn)
export interface ConsoleLine {
  line: number;
  stream: "stdout" | "stderr";
  time: number;
  text: string;
  truncated: boolean;
  partial: boolean;
}

// TODO(schema): GET /runs/{run_id}/console
export interface ConsolePage {
  lines: ConsoleLine[];
  total: number;
}

// TODO(schema): GET /runs/{run_id}/files (the shape of the schema's File, which only
// describes what POST /models/{name}/versions sends)
export interface FileEntry {
  path: string;
  digest: string;
  size: number;
}

// TODO(schema): GET /runs/{run_id}/artifacts
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

// --- charts --------------------------------------------------------------------------

/** POST /series: some runs' metrics, downsampled to `buckets` over an x range. */
export type SeriesQuery = Schemas["SeriesQuery"];

// TODO(schema): POST /series (one downsampled series; non-finite points apart in `nonfinite`)
export interface WireSeries {
  run: string;
  key: string;
  total: number;
  sampled: boolean;
  x: WireNumber[];
  y: WireNumber[];
  min: WireNumber[];
  max: WireNumber[];
  nonfinite: { x: WireNumber[]; y: WireNumber[] };
}

// --- the model registry (docs/rest-api.md#model-registry) ----------------------------

// TODO(schema): the stages of the registry's answers (a plain string in Transition)
export type Stage = "none" | "staging" | "production" | "archived";

// TODO(schema): GET /models, GET /models/{name}
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

// TODO(schema): GET /models/{name}/versions, POST /models/{name}/transitions
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

// TODO(schema): GET /models/{name}/versions/{version}
export interface WireVersionDetail extends ModelVersion {
  artifact: ArtifactVersion;
  run: WireRun | null; // null: the source run was deleted
}
export type VersionDetail = Omit<WireVersionDetail, "run"> & { run: Run | null };

// TODO(schema): GET /models/{name}/history
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

// TODO(schema): POST /models/{name}/rollback
export interface RollbackResult {
  version: ModelVersion | null;
}

/** POST /models/{name}/transitions. */
export type TransitionRequest = Schemas["Transition"];
/** POST /models/{name}/rollback: a stage or an alias. */
export type RollbackRequest = Schemas["Rollback"];

// --- the client --------------------------------------------------------------------------

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

/** A POST of `body` as JSON (name the body's type: `post<TableQuery>(...)`). */
export const post = <B>(body: B, signal?: AbortSignal): RequestInit => ({
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
export function decodeRun(run: WireRun): Run {
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
