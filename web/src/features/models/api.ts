// The model registry's routes (docs/rest-api.md#model-registry), on the same `request`
// as the rest of the API, so problem JSON (403 protected, 409 nothing to roll back)
// arrives as an ApiError with the server's message.
import {
  decodeRun,
  enc,
  post,
  request,
  type HistoryEntry,
  type Model,
  type ModelVersion,
  type RollbackRequest,
  type RollbackResult,
  type Stage,
  type TransitionRequest,
  type VersionDetail,
  type WireVersionDetail,
} from "../../lib/api";

export const STAGES: Stage[] = ["none", "staging", "production", "archived"];
/** The stages a version can be promoted to from the UI, and those with a rollback. */
export const PROMOTE_TO: Stage[] = ["staging", "production", "archived"];
export const ROLLBACK_STAGES: Stage[] = ["staging", "production"];

/** What a rollback acts on: a stage or an alias. */
export type RollbackTarget = { stage: Stage } | { alias: string };

/** The UI address of a model's page. */
export const modelPath = (name: string): string => `/models/${enc(name)}`;
const reasonOrNull = (reason: string) => (reason.trim() ? reason.trim() : null);

export const registry = {
  models: (signal?: AbortSignal) => request<Model[]>("/models", { signal }),
  model: (name: string, signal?: AbortSignal) => request<Model>(`/models/${enc(name)}`, { signal }),
  versions: (name: string, signal?: AbortSignal) =>
    request<ModelVersion[]>(`/models/${enc(name)}/versions`, { signal }),
  version: async (name: string, version: number, signal?: AbortSignal): Promise<VersionDetail> => {
    const d = await request<WireVersionDetail>(`/models/${enc(name)}/versions/${version}`, { signal });
    return { ...d, run: d.run && decodeRun(d.run) }; // the source run's summary, as the run page shows it
  },
  history: (name: string, signal?: AbortSignal) => request<HistoryEntry[]>(`/models/${enc(name)}/history`, { signal }),
  transition: (name: string, version: number, stage: Stage, reason: string, archiveExisting: boolean) =>
    request<ModelVersion>(
      `/models/${enc(name)}/transitions`,
      post<TransitionRequest>({ version, stage, reason: reasonOrNull(reason), archive_existing: archiveExisting }),
    ),
  rollback: (name: string, target: RollbackTarget, reason: string) =>
    request<RollbackResult>(
      `/models/${enc(name)}/rollback`,
      post<RollbackRequest>({ ...target, reason: reasonOrNull(reason) }),
    ),
};
