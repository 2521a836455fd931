// One run in the query cache: its record (shared by the run page, the comparison and
// the model registry), files, artifacts, console and recorded code diff.
import {
  queryOptions,
  useMutation,
  useQueries,
  useQuery,
  useQueryClient,
  type QueryClient,
  type UseQueryResult,
} from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useRef } from "react";
import type { ConsoleLine, Run, RunPatch } from "../../lib/api";
import { invalidateSeries } from "../charts/queries";
import { runApi } from "./api";
import { appendLines, consoleCursor, keepNewest, prependLines } from "./console";

export const runKeys = {
  all: ["run"] as const,
  detail: (id: string) => ["run", id] as const,
  files: (id: string) => ["run", id, "files"] as const,
  artifacts: (id: string) => ["run", id, "artifacts"] as const,
  console: (id: string) => ["run", id, "console"] as const,
  codeDiff: (id: string) => ["run", id, "code-diff"] as const,
};

/** The run record; one cache entry per run, whichever view asks. */
export const runQuery = (id: string) =>
  queryOptions({ queryKey: runKeys.detail(id), queryFn: ({ signal }) => runApi.get(id, signal) });

export const useRun = (id: string) => useQuery(runQuery(id));

/** Every run once all arrived; the first error; a retry of what failed. */
function combineRuns(results: UseQueryResult<Run>[]) {
  return {
    data: results.every((r) => r.data !== undefined) ? results.map((r) => r.data as Run) : undefined,
    error: results.find((r) => r.error)?.error ?? null,
    retry: () => results.forEach((r) => r.error && void r.refetch()),
  };
}

/** Several runs, each its own cache entry (a run fetched by another view is not asked for again). */
export const useRuns = (ids: string[]) => useQueries({ queries: ids.map(runQuery), combine: combineRuns });

/**
 * What changed for these runs (live events): their records, files, artifacts, console
 * and charts. Only what is on screen is fetched again; the rest is marked stale.
 */
export function invalidateRuns(qc: QueryClient, ids: Iterable<string>): Promise<void> {
  const all = [...ids];
  return Promise.all([
    ...all.map((id) => qc.invalidateQueries({ queryKey: runKeys.detail(id), exact: true })),
    ...all
      .flatMap((id) => [runKeys.files(id), runKeys.artifacts(id), runKeys.console(id)])
      .map((queryKey) => qc.invalidateQueries({ queryKey })),
    invalidateSeries(qc, all),
  ]).then(() => undefined);
}

/** PATCH the run; its answer (the run as it is now) replaces the cached record at once. */
export function usePatchRun() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: RunPatch }) => runApi.patch(id, patch),
    onSuccess: async (run) => {
      await qc.cancelQueries({ queryKey: runKeys.detail(run.id), exact: true }); // an older answer on its way
      qc.setQueryData(runKeys.detail(run.id), run);
    },
  });
}

export const useRunFiles = (id: string) =>
  useQuery({ queryKey: runKeys.files(id), queryFn: ({ signal }) => runApi.files(id, signal) });

export const useRunArtifacts = (id: string) =>
  useQuery({ queryKey: runKeys.artifacts(id), queryFn: ({ signal }) => runApi.artifacts(id, signal) });

// --- the console ---------------------------------------------------------------------

export const CONSOLE_PAGE = 2000; // lines per request (the server answers at most 10,000)
const MAX_HELD = 200_000; // lines kept in memory; older ones can be loaded again

/** The console lines held for a run: a contiguous window, and how many lines it printed. */
export interface HeldConsole {
  lines: ConsoleLine[];
  total: number;
}

/**
 * What a run printed: the newest page first, then each fetch asks only for what came
 * after the lines held (from the first partial line: a progress bar may have been
 * redrawn since). `loadEarlier` puts the page before the first line in front. While the
 * run runs, `refresh` (live events) fetches the new lines: one fetch at a time, and one
 * more after it when asked meanwhile.
 */
export function useConsole(runId: string) {
  const qc = useQueryClient();
  const key = useMemo(() => runKeys.console(runId), [runId]);
  const query = useQuery({
    queryKey: key,
    queryFn: async ({ signal }): Promise<HeldConsole> => {
      const held = qc.getQueryData<HeldConsole>(key);
      if (!held) {
        const page = await runApi.console(runId, { tail: CONSOLE_PAGE }, signal);
        return { lines: page.lines, total: page.total };
      }
      let next = held;
      for (;;) {
        const after = consoleCursor(next.lines, next.total);
        const page = await runApi.console(runId, { after, limit: CONSOLE_PAGE }, signal);
        next = { lines: appendLines(next.lines, after, page.lines), total: page.total };
        if (page.lines.length < CONSOLE_PAGE) break;
      }
      // earlier lines loaded meanwhile stay
      const now = qc.getQueryData<HeldConsole>(key) ?? held;
      return { lines: keepNewest(prependLines(next.lines, now.lines), MAX_HELD), total: next.total };
    },
    structuralSharing: false, // up to MAX_HELD lines: no deep comparison with the last answer
  });

  const again = useRef(false);
  const refresh = useCallback(() => {
    if (qc.isFetching({ queryKey: key }) > 0) again.current = true;
    else void qc.invalidateQueries({ queryKey: key });
  }, [qc, key]);
  const fetching = query.isFetching;
  useEffect(() => {
    if (fetching || !again.current) return;
    again.current = false;
    void qc.invalidateQueries({ queryKey: key });
  }, [fetching, qc, key]);

  const earlier = useMutation({
    mutationFn: async () => {
      const held = qc.getQueryData<HeldConsole>(key);
      if (!held?.lines.length) return null;
      const first = held.lines[0].line;
      const after = Math.max(0, first - 1 - CONSOLE_PAGE);
      return runApi.console(runId, { after, limit: first - 1 - after });
    },
    onSuccess: (page) => {
      if (page)
        qc.setQueryData<HeldConsole>(
          key,
          (held) => held && { lines: prependLines(held.lines, page.lines), total: page.total },
        );
    },
  });

  return {
    held: query.data,
    error: query.error ?? earlier.error,
    refresh,
    loadEarlier: () => earlier.mutate(),
    loadingEarlier: earlier.isPending,
  };
}
