// Alerts in the query cache. The bell polls (alerts come from other people's runs, and
// live events do not carry them); a change here invalidates every alerts query.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { alertsApi, type NewAlertRule } from "./api";

export const UNREAD_POLL_MS = 15_000;

export const alertKeys = {
  all: ["alerts"] as const,
  unread: ["alerts", "unread"] as const,
  list: (project: string, unread: boolean) => ["alerts", "list", project, unread] as const,
  deliveries: (project: string) => ["alerts", "deliveries", project] as const,
  rules: (project: string) => ["alerts", "rules", project] as const,
};

export const useUnread = () =>
  useQuery({
    queryKey: alertKeys.unread,
    queryFn: ({ signal }) => alertsApi.unread(signal),
    refetchInterval: UNREAD_POLL_MS,
    retry: false,
  });

export const useAlerts = (project: string, unread: boolean) =>
  useQuery({
    queryKey: alertKeys.list(project, unread),
    queryFn: ({ signal }) => alertsApi.list(project, unread, signal),
    refetchInterval: UNREAD_POLL_MS,
  });

export const useDeliveries = (project: string) =>
  useQuery({ queryKey: alertKeys.deliveries(project), queryFn: ({ signal }) => alertsApi.deliveries(project, signal) });

export const useRules = (project: string) =>
  useQuery({ queryKey: alertKeys.rules(project), queryFn: ({ signal }) => alertsApi.rules(project, signal) });

function useAlertsMutation<A>(fn: (arg: A) => Promise<unknown>) {
  const qc = useQueryClient();
  return useMutation({ mutationFn: fn, onSettled: () => qc.invalidateQueries({ queryKey: alertKeys.all }) });
}

export const useMarkRead = (project: string) =>
  useAlertsMutation((ids: number[] | null) => alertsApi.markRead(project, ids));

export const useAddRule = (project: string) =>
  useAlertsMutation((rule: NewAlertRule) => alertsApi.addRule(project, rule));

export const useSetEnabled = (project: string) =>
  useAlertsMutation(({ id, enabled }: { id: number; enabled: boolean }) => alertsApi.setEnabled(project, id, enabled));

export const useRemoveRule = (project: string) => useAlertsMutation((id: number) => alertsApi.removeRule(project, id));
