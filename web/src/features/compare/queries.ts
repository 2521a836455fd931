// The comparison's own reads: each run's recorded code diff, loaded when asked for.
import { useQueries, type UseQueryResult } from "@tanstack/react-query";
import type { Run } from "../../lib/api";
import { fmtBytes } from "../../lib/format";
import { getPath } from "../../lib/get";
import { DIFF_FILE, runApi } from "../run/api";
import { runKeys } from "../run/queries";

const MAX_DIFF = 2 * 1024 * 1024;

/** What a run recorded of its uncommitted code: the text, or why there is none. */
export type Recorded = { text: string } | { none: string };

async function loadDiff(run: Run, signal: AbortSignal): Promise<Recorded> {
  const git = getPath(run.system ?? {}, "git") as Record<string, unknown> | null | undefined;
  if (git === null) return { none: "not a git repository" };
  if (git && git.dirty === false) return { none: "clean: no uncommitted changes" };
  const bytes = typeof git?.diff_bytes === "number" ? git.diff_bytes : 0;
  if (bytes > MAX_DIFF) return { none: `too large to show (${fmtBytes(bytes)}): download it from the run's files` };
  const r = await fetch(runApi.fileUrl(run.id, DIFF_FILE), { signal });
  if (r.status === 404) return { none: "no diff was recorded" };
  if (!r.ok) throw new Error(`Could not load ${run.name}'s diff: HTTP ${r.status}`);
  return { text: await r.text() };
}

/** Each run's recorded diff (once `enabled`): all of them, or the first error. */
export function useCodeDiffs(runs: Run[], enabled: boolean) {
  return useQueries({
    queries: runs.map((run) => ({
      queryKey: runKeys.codeDiff(run.id),
      queryFn: ({ signal }: { signal: AbortSignal }) => loadDiff(run, signal),
      enabled,
      staleTime: Infinity, // what a run recorded does not change
    })),
    combine: combineDiffs,
  });
}

function combineDiffs(results: UseQueryResult<Recorded>[]) {
  return {
    data: results.every((r) => r.data !== undefined) ? results.map((r) => r.data as Recorded) : undefined,
    error: results.find((r) => r.error)?.error ?? null,
    retry: () => results.forEach((r) => r.error && void r.refetch()),
  };
}
