// Lineage (docs/rest-api.md#lineage): the graph around a run or a model version, and
// which data trained a model version.
import type { components } from "../../api/schema";
import { enc, qs, request } from "../../lib/api";

type Schemas = components["schemas"];
export type LineageGraph = Schemas["LineageGraph"];
export type LineageNode = Schemas["LineageNode"];
export type LineageEdge = Schemas["LineageEdge"];
export type NodeKind = LineageNode["kind"];
export type TrainingData = Schemas["TrainingData"];

export const MAX_DEPTH = 10;
export const DEPTHS = [1, 2, 3, 4, 5, 6] as const;

export const lineageApi = {
  run: (id: string, depth: number, signal?: AbortSignal) =>
    request<LineageGraph>(`/runs/${enc(id)}/lineage${qs({ depth })}`, { signal }),
  modelVersion: (name: string, version: number, depth: number, signal?: AbortSignal) =>
    request<LineageGraph>(`/models/${enc(name)}/versions/${version}/lineage${qs({ depth })}`, { signal }),
  trainingData: (name: string, ref: string, signal?: AbortSignal) =>
    request<TrainingData>(`/models/${enc(name)}/training-data${qs({ ref })}`, { signal }),
};

/** The UI address of a model version's page (its lineage). */
export const modelVersionPath = (name: string, version: number): string => `/models/${enc(name)}/versions/${version}`;
