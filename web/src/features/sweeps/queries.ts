// Sweeps in the query cache; a running sweep's page polls (trials end without events).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { sweepsApi, type SweepStatus } from "./api";

const POLL_MS = 2_000;

export const sweepKeys = {
  all: ["sweeps"] as const,
  list: (project: string) => ["sweeps", "list", project] as const,
  sweep: (name: string) => ["sweeps", "one", name] as const,
  importance: (name: string) => ["sweeps", "one", name, "importance"] as const,
};

export const useSweeps = (project: string) =>
  useQuery({
    queryKey: sweepKeys.list(project),
    queryFn: ({ signal }) => sweepsApi.list(project, signal),
    refetchInterval: POLL_MS * 5,
  });

export const useSweep = (name: string) =>
  useQuery({
    queryKey: sweepKeys.sweep(name),
    queryFn: ({ signal }) => sweepsApi.get(name, signal),
    refetchInterval: (q) => (q.state.data?.sweep.status === "running" ? POLL_MS : false),
  });

export const useSweepImportance = (name: string, trialsDone: number) =>
  useQuery({
    queryKey: [...sweepKeys.importance(name), trialsDone],
    queryFn: ({ signal }) => sweepsApi.importance(name, signal),
  });

export function useSetSweepStatus(name: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (status: SweepStatus) => sweepsApi.setStatus(name, status),
    onSettled: () => qc.invalidateQueries({ queryKey: sweepKeys.all }),
  });
}
