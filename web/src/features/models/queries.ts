// The model registry in the query cache: the models list, one model's record, versions
// and history, and the changes (promote, roll back), which refresh all of it.
import {
  keepPreviousData,
  useMutation,
  useQueries,
  useQuery,
  useQueryClient,
  type UseQueryResult,
} from "@tanstack/react-query";
import { ApiError, type Run, type Stage, type VersionDetail } from "../../lib/api";
import { runQuery } from "../run/queries";
import { registry, type RollbackTarget } from "./api";

export const modelKeys = {
  all: ["models"] as const,
  list: () => ["models", "list"] as const,
  /** Everything about one model. */
  model: (name: string) => ["models", "model", name] as const,
  detail: (name: string) => ["models", "model", name, "detail"] as const,
  versions: (name: string) => ["models", "model", name, "versions"] as const,
  version: (name: string, version: number) => ["models", "model", name, "versions", version] as const,
  history: (name: string) => ["models", "model", name, "history"] as const,
};

export const useModels = () =>
  useQuery({ queryKey: modelKeys.list(), queryFn: ({ signal }) => registry.models(signal) });

export const useModelVersions = (name: string) =>
  useQuery({ queryKey: modelKeys.versions(name), queryFn: ({ signal }) => registry.versions(name, signal) });

/** A model with its versions and history: all three once they arrived, the first error. */
export function useModel(name: string) {
  const model = useQuery({ queryKey: modelKeys.detail(name), queryFn: ({ signal }) => registry.model(name, signal) });
  const versions = useModelVersions(name);
  const history = useQuery({
    queryKey: modelKeys.history(name),
    queryFn: ({ signal }) => registry.history(name, signal),
  });
  const data =
    model.data && versions.data && history.data
      ? { model: model.data, versions: versions.data, history: history.data }
      : undefined;
  return {
    data,
    error: model.error ?? versions.error ?? history.error,
    retry: () => [model, versions, history].forEach((q) => q.error && void q.refetch()),
  };
}

function combineVersions(results: UseQueryResult<VersionDetail>[]) {
  return {
    data: results.every((r) => r.data !== undefined) ? results.map((r) => r.data as VersionDetail) : undefined,
    error: results.find((r) => r.error)?.error ?? null,
    retry: () => results.forEach((r) => r.error && void r.refetch()),
  };
}

/** Some versions in detail (artifact, source run); the last pair stays shown while another loads. */
export function useVersionDetails(name: string, versions: number[]) {
  return useQueries({
    queries: versions.map((v) => ({
      queryKey: modelKeys.version(name, v),
      queryFn: ({ signal }: { signal: AbortSignal }) => registry.version(name, v, signal),
      placeholderData: keepPreviousData,
    })),
    combine: combineVersions,
  });
}

/** A change to the registry: a stage transition or a rollback. */
export type ModelChange =
  | { kind: "transition"; version: number; stage: Stage; reason: string; archiveExisting: boolean }
  | { kind: "rollback"; target: RollbackTarget; reason: string };

/** Make a change to `name`; the registry's views refresh once it is done. */
export function useModelChange(name: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (c: ModelChange): Promise<unknown> =>
      c.kind === "transition"
        ? registry.transition(name, c.version, c.stage, c.reason, c.archiveExisting)
        : registry.rollback(name, c.target, c.reason),
    onSuccess: () => qc.invalidateQueries({ queryKey: modelKeys.all }),
  });
}

/**
 * The versions' source runs by id (the runs' own cache entries), once every one is
 * known: the run, or null for a deleted one (404: the version stays); and any other error.
 */
export function useSourceRuns(ids: string[]) {
  return useQueries({
    queries: ids.map(runQuery),
    combine: (results) => {
      const runs: Record<string, Run | null> = {};
      let error: Error | null = null;
      results.forEach((r, i) => {
        if (r.data) runs[ids[i]] = r.data;
        else if (r.error instanceof ApiError && r.error.status === 404) runs[ids[i]] = null;
        else error ??= r.error;
      });
      return { data: results.every((r) => !r.isPending) ? runs : undefined, error };
    },
  });
}
