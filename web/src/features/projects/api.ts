// The projects list (GET /projects).
import { request, type Project } from "../../lib/api";

export const projectsApi = {
  list: (signal?: AbortSignal) => request<Project[]>("/projects", { signal }),
};
