// A run's media in the query cache: keys, the items of each key, table and text
// content (immutable once logged at a step, so cached until the run changes).
import { useQuery, type QueryClient } from "@tanstack/react-query";
import { mediaApi } from "./api";

export const mediaKeys = {
  run: (runId: string) => ["media", runId] as const,
  keys: (runId: string) => ["media", runId, "keys"] as const,
  items: (runId: string, key: string) => ["media", runId, "items", key] as const,
  table: (runId: string, key: string, step: number) => ["media", runId, "table", key, step] as const,
  text: (runId: string, key: string, step: number) => ["media", runId, "text", key, step] as const,
};

export const useMediaKeys = (runId: string) =>
  useQuery({ queryKey: mediaKeys.keys(runId), queryFn: ({ signal }) => mediaApi.keys(runId, signal) });

export const useMediaItems = (runId: string, key: string) =>
  useQuery({ queryKey: mediaKeys.items(runId, key), queryFn: ({ signal }) => mediaApi.items(runId, key, signal) });

export const useMediaTable = (runId: string, key: string, step: number | null) =>
  useQuery({
    queryKey: mediaKeys.table(runId, key, step ?? -1),
    queryFn: ({ signal }) => mediaApi.table(runId, key, step ?? 0, signal),
    enabled: step !== null,
    staleTime: Infinity,
  });

export const useMediaText = (runId: string, key: string, step: number | null) =>
  useQuery({
    queryKey: mediaKeys.text(runId, key, step ?? -1),
    queryFn: ({ signal }) => mediaApi.text(runId, key, step ?? 0, signal),
    enabled: step !== null,
    staleTime: Infinity,
  });

/** A run changed (live events): its media keys and items may have grown. */
export const invalidateMedia = (qc: QueryClient, runId: string) =>
  qc.invalidateQueries({ queryKey: mediaKeys.run(runId) });
