// Alerts and alert rules (docs/alerts.md): the bell's counts, a project's alerts, the
// rules and the delivery log (GET/POST /projects/{project}/alerts..., /alert-rules).
import type { components } from "../../api/schema";
import { enc, post, qs, request } from "../../lib/api";

type Schemas = components["schemas"];
export type Alert = Schemas["Alert"];
export type AlertRule = Schemas["AlertRule"];
export type AlertDelivery = Schemas["AlertDelivery"];
export type NewAlertRule = Schemas["NewAlertRule"];
export type UnreadAlerts = Schemas["UnreadAlerts"];
export type RuleKind = NewAlertRule["kind"];
export type Level = Alert["level"];

const at = (project: string) => `/projects/${enc(project)}`;

export const alertsApi = {
  unread: (signal?: AbortSignal) => request<UnreadAlerts>("/alerts/unread", { signal }),
  list: (project: string, unread: boolean, signal?: AbortSignal) =>
    request<Alert[]>(`${at(project)}/alerts${qs({ unread: unread || undefined, limit: 200 })}`, { signal }),
  markRead: (project: string, ids: number[] | null) =>
    request<Schemas["MarkedRead"]>(`${at(project)}/alerts/read`, post<Schemas["MarkRead"]>({ ids })),
  deliveries: (project: string, signal?: AbortSignal) =>
    request<AlertDelivery[]>(`${at(project)}/alerts/deliveries${qs({ limit: 100 })}`, { signal }),
  rules: (project: string, signal?: AbortSignal) => request<AlertRule[]>(`${at(project)}/alert-rules`, { signal }),
  addRule: (project: string, rule: NewAlertRule) =>
    request<AlertRule>(`${at(project)}/alert-rules`, post<NewAlertRule>(rule)),
  setEnabled: (project: string, id: number, enabled: boolean) =>
    request<AlertRule>(`${at(project)}/alert-rules/${id}`, {
      method: "PATCH",
      body: JSON.stringify({ enabled }),
    }),
  removeRule: (project: string, id: number) => request<void>(`${at(project)}/alert-rules/${id}`, { method: "DELETE" }),
};

export const alertsPath = (project: string) => `/p/${enc(project)}/alerts`;
