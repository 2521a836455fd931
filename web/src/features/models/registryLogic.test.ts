import { describe, expect, it } from "vitest";
import type { HistoryEntry, MetricSummary, Model, Run } from "../../lib/api";
import { buildTimeline, keyMetrics, rollbackPreview, searchModels, shortDigest, stageHolders } from "./registryLogic";

let nextId = 1;
function stage(version: number, from: string, to: string, extra: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    id: nextId++,
    model: "m",
    version,
    kind: "stage",
    name: null,
    from_value: from,
    to_value: to,
    actor: "alice",
    actor_admin: true,
    reason: null,
    time: 1_700_000_000 + nextId,
    rollback_of: null,
    ...extra,
  };
}
function alias(name: string, from: number | null, to: number | null, extra: Partial<HistoryEntry> = {}): HistoryEntry {
  return stage(to ?? 0, "", "", {
    kind: "alias",
    name,
    version: to,
    from_value: from === null ? null : String(from),
    to_value: to === null ? null : String(to),
    ...extra,
  });
}

function model(extra: Partial<Model> = {}): Model {
  return {
    name: "churn",
    description: "Predicts churn",
    tags: { team: "growth" },
    protected: [],
    created_by: "a",
    created_at: 0,
    updated_at: 0,
    latest_version: 3,
    stages: { production: [1, 3], staging: [2] },
    aliases: { zeta: 1, champion: 3 },
    ...extra,
  };
}

describe("stageHolders", () => {
  it("lists holders highest first and aliases by name", () => {
    expect(stageHolders(model())).toEqual({
      production: [3, 1],
      staging: [2],
      aliases: [
        ["champion", 3],
        ["zeta", 1],
      ],
    });
  });
  it("is empty for a model without versions", () => {
    expect(stageHolders(model({ stages: {}, aliases: {} }))).toEqual({ production: [], staging: [], aliases: [] });
  });
});

describe("searchModels", () => {
  const models = [model(), model({ name: "fraud", description: "", tags: { team: "risk" }, aliases: {} })];
  it("matches name, description, tags and aliases in any case", () => {
    expect(searchModels(models, "FRA").map((m) => m.name)).toEqual(["fraud"]);
    expect(searchModels(models, "predicts").map((m) => m.name)).toEqual(["churn"]);
    expect(searchModels(models, "team:risk").map((m) => m.name)).toEqual(["fraud"]);
    expect(searchModels(models, "champion").map((m) => m.name)).toEqual(["churn"]);
    expect(searchModels(models, "  ")).toHaveLength(2);
    expect(searchModels(models, "nothing")).toEqual([]);
  });
});

describe("buildTimeline", () => {
  it("puts the newest first and describes stage and alias moves", () => {
    const h = [
      stage(1, "none", "production", { reason: "first" }),
      alias("champion", null, 1),
      stage(2, "staging", "production", { reason: "better" }),
      stage(1, "production", "archived", { reason: "version 2 moved to production: better" }),
      alias("champion", 1, null),
    ];
    const t = buildTimeline(h);
    expect(t.map((i) => i.id)).toEqual([h[4].id, h[3].id, h[2].id, h[1].id, h[0].id]);
    expect(t[0]).toMatchObject({ subject: "@champion", from: "v1", to: "removed", kind: "alias" });
    expect(t[1]).toMatchObject({ subject: "v1", from: "production", to: "archived", auto: true });
    expect(t[2]).toMatchObject({ subject: "v2", from: "staging", to: "production", auto: false, reason: "better" });
    expect(t[3]).toMatchObject({ subject: "@champion", from: "none", to: "v1" });
  });
  it("marks rollbacks, and a rollback's archive is not an auto-archive", () => {
    const h = [
      stage(1, "none", "production"),
      stage(2, "none", "production"),
      stage(2, "production", "archived", { rollback_of: 2, reason: "version 2 moved to production: x" }),
    ];
    const [last] = buildTimeline(h);
    expect(last).toMatchObject({ rollbackOf: 2, auto: false });
  });
});

describe("rollbackPreview", () => {
  it("needs two holders on the stack", () => {
    expect(rollbackPreview([], { stage: "production" })).toBeNull();
    expect(rollbackPreview([stage(1, "none", "production")], { stage: "production" })).toBeNull();
  });
  it("replays pushes and pops like the server: one further back each time", () => {
    const h = [stage(1, "none", "production"), stage(2, "none", "production"), stage(3, "none", "production")];
    expect(rollbackPreview(h, { stage: "production" })).toEqual({ current: 3, target: 2 });
    // the rollback: v3 archived (not into production, so not a step), v2 back (a pop)
    h.push(stage(3, "production", "archived", { rollback_of: h[2].id }));
    h.push(stage(2, "archived", "production", { rollback_of: h[2].id }));
    expect(rollbackPreview(h, { stage: "production" })).toEqual({ current: 2, target: 1 });
    h.push(stage(1, "archived", "production", { rollback_of: h[1].id }));
    expect(rollbackPreview(h, { stage: "production" })).toBeNull();
    // a forward promotion pushes again
    h.push(stage(3, "archived", "production"));
    expect(rollbackPreview(h, { stage: "production" })).toEqual({ current: 3, target: 1 });
  });
  it("keeps stages apart", () => {
    const h = [stage(1, "none", "staging"), stage(2, "none", "production"), stage(3, "none", "staging")];
    expect(rollbackPreview(h, { stage: "staging" })).toEqual({ current: 3, target: 1 });
    expect(rollbackPreview(h, { stage: "production" })).toBeNull();
  });
  it("treats a removed alias as a holder that rolls back to absent", () => {
    const h = [alias("champion", null, 1), alias("other", null, 5), alias("champion", 1, null)];
    expect(rollbackPreview(h, { alias: "champion" })).toEqual({ current: null, target: 1 });
    expect(rollbackPreview([alias("c", null, 1), alias("c", 1, 2)], { alias: "c" })).toEqual({ current: 2, target: 1 });
  });
});

function run(metrics: Record<string, Partial<MetricSummary>>): Run {
  return { metrics } as unknown as Run;
}

describe("keyMetrics", () => {
  it("prefers declared goals, then the keys most runs share, and leaves out system metrics", () => {
    const runs = [
      run({ "train/loss": { goal: "last" }, "val/auc": { goal: "max" }, "system/cpu": { goal: "last" } }),
      run({ "train/loss": { goal: "last" }, extra: { goal: "last" } }),
      null,
    ];
    expect(keyMetrics(runs)).toEqual(["val/auc", "train/loss", "extra"]);
    expect(keyMetrics(runs, 1)).toEqual(["val/auc"]);
    expect(keyMetrics([null])).toEqual([]);
  });
});

describe("shortDigest", () => {
  it("keeps 12 hex digits without the algorithm", () => {
    expect(shortDigest("sha256:54099d2701b113a34725956b1f1e9523")).toBe("54099d2701b1");
    expect(shortDigest("abcdef0123456789")).toBe("abcdef012345");
  });
});
