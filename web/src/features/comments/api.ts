// A run's comment thread (docs/rest-api.md: /runs/{run_id}/comments).
import type { components } from "../../api/schema";
import { enc, post, request } from "../../lib/api";

export type Comment = components["schemas"]["Comment"];
type NewComment = components["schemas"]["NewComment"];

/** What the server takes in one comment: 16 KiB of UTF-8 (heron.service.comments). */
export const MAX_COMMENT_BYTES = 16 * 1024;

export const commentsApi = {
  list: (runId: string, signal?: AbortSignal) => request<Comment[]>(`/runs/${enc(runId)}/comments`, { signal }),
  add: (runId: string, body: string) => request<Comment>(`/runs/${enc(runId)}/comments`, post<NewComment>({ body })),
  edit: (runId: string, id: number, body: string) =>
    request<Comment>(`/runs/${enc(runId)}/comments/${id}`, {
      method: "PATCH",
      body: JSON.stringify({ body } satisfies NewComment),
    }),
  remove: (runId: string, id: number) => request<void>(`/runs/${enc(runId)}/comments/${id}`, { method: "DELETE" }),
};

/** Bytes of UTF-8 in `text` (what the limit counts). */
export const utf8Bytes = (text: string): number => new TextEncoder().encode(text).length;
