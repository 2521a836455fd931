// Lineage in the query cache: one entry per (run or model version, depth).
import { useQuery } from "@tanstack/react-query";
import { lineageApi } from "./api";

export const lineageKeys = {
  all: ["lineage"] as const,
  run: (id: string, depth: number) => ["lineage", "run", id, depth] as const,
  modelVersion: (name: string, version: number, depth: number) => ["lineage", "model", name, version, depth] as const,
  trainingData: (name: string, ref: string) => ["lineage", "training-data", name, ref] as const,
};

export const useRunLineage = (id: string, depth: number) =>
  useQuery({ queryKey: lineageKeys.run(id, depth), queryFn: ({ signal }) => lineageApi.run(id, depth, signal) });

export const useModelVersionLineage = (name: string, version: number, depth: number) =>
  useQuery({
    queryKey: lineageKeys.modelVersion(name, version, depth),
    queryFn: ({ signal }) => lineageApi.modelVersion(name, version, depth, signal),
  });

export const useTrainingData = (name: string, ref: string) =>
  useQuery({
    queryKey: lineageKeys.trainingData(name, ref),
    queryFn: ({ signal }) => lineageApi.trainingData(name, ref, signal),
  });
