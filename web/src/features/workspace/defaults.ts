// The workspace a project starts with, chosen from its keys: a section per namespace
// (the part of a key before its first "/"), validation and training first, other
// results next, bookkeeping (lr, epoch) after them and system metrics last, collapsed;
// a line chart per metric; and, when runs differ in their config, a section with
// parallel coordinates and a scatter of the first result metric against a parameter.
import type { ProjectKeys } from "../../lib/api";
import { isBookkeeping, keyRank, orderKeys } from "../runs/keyOrder";
import { MAX_W, newPanel, newSection, type Panel, type Section, type Workspace } from "./model";

export const DEFAULT_PANELS_PER_SECTION = 24; // more are a click away ("Add panel")

const namespaceOf = (key: string) => {
  const i = key.indexOf("/");
  return i < 0 ? "" : key.slice(0, i);
};

export function defaultWorkspace(keys: ProjectKeys): Workspace {
  const metrics = orderKeys(keys.metrics);
  const bySpace = new Map<string, string[]>();
  for (const k of metrics) {
    const ns = isBookkeeping(k) && !k.startsWith("system/") ? "~bookkeeping" : namespaceOf(k);
    bySpace.set(ns, [...(bySpace.get(ns) ?? []), k]);
  }
  const rank = (ns: string, ks: string[]) =>
    ns === "system" ? 9 : ns === "~bookkeeping" ? 8 : Math.min(...ks.map(keyRank));
  const spaces = [...bySpace.entries()].sort(
    ([a, ka], [b, kb]) => rank(a, ka) - rank(b, kb) || (a < b ? -1 : a > b ? 1 : 0),
  );
  const sections: Section[] = spaces.map(([ns, ks]) => {
    const system = ns === "system";
    const panels = ks
      .slice(0, DEFAULT_PANELS_PER_SECTION)
      .map((k) => newPanel("line", { keys: [k], xAxis: system ? "relative_time" : "step" }));
    const name = ns === "~bookkeeping" ? "bookkeeping" : ns || "metrics";
    return newSection(name, panels, system);
  });
  const results = metrics.filter((k) => keyRank(k) <= 2);
  const params = keys.config.filter((k) => k !== "seed");
  if (params.length > 0 && results.length > 0) {
    const sweep: Panel[] = [
      newPanel("parallel", {
        keys: [...params.slice(0, 6).map((k) => `config.${k}`), `metrics.${results[0]}`],
        w: MAX_W,
      }),
      newPanel("scatter", { keys: [`config.${params[0]}`, `metrics.${results[0]}`], w: 1 }),
      newPanel("bar", { keys: [`metrics.${results[0]}`], w: 2 }),
    ];
    const at = sections.findIndex((s) => s.name === "bookkeeping" || s.name === "system");
    sections.splice(at < 0 ? sections.length : at, 0, newSection("runs", sweep));
  }
  return { version: 1, sections };
}
