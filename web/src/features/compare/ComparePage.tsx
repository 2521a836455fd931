// 2–N runs side by side: config differences (equal values folded away), summary with
// the best value per row marked, overlaid charts, environment and git differences.
import { useQueryClient } from "@tanstack/react-query";
import { Suspense, lazy, useMemo } from "react";
import { Link, useParams } from "react-router";
import { Empty, ErrorBox, Loading } from "../../components/States";
import { TabBar, tabPanelProps } from "../../components/Tabs";
import type { Run } from "../../lib/api";
import { diffRows, referenceFirst } from "../../lib/flatten";
import { getPath } from "../../lib/get";
import { eventRuns, useLiveEvents, type LiveEvent } from "../../lib/live";
import { useUrlState } from "../../lib/urlState";
import { seedGroupsOf } from "../analysis/bands";
import { ChartGrid } from "../charts/ChartGrid";
import { invalidateRuns, useRuns } from "../run/queries";
import { runsHref } from "../runs/prefs";
import { CodeDiffs } from "./CodeDiffs";
import { DiffTable, SummaryCompare, useSetColors } from "./CompareTables";
import { compareSchema } from "./state";

const TABS = [
  ["config", "Config"],
  ["summary", "Summary"],
  ["charts", "Charts"],
  ["environment", "Environment & code"],
  ["media", "Media"],
] as const;

// images side by side: loaded when the tab is first shown
const MediaCompare = lazy(() => import("../media/MediaCompare"));

/** What of a run's system record is worth comparing, flattened by diffRows. */
function environmentOf(run: Run): Record<string, unknown> {
  const sys = run.system ?? {};
  const packages: Record<string, unknown> = {};
  const list = getPath(sys, "packages");
  if (Array.isArray(list)) for (const p of list as { name: string; version: string }[]) packages[p.name] = p.version;
  return {
    git: {
      commit: getPath(sys, "git.commit"),
      branch: getPath(sys, "git.branch"),
      dirty: getPath(sys, "git.dirty"),
      diff_bytes: getPath(sys, "git.diff_bytes"),
    },
    command: (getPath(sys, "program.process.argv") as string[] | undefined)?.join(" "),
    host: getPath(sys, "environment.platform.hostname"),
    python: getPath(sys, "program.python.version"),
    torch: getPath(sys, "environment.torch.version"),
    cuda: getPath(sys, "environment.torch.cuda"),
    gpu: getPath(sys, "environment.gpu.devices"),
    packages,
  };
}

export default function ComparePage() {
  const project = useParams().project!;
  const [s, set] = useUrlState(compareSchema);
  const ids = s.runs;
  // each run is its own cache entry: a run the run page (or another comparison) fetched
  // shows at once
  const res = useRuns(ids);
  // the compared runs follow their live events (runs of the project that are not
  // compared change nothing here)
  const qc = useQueryClient();
  const onEvents = (events: LiveEvent[]) =>
    void invalidateRuns(
      qc,
      [...eventRuns(events)].filter((id) => ids.includes(id)),
    );
  useLiveEvents({ project }, onEvents, 1500);
  const runs = res.data;
  const metricKeys = useMemo(() => [...new Set((runs ?? []).flatMap((r) => Object.keys(r.metrics)))].sort(), [runs]);
  const chartRuns = useMemo(() => (runs ?? []).map((r) => ({ id: r.id, name: r.name })), [runs]);
  const seedGroups = useMemo(() => seedGroupsOf(runs ?? []), [runs]); // runs differing only in the seed
  const colors = useSetColors(runs ?? []);

  if (ids.length < 2)
    return (
      <Empty title="Pick at least two runs to compare">
        Select runs in the <Link to={`/p/${encodeURIComponent(project)}`}>runs table</Link>, then press Compare.
      </Empty>
    );
  if (res.error) return <ErrorBox error={res.error} retry={res.retry} />;
  if (!runs) return <Loading what={`${ids.length} runs`} />;
  const userKeys = metricKeys.filter((k) => !k.startsWith("system/"));
  // the reference run (differences are marked against it) goes first in the tables
  const byRef = referenceFirst(
    runs,
    runs.findIndex((r) => r.id === s.ref),
  );
  const onRef = (ref: string) => set({ ref: ref === runs[0].id ? "" : ref }, { replace: true });
  return (
    <section className="page compare-page" data-view="compare" data-runs={runs.length}>
      <div className="page-head">
        <h1>Compare {runs.length} runs</h1>
        <span className="spacer" />
        <Link className="button" to={runsHref(project, ids)}>
          Back to runs
        </Link>
      </div>
      <TabBar
        label="Comparison sections"
        base="compare"
        selected={s.tab}
        onSelect={(tab, opts) => set({ tab }, opts)}
        tabs={TABS.map(([id, label]) => ({ id, label }))}
      />
      <div className="tab-body" {...tabPanelProps("compare", s.tab)}>
        {s.tab === "config" && (
          <DiffTable runs={byRef} rows={diffRows(byRef.map((r) => r.config))} what="config value" onRef={onRef} />
        )}
        {s.tab === "summary" && <SummaryCompare runs={byRef} keys={metricKeys} />}
        {s.tab === "charts" && (
          <ChartGrid runs={chartRuns} keys={userKeys} state={s} set={set} xAxisChoices={userKeys} groups={seedGroups} />
        )}
        {s.tab === "environment" && (
          <>
            <DiffTable runs={byRef} rows={diffRows(byRef.map(environmentOf))} what="environment value" onRef={onRef} />
            <CodeDiffs runs={byRef} colors={colors} />
          </>
        )}
        {s.tab === "media" && (
          <Suspense fallback={<Loading what="media" />}>
            <MediaCompare runs={byRef} />
          </Suspense>
        )}
      </div>
    </section>
  );
}
