// Pure helpers behind the registry pages: who holds which stage, the history as a
// timeline, what a rollback would restore, which metrics to show per version.
import type { HistoryEntry, MetricSummary, Model, Run } from "../../lib/api";
import type { RollbackTarget } from "./api";

/** The versions in staging and production (highest first), and every alias. */
export function stageHolders(model: Model): { staging: number[]; production: number[]; aliases: [string, number][] } {
  const desc = (vs: number[] | undefined) => [...(vs ?? [])].sort((a, b) => b - a);
  return {
    staging: desc(model.stages.staging),
    production: desc(model.stages.production),
    aliases: Object.entries(model.aliases).sort(([a], [b]) => a.localeCompare(b)),
  };
}

/** Models whose name, description, tags or aliases contain `query` (any case). */
export function searchModels(models: Model[], query: string): Model[] {
  const q = query.trim().toLowerCase();
  if (!q) return models;
  return models.filter((m) =>
    [m.name, m.description, ...Object.entries(m.tags).map(([k, v]) => `${k}:${v}`), ...Object.keys(m.aliases)].some(
      (text) => text.toLowerCase().includes(q),
    ),
  );
}

export interface TimelineItem {
  id: number;
  time: number;
  actor: string;
  kind: "stage" | "alias";
  subject: string; // "v3" for a stage move, "@champion" for an alias move
  from: string;
  to: string;
  reason: string | null;
  rollbackOf: number | null;
  auto: boolean; // an archive made by promoting another version to production
}

const AUTO_ARCHIVE = /^version \d+ moved to production/;
const versionLabel = (v: string | null) => (v === null ? "none" : `v${v}`);

/** History entries (oldest first, as the server sends them) as a timeline, newest first. */
export function buildTimeline(history: HistoryEntry[]): TimelineItem[] {
  return [...history]
    .sort((a, b) => b.id - a.id)
    .map((h) => {
      const alias = h.kind === "alias";
      return {
        id: h.id,
        time: h.time,
        actor: h.actor,
        kind: h.kind,
        subject: alias ? `@${h.name ?? ""}` : `v${h.version ?? "?"}`,
        from: alias ? versionLabel(h.from_value) : (h.from_value ?? "none"),
        to: alias ? (h.to_value === null ? "removed" : versionLabel(h.to_value)) : (h.to_value ?? "none"),
        reason: h.reason,
        rollbackOf: h.rollback_of,
        auto: !alias && h.rollback_of === null && h.to_value === "archived" && AUTO_ARCHIVE.test(h.reason ?? ""),
      };
    });
}

export interface RollbackPreview {
  current: number | null; // the holder that would be popped
  target: number | null; // the holder restored (null: an alias that goes away)
}

/**
 * What rolling `target` back would do, replayed from the history like the server does
 * (heron.registry.rules.plan_rollback): each forward move into the stage (or of the
 * alias) pushes its holder, each rollback pops one; null when fewer than two remain.
 * The server stays the authority: this only labels the buttons.
 */
export function rollbackPreview(history: HistoryEntry[], target: RollbackTarget): RollbackPreview | null {
  const steps =
    "stage" in target
      ? history
          .filter((h) => h.kind === "stage" && h.to_value === target.stage)
          .map((h) => ({ holder: h.version, rollbackOf: h.rollback_of }))
      : history
          .filter((h) => h.kind === "alias" && h.name === target.alias)
          .map((h) => ({ holder: h.to_value === null ? null : Number(h.to_value), rollbackOf: h.rollback_of }));
  const stack: (number | null)[] = [];
  for (const s of steps) {
    if (s.rollbackOf === null) stack.push(s.holder);
    else stack.pop();
  }
  if (stack.length < 2) return null;
  return { current: stack[stack.length - 1], target: stack[stack.length - 2] };
}

/**
 * Up to `max` metric keys worth a column in the versions table: the ones the most
 * source runs share, declared goals (min/max) first, system metrics left out.
 */
export function keyMetrics(runs: (Run | null)[], max = 3): string[] {
  const seen = new Map<string, { count: number; goal: boolean }>();
  for (const run of runs) {
    if (!run) continue;
    for (const [key, m] of Object.entries(run.metrics) as [string, MetricSummary][]) {
      if (key.startsWith("system/")) continue;
      const s = seen.get(key) ?? { count: 0, goal: false };
      seen.set(key, { count: s.count + 1, goal: s.goal || m.goal !== "last" });
    }
  }
  return [...seen.entries()]
    .sort(([ka, a], [kb, b]) => Number(b.goal) - Number(a.goal) || b.count - a.count || ka.localeCompare(kb))
    .slice(0, max)
    .map(([key]) => key);
}

/** `sha256:54099d27…` → the first 12 hex digits, enough to tell versions apart. */
export function shortDigest(digest: string): string {
  const hex = digest.includes(":") ? digest.slice(digest.indexOf(":") + 1) : digest;
  return hex.slice(0, 12);
}
