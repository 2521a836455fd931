// Sweeps (GET /sweeps, GET /sweeps/{name}, its importance, POST /sweeps/{name}/status).
import type { components } from "../../api/schema";
import { post, request } from "../../lib/api";

type Schemas = components["schemas"];
export type SweepSummary = Schemas["SweepSummary"];
export type SweepDetail = Schemas["SweepDetail"];
export type Trial = Schemas["Trial"];
export type Importance = Schemas["Importance"];
export type SweepStatus = Schemas["StatusChange"]["status"];

const at = (name: string) => `/sweeps/${encodeURIComponent(name)}`;

export const sweepsApi = {
  list: (project: string, signal?: AbortSignal) =>
    request<SweepSummary[]>(`/sweeps?project=${encodeURIComponent(project)}`, { signal }),
  get: (name: string, signal?: AbortSignal) => request<SweepDetail>(at(name), { signal }),
  importance: (name: string, signal?: AbortSignal) => request<Importance>(`${at(name)}/importance`, { signal }),
  setStatus: (name: string, status: SweepStatus) =>
    request<SweepSummary>(`${at(name)}/status`, post<Schemas["StatusChange"]>({ status })),
};

export const sweepPath = (project: string, name: string) =>
  `/p/${encodeURIComponent(project)}/sweeps/${encodeURIComponent(name)}`;
