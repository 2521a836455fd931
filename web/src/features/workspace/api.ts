// Saved views of a project (docs/rest-api.md, /projects/{project}/views): list, read,
// save, rename or replace, delete.
import type { components } from "../../api/schema";
import { enc, post, request } from "../../lib/api";

type Schemas = components["schemas"];
export type ViewSummary = Schemas["ViewSummary"];
export type SavedView = Schemas["View"];
export type NewView = Schemas["NewView"];
export type ViewPatch = Schemas["ViewPatch"];

const at = (project: string) => `/projects/${enc(project)}/views`;

export const viewsApi = {
  list: (project: string, signal?: AbortSignal) => request<ViewSummary[]>(at(project), { signal }),
  get: (project: string, id: string, signal?: AbortSignal) =>
    request<SavedView>(`${at(project)}/${enc(id)}`, { signal }),
  create: (project: string, body: NewView) => request<SavedView>(at(project), post<NewView>(body)),
  update: (project: string, id: string, body: ViewPatch) =>
    request<SavedView>(`${at(project)}/${enc(id)}`, { method: "PATCH", body: JSON.stringify(body) }),
  remove: (project: string, id: string) => request<undefined>(`${at(project)}/${enc(id)}`, { method: "DELETE" }),
};
