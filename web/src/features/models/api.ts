// The model registry's routes (docs/rest-api.md#model-registry), on the same `request`
// as the rest of the API, so problem JSON (403 protected, 409 nothing to roll back)
// arrives as an ApiError with the server's message.
import { request, type ArtifactVersion, type Run } from "../../lib/api";

export type Stage = "none" | "staging" | "production" | "archived";
export const STAGES: Stage[] = ["none", "staging", "production", "archived"];
/** The stages a version can be promoted to from the UI, and those with a rollback. */
export const PROMOTE_TO: Stage[] = ["staging", "production", "archived"];
export const ROLLBACK_STAGES: Stage[] = ["staging", "production"];

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

/** What a rollback acts on: a stage or an alias. */
export type RollbackTarget = { stage: Stage } | { alias: string };

const enc = encodeURIComponent;

/** The UI address of a model's page. */
export const modelPath = (name: string): string => `/models/${enc(name)}`;
const post = (body: unknown): RequestInit => ({ method: "POST", body: JSON.stringify(body) });
const reasonOrNull = (reason: string) => (reason.trim() ? reason.trim() : null);

export const registry = {
  models: (signal?: AbortSignal) => request<Model[]>("/models", { signal }),
  model: (name: string, signal?: AbortSignal) => request<Model>(`/models/${enc(name)}`, { signal }),
  versions: (name: string, signal?: AbortSignal) =>
    request<ModelVersion[]>(`/models/${enc(name)}/versions`, { signal }),
  version: (name: string, version: number, signal?: AbortSignal) =>
    request<VersionDetail>(`/models/${enc(name)}/versions/${version}`, { signal }),
  history: (name: string, signal?: AbortSignal) => request<HistoryEntry[]>(`/models/${enc(name)}/history`, { signal }),
  transition: (name: string, version: number, stage: Stage, reason: string, archiveExisting: boolean) =>
    request<ModelVersion>(
      `/models/${enc(name)}/transitions`,
      post({ version, stage, reason: reasonOrNull(reason), archive_existing: archiveExisting }),
    ),
  rollback: (name: string, target: RollbackTarget, reason: string) =>
    request<{ version: ModelVersion | null }>(
      `/models/${enc(name)}/rollback`,
      post({ ...target, reason: reasonOrNull(reason) }),
    ),
};
