// Analysis over a project's runs: POST /projects/{project}/analysis/{importance,compare,groups}.
import type { components } from "../../api/schema";
import { post, request } from "../../lib/api";

type Schemas = components["schemas"];
export type ImportanceQuery = Schemas["ImportanceQuery"];
export type Importance = Schemas["Importance"];
export type ParamImportance = Schemas["ParamImportance"];
export type CompareQuery = Schemas["CompareQuery"];
export type Comparison = Schemas["Comparison"];
export type GroupsQuery = Schemas["GroupsQuery"];
export type SeedGroup = Schemas["SeedGroup"];

const at = (project: string, what: string) => `/projects/${encodeURIComponent(project)}/analysis/${what}`;

export const analysisApi = {
  importance: (project: string, q: ImportanceQuery, signal?: AbortSignal) =>
    request<Importance>(at(project, "importance"), post(q, signal)),
  compare: (project: string, q: CompareQuery, signal?: AbortSignal) =>
    request<Comparison>(at(project, "compare"), post(q, signal)),
  groups: (project: string, q: GroupsQuery, signal?: AbortSignal) =>
    request<SeedGroup[]>(at(project, "groups"), post(q, signal)),
};

/** The filter that picks one run group's runs (what `heron compare NAME` does). */
export const groupFilter = (group: string) =>
  group.includes(" ") ? group : `group = "${group.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
