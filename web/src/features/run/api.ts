// One run: its record, files, artifacts and console (docs/rest-api.md).
import {
  API,
  decodeRun,
  enc,
  encPath,
  qs,
  request,
  type ArtifactVersion,
  type ConsolePage,
  type ConsoleQuery,
  type FileEntry,
  type RunPatch,
  type WireRun,
} from "../../lib/api";

/** The uncommitted changes the SDK records with a run (a file of the run). */
export const DIFF_FILE = "code/diff.patch";

export const runApi = {
  get: async (id: string, signal?: AbortSignal) => decodeRun(await request<WireRun>(`/runs/${enc(id)}`, { signal })),
  patch: async (id: string, body: RunPatch) =>
    decodeRun(await request<WireRun>(`/runs/${enc(id)}`, { method: "PATCH", body: JSON.stringify(body) })),
  files: (id: string, signal?: AbortSignal) => request<FileEntry[]>(`/runs/${enc(id)}/files`, { signal }),
  fileUrl: (id: string, path: string) => `${API}/runs/${enc(id)}/files/${encPath(path)}`,
  artifacts: (id: string, signal?: AbortSignal) =>
    request<ArtifactVersion[]>(`/runs/${enc(id)}/artifacts${qs({ produced: true, used: true })}`, { signal }),
  artifactFileUrl: (versionId: number, path: string) => `${API}/artifacts/${versionId}/files/${encPath(path)}`,
  console: (id: string, q: ConsoleQuery, signal?: AbortSignal) =>
    request<ConsolePage>(`/runs/${enc(id)}/console${qs(q)}`, { signal }),
  consoleTextUrl: (id: string) => `${API}/runs/${enc(id)}/console.txt`,
};
