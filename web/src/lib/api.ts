// The HTTP client for docs/rest-api.md, and the types of what goes over the wire. Every
// call goes through `request`, which turns RFC 7807 problem JSON into an ApiError
// carrying the server's message.
//
// The types come from the server's OpenAPI document (src/api/schema.d.ts, written by
// scripts/web-types), aliased here under the names the UI reads.
// Floats that may be NaN or ±inf arrive as `WireNumber`s (the schema's WireFloat) and
// are decoded in lib/wire.ts.
import type { components, paths } from "../api/schema";
import { decodeNumber, type Decoded } from "./wire";

export type { WireNumber } from "./wire";

type Schemas = components["schemas"];
/** The query parameters of a route, as the schema has them. */
type QueryOf<P extends keyof paths, M extends "get" | "post"> = paths[P][M] extends {
  parameters: { query?: infer Q };
}
  ? NonNullable<Q>
  : never;

export const API = "/api/v1";

// --- runs ------------------------------------------------------------------------------

export type RunState = Schemas["Run"]["state"];
export const RUN_STATES: RunState[] = ["running", "finished", "failed", "killed", "crashed", "pruned"];

/** A metric's summary in a run (GET /runs/{run_id}): its values may be non-finite. */
export type WireMetricSummary = Schemas["RunMetric"];
export type MetricSummary = Decoded<WireMetricSummary>;

/** GET /runs/{run_id}, PATCH /runs/{run_id}. */
export type WireRun = Schemas["Run"];
/** A run as the UI holds it: its summary values decoded. */
export type Run = Omit<WireRun, "metrics"> & { metrics: Record<string, MetricSummary> };

/** PATCH /runs/{run_id}: what changes (tags added and removed). */
export type RunPatch = Schemas["RunPatch"];

/** GET /projects. */
export type Project = Schemas["Project"];

/** GET /projects/{project}/keys: the config and metric keys, summary-only keys and tags. */
export type ProjectKeys = Schemas["ProjectKeyLists"];

/** A table cell: a config value as logged, or a summary number (non-finite ones decoded by toRows). */
export type Cell = Schemas["TableCell"];

/** POST /runs/table: which runs, in which order, with which columns. */
export type TableQuery = Schemas["TableQuery"];

/** POST /runs/table: columnar (one array per field); `states` are RunStates, typed as strings (toRows). */
export type TableRows = Schemas["RunsTable"];

/** POST /projects/{project}/runs/bulk: ids, or a filter ("" for all) less exclusions. */
export type BulkRequest = Omit<Schemas["BulkRuns"], "ids" | "filter" | "exclude"> &
  ({ ids: string[] } | { filter: string; exclude?: string[] });

/** POST /projects/{project}/runs/bulk: what the action found and did. */
export type BulkResult = Schemas["BulkResult"];

/** GET /runs/{run_id}/console: lines after a number, or the last N. */
export type ConsoleQuery = QueryOf<"/api/v1/runs/{run_id}/console", "get">;

/** One line a run printed (GET /runs/{run_id}/console); `partial`: still being redrawn. */
export type ConsoleLine = Schemas["LogLine"];
export type ConsolePage = Schemas["LogPage"];

/** A file of a run (GET /runs/{run_id}/files) or of an artifact version. */
export type FileEntry = Schemas["FileRef"];

/** An artifact version (GET /runs/{run_id}/artifacts: what the run produced and used). */
export type ArtifactVersion = Schemas["Artifact"];

// --- charts --------------------------------------------------------------------------

/** POST /series: some runs' metrics, downsampled to `buckets` over an x range. */
export type SeriesQuery = Schemas["SeriesQuery"];

/** POST /series: one downsampled series; non-finite points apart in `nonfinite`. */
export type WireSeries = Schemas["ChartSeries"];
export type SeriesAnswer = Schemas["Chart"];

// --- the model registry (docs/rest-api.md#model-registry) ----------------------------

/** A version's stage (the transition and rollback requests take it as a plain string). */
export type Stage = Schemas["ModelVersion"]["stage"];

/** GET /models, GET /models/{name}: `stages` holds each stage's versions (`none` left out). */
export type Model = Schemas["Model"];

/** GET /models/{name}/versions, POST /models/{name}/transitions. */
export type ModelVersion = Schemas["ModelVersion"];

/** GET /models/{name}/versions/{version}: the version, its artifact and source run (null: deleted). */
export type WireVersionDetail = Schemas["VersionDetail"];
/** A version in detail as the UI holds it: its source run's summary decoded. */
export type VersionDetail = Omit<WireVersionDetail, "run"> & { run: Run | null };

/** GET /models/{name}/history: one stage or alias change. */
export type HistoryEntry = Schemas["HistoryEntry"];

/** POST /models/{name}/rollback: the version that holds the stage or alias again (null: none does). */
export type RollbackResult = Schemas["RollbackResult"];

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
  const res = await send(path, init);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** One call whose answer is read as bytes (a binary form asked for with `accept`). */
export async function requestBytes(path: string, init: RequestInit, accept: string): Promise<ArrayBuffer> {
  const res = await send(path, { ...init, headers: { accept, ...init.headers } });
  return res.arrayBuffer();
}

async function send(path: string, init: RequestInit): Promise<Response> {
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
  return res;
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
