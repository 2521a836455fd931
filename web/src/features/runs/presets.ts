// Column presets: named sets of the runs table's columns, per project, kept in this
// browser (localStorage beside the last pick, prefs.ts). Choosing one puts its columns
// in the URL, so a link still shares exactly what is on screen.
import { useMemo, useSyncExternalStore } from "react";
import type { KeyValue } from "./prefs";

export interface Preset {
  name: string;
  columns: string[];
}

export const MAX_PRESETS = 50;
const key = (project: string) => `heron-column-presets:${project}`;
const listeners = new Set<() => void>();

function local(): KeyValue | null {
  try {
    return typeof window === "undefined" ? null : window.localStorage;
  } catch {
    return null;
  }
}

/** The presets in `raw` (JSON), dropping anything malformed. */
export function parsePresets(raw: string | null): Preset[] {
  if (raw === null) return [];
  try {
    const v: unknown = JSON.parse(raw);
    if (!Array.isArray(v)) return [];
    return v.filter(
      (p): p is Preset =>
        typeof p === "object" &&
        p !== null &&
        typeof (p as Preset).name === "string" &&
        Array.isArray((p as Preset).columns) &&
        (p as Preset).columns.every((c) => typeof c === "string"),
    );
  } catch {
    return [];
  }
}

/** `presets` with `preset` added, or replacing the one of its name; sorted by name. */
export function withPreset(presets: Preset[], preset: Preset): Preset[] {
  const rest = presets.filter((p) => p.name !== preset.name);
  return [...rest, preset].sort((a, b) => a.name.localeCompare(b.name)).slice(0, MAX_PRESETS);
}

function read(kv: KeyValue | null, project: string): string | null {
  try {
    return kv?.getItem(key(project)) ?? null;
  } catch {
    return null;
  }
}

function write(kv: KeyValue | null, project: string, presets: Preset[]): void {
  try {
    if (presets.length) kv?.setItem(key(project), JSON.stringify(presets));
    else kv?.removeItem(key(project));
  } catch {
    // full or forbidden: the preset is not kept, nothing breaks
  }
  for (const notify of listeners) notify();
}

export function savePreset(project: string, preset: Preset, kv: KeyValue | null = local()): void {
  write(kv, project, withPreset(parsePresets(read(kv, project)), preset));
}

export function deletePreset(project: string, name: string, kv: KeyValue | null = local()): void {
  write(
    kv,
    project,
    parsePresets(read(kv, project)).filter((p) => p.name !== name),
  );
}

function subscribe(notify: () => void): () => void {
  listeners.add(notify);
  return () => listeners.delete(notify);
}

/** The project's presets, re-rendering when one is saved or deleted. */
export function usePresets(project: string): Preset[] {
  const raw = useSyncExternalStore(subscribe, () => read(local(), project));
  return useMemo(() => parsePresets(raw), [raw]);
}
