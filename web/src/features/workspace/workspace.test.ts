import { describe, expect, it } from "vitest";
import type { ChartSeries } from "../charts/series";
import type { Row } from "../runs/rows";
import { bars } from "./BarPanel";
import { defaultWorkspace } from "./defaults";
import {
  addPanel,
  addSection,
  movePanel,
  movePanelTo,
  moveSection,
  removePanel,
  removeSection,
  resizePanel,
  toggleSection,
  updatePanel,
} from "./layout";
import { configOf, drawnLines } from "./lines";
import { MAX_H, MIN_H, newPanel, newSection, runsStateOf, workspaceOf, type Workspace } from "./model";
import { panelFilter } from "./queries";

const ids = (ws: Workspace) => ws.sections.map((s) => s.panels.map((p) => p.keys[0]));

function sample(): Workspace {
  const p = (k: string) => newPanel("line", { keys: [k], id: k });
  return {
    version: 1,
    sections: [
      { ...newSection("a", [p("a1"), p("a2"), p("a3")]), id: "A" },
      { ...newSection("b", [p("b1")]), id: "B" },
    ],
  };
}

describe("layout", () => {
  it("adds, removes and changes panels", () => {
    let ws = addPanel(sample(), "B", newPanel("bar", { keys: ["b2"] }));
    expect(ids(ws)).toEqual([
      ["a1", "a2", "a3"],
      ["b1", "b2"],
    ]);
    ws = removePanel(ws, "a2");
    expect(ids(ws)).toEqual([
      ["a1", "a3"],
      ["b1", "b2"],
    ]);
    ws = updatePanel(ws, "a1", { logY: true, id: "other" });
    expect(ws.sections[0].panels[0]).toMatchObject({ id: "a1", logY: true });
    // no section: one is made
    expect(addPanel({ version: 1, sections: [] }, null, newPanel("markdown")).sections).toHaveLength(1);
  });

  it("moves panels within and across sections", () => {
    const ws = sample();
    expect(ids(movePanel(ws, "a1", 1))).toEqual([["a2", "a1", "a3"], ["b1"]]);
    expect(ids(movePanel(ws, "a3", 1))).toEqual([
      ["a1", "a2"],
      ["a3", "b1"],
    ]);
    expect(ids(movePanel(ws, "b1", -1))).toEqual([["a1", "a2", "a3", "b1"], []]);
    expect(ids(movePanel(ws, "a1", -1))).toEqual(ids(ws)); // nowhere to go
    // dropped on a3: before it
    expect(ids(movePanelTo(ws, "a1", "A", 2))).toEqual([["a2", "a1", "a3"], ["b1"]]);
    expect(ids(movePanelTo(ws, "b1", "A", 0))).toEqual([["b1", "a1", "a2", "a3"], []]);
    expect(ids(movePanelTo(ws, "a1", "nope", 0))).toEqual(ids(ws));
  });

  it("resizes within limits", () => {
    const ws = resizePanel(sample(), "a1", 7, 10_000);
    expect(ws.sections[0].panels[0]).toMatchObject({ w: 3, h: MAX_H });
    expect(resizePanel(ws, "a1", 0, 3).sections[0].panels[0]).toMatchObject({ w: 1, h: MIN_H });
  });

  it("adds, folds, moves and removes sections", () => {
    let ws = addSection(sample(), "c");
    expect(ws.sections.map((s) => s.name)).toEqual(["a", "b", "c"]);
    ws = toggleSection(ws, "A");
    expect(ws.sections[0].collapsed).toBe(true);
    ws = moveSection(ws, "A", 1);
    expect(ws.sections.map((s) => s.name)).toEqual(["b", "a", "c"]);
    expect(moveSection(ws, "B", -1)).toBe(ws);
    expect(removeSection(ws, "A").sections.map((s) => s.name)).toEqual(["b", "c"]);
  });
});

describe("default layout", () => {
  it("puts val/ and train/ first, bookkeeping after, system last and folded", () => {
    const ws = defaultWorkspace({
      metrics: ["system/cpu", "epoch", "train/loss", "aux/x", "val/acc", "val/loss", "train/lr"],
      config: ["lr", "seed"],
      summary: [],
      tags: [],
    });
    expect(ws.sections.map((s) => s.name)).toEqual(["val", "train", "aux", "runs", "bookkeeping", "system"]);
    expect(ws.sections[0].panels.map((p) => p.keys)).toEqual([["val/acc"], ["val/loss"]]);
    expect(ws.sections.at(-1)).toMatchObject({ collapsed: true });
    expect(ws.sections.at(-1)!.panels[0].xAxis).toBe("relative_time");
    const runs = ws.sections[3].panels;
    expect(runs.map((p) => p.kind)).toEqual(["parallel", "scatter", "bar"]);
    expect(runs[0].keys).toEqual(["config.lr", "metrics.val/acc"]); // not the seed
  });

  it("is empty for a project without metrics", () => {
    expect(defaultWorkspace({ metrics: [], config: [], summary: [], tags: [] }).sections).toEqual([]);
  });
});

