// A run's media (docs/media.md): the keys it logged media under, the items of a key,
// and the URL of an item's bytes (or of a blob it names: a mask, a table's image).
import { API, ApiError, enc, qs, request } from "../../lib/api";
import type { components } from "../../api/schema";

export type MediaKey = components["schemas"]["MediaKeyRef"];
export type MediaItem = components["schemas"]["MediaItemRef"];
export type MediaKind = MediaKey["kind"];

/** A table's content as stored: image cells name their blob, non-finite numbers are spelled out. */
export interface TableData {
  columns: string[];
  rows: TableCellValue[][];
}
export type TableCellValue =
  null | boolean | number | string | { image: string; width: number; height: number } | { number: string };

/** How many items of a key one read asks for (spread evenly over its steps). */
export const ITEMS_LIMIT = 1000;

export const mediaApi = {
  keys: (runId: string, signal?: AbortSignal) => request<MediaKey[]>(`/runs/${enc(runId)}/media`, { signal }),
  items: (runId: string, key: string, signal?: AbortSignal) =>
    request<MediaItem[]>(`/runs/${enc(runId)}/media/items${qs({ key, limit: ITEMS_LIMIT })}`, { signal }),
  blobUrl: (runId: string, key: string, step: number, digest?: string) =>
    `${API}/runs/${enc(runId)}/media/blob${qs({ key, step, digest })}`,
  table: (runId: string, key: string, step: number, signal?: AbortSignal) =>
    request<TableData>(`/runs/${enc(runId)}/media/blob${qs({ key, step })}`, { signal }),
  text: async (runId: string, key: string, step: number, signal?: AbortSignal): Promise<string> => {
    const res = await fetch(mediaApi.blobUrl(runId, key, step), { signal });
    if (!res.ok) throw new ApiError(res.status, res.statusText, `media ${key} at step ${step}`);
    return res.text();
  },
};
