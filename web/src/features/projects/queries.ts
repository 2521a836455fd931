// The projects list in the query cache.
import { useQuery, type QueryClient } from "@tanstack/react-query";
import { projectsApi } from "./api";

export const projectKeys = {
  all: ["projects"] as const,
};

const FALLBACK_POLL_MS = 30_000; // only while the event stream is down

/** Every project; polled slowly while `streamDown` (the live events cannot say what changed). */
export function useProjects(streamDown: boolean) {
  return useQuery({
    queryKey: projectKeys.all,
    queryFn: ({ signal }) => projectsApi.list(signal),
    refetchInterval: streamDown ? FALLBACK_POLL_MS : false,
  });
}

export const invalidateProjects = (qc: QueryClient) => qc.invalidateQueries({ queryKey: projectKeys.all });