describe("stored views", () => {
  it("reads back what it wrote and fixes what it cannot use", () => {
    const ws = sample();
    expect(workspaceOf(JSON.parse(JSON.stringify(ws)))).toEqual(ws);
    const odd = workspaceOf({
      sections: [
        { name: "x", panels: [{ kind: "nope" }, { kind: "line", w: 9, h: "big", band: "wild", keys: [1, "k"] }] },
      ],
    })!;
    expect(odd.sections[0].panels).toHaveLength(1);
    expect(odd.sections[0].panels[0]).toMatchObject({ w: 3, h: 220, band: "", keys: ["k"] });
    expect(workspaceOf(null)).toBeNull();
    expect(runsStateOf({ filter: "a", sort: ["-x", 3] })).toEqual({
      filter: "a",
      sort: ["-x"],
      columns: [],
      group: "",
    });
  });
});

const series = (run: string, key: string, ys: number[]): ChartSeries => ({
  run,
  key,
  total: ys.length,
  sampled: false,
  x: Float64Array.from(ys.map((_, i) => i)),
  y: Float64Array.from(ys),
  min: Float64Array.from(ys),
  max: Float64Array.from(ys),
  markers: [],
});

describe("drawn lines", () => {
  it("draws a line per run and key, or a group's mean with its band", () => {
    const s = [series("r1", "a", [1, 2]), series("r2", "a", [3, 4]), series("r1", "b", [0, 0])];
    const names = { r1: "one", r2: "two" };
    expect(drawnLines(s, ["a"], names, null).names).toEqual({ r1: "one", r2: "two" });
    const two = drawnLines(s, ["a", "b"], names, null);
    expect(two.series.map((x) => two.names[x.run])).toEqual(["one · a", "two · a", "one · b"]);
    const group = { id: "group:0", name: "lr=0.1", runIds: ["r1", "r2"] };
    const banded = drawnLines(s, ["a"], names, { kind: "minmax", groups: [group] });
    expect(banded.series).toHaveLength(1);
    expect(Array.from(banded.series[0].y)).toEqual([2, 3]);
    expect(Array.from(banded.series[0].min)).toEqual([1, 2]);
    expect(Array.from(banded.series[0].max)).toEqual([3, 4]);
    expect(banded.names["group:0"]).toBe("lr=0.1");
  });

  it("reads config cells for grouping", () => {
    expect(configOf({ "config.lr": 0.1, "config.seed": 2, "metrics.acc": 1, "config.x": null })).toEqual({
      lr: 0.1,
      seed: 2,
    });
  });
});

describe("bars and filters", () => {
  const row = (id: string, lr: number, seed: number, acc: number): Row => ({
    index: 0,
    id,
    name: id,
    state: "finished",
    group: null,
    tags: [],
    created_at: 0,
    duration: null,
    cells: { "config.lr": lr, "config.seed": seed, "metrics.acc": acc },
  });
  const rows = [row("a", 0.1, 0, 1), row("b", 0.1, 1, 3), row("c", 0.01, 0, 5)];

  it("draws a bar per run, or per group with its spread", () => {
    const panel = newPanel("bar", { keys: ["metrics.acc"] });
    expect(bars(panel, rows).map((b) => b.value)).toEqual([1, 3, 5]);
    const grouped = bars({ ...panel, band: "minmax" }, rows);
    expect(grouped.map((b) => [b.name, b.value, b.lo, b.hi, b.n])).toEqual([
      ["lr=0.1", 2, 1, 3, 2],
      ["lr=0.01", 5, 5, 5, 1],
    ]);
  });

  it("narrows the workspace's filter by the panel's", () => {
    expect(panelFilter("", "")).toBe("");
    expect(panelFilter("a = 1", "")).toBe("a = 1");
    expect(panelFilter(" ", "b = 2")).toBe("b = 2");
    expect(panelFilter("a = 1 or c = 3", "b = 2")).toBe("(a = 1 or c = 3) and (b = 2)");
  });
});
