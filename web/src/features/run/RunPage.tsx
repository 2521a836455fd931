// One run: overview, config, charts, system metrics, files and artifacts, notes, logs.
// Live while it runs: state and charts refresh from the server's events.
import { useQueryClient } from "@tanstack/react-query";
import { Suspense, lazy, useMemo } from "react";
import { Link, useParams } from "react-router";
import { Empty, ErrorBox, Loading, StateBadge, Swatch } from "../../components/States";
import { TabBar, tabPanelProps } from "../../components/Tabs";
import { runColor } from "../../lib/colors";
import { fmtDuration } from "../../lib/format";
import { useLiveEvents } from "../../lib/live";
import { useNow } from "../../lib/now";
import { useUrlState } from "../../lib/urlState";
import { ChartGrid } from "../charts/ChartGrid";
import { runsHref } from "../runs/prefs";
import { DIFF_FILE } from "./api";
import { activeDuration } from "./duration";
import { ArtifactsTab } from "./ArtifactsTab";
import { ConfigTable } from "./ConfigTable";
import { LogsTab } from "./LogsTab";
import { Overview, SummaryTable } from "./Overview";
import { invalidateRuns, useRun } from "./queries";
import { runPageSchema } from "./state";

// the notes carry the Markdown renderer: loaded when the tab is first shown
const NotesTab = lazy(() => import("./NotesTab"));
const MediaTab = lazy(() => import("../media/MediaTab"));
const LineageTab = lazy(() => import("../lineage/LineageTab"));
const CommentsThread = lazy(() => import("../comments/CommentsThread"));

const TABS = [
  ["overview", "Overview"],
  ["charts", "Charts"],
  ["system", "System"],
  ["config", "Config"],
  ["artifacts", "Files & artifacts"],
  ["media", "Media"],
  ["notes", "Notes"],
  ["comments", "Comments"],
  ["logs", "Logs"],
  ["lineage", "Lineage"],
] as const;

export default function RunPage() {
  const { project, runId } = useParams() as { project: string; runId: string };
  const [s, set] = useUrlState(runPageSchema);
  const res = useRun(runId);
  const run = res.data ?? null;
  // its state, summary, files, console and charts follow it live
  const qc = useQueryClient();
  useLiveEvents({ run: runId }, () => void invalidateRuns(qc, [runId]), 1000);

  const metrics = run?.metrics;
  const { userKeys, systemKeys } = useMemo(() => {
    const keys = Object.keys(metrics ?? {}).sort();
    return {
      userKeys: keys.filter((k) => !k.startsWith("system/")),
      systemKeys: keys.filter((k) => k.startsWith("system/")),
    };
  }, [metrics]);
  // A running run's duration ticks here; the server's figure moves with heartbeats only.
  const now = useNow(run?.state === "running");
  const id = run?.id;
  const name = run?.name;
  const chartRuns = useMemo(() => (id !== undefined && name !== undefined ? [{ id, name }] : []), [id, name]);

  if (res.error && !run) return <ErrorBox error={res.error} retry={() => void res.refetch()} />;
  if (!run) return <Loading what="run" />;
  const base = `/p/${encodeURIComponent(project)}/runs/${run.id}`;
  return (
    <section
      className="page run-page"
      data-view="run"
      data-run-id={run.id}
      data-state={run.state}
      data-last-step={run.last_step ?? ""}
    >
      <div className="page-head">
        <Swatch color={runColor(run.id)} />
        <h1>{run.name}</h1>
        <StateBadge state={run.state} />
        <span className="muted" data-testid="run-duration">
          {fmtDuration(activeDuration(run, now / 1000))}
        </span>
        <span className="spacer" />
        <Link className="button" to={runsHref(project)}>
          Back to runs
        </Link>
      </div>
      <TabBar
        label="Run sections"
        base="run"
        selected={s.tab}
        onSelect={(tab, opts) => set({ tab }, opts)}
        tabs={TABS.map(([id, label]) => ({
          id,
          label: (
            <>
              {label}
              {id === "charts" && <span className="count">{userKeys.length}</span>}
            </>
          ),
        }))}
      />
      <div className="tab-body" {...tabPanelProps("run", s.tab)}>
        {s.tab === "overview" && (
          <>
            <Overview run={run} diffLink={`${base}?tab=artifacts&file=${encodeURIComponent(DIFF_FILE)}`} />
            <h2>Summary</h2>
            {Object.keys(run.metrics).length ? <SummaryTable run={run} /> : <Empty title="No metrics logged yet" />}
          </>
        )}
        {s.tab === "charts" && (
          <ChartGrid runs={chartRuns} keys={userKeys} state={s} set={set} xAxisChoices={userKeys} />
        )}
        {s.tab === "system" &&
          (systemKeys.length ? (
            <ChartGrid
              runs={chartRuns}
              keys={systemKeys}
              state={{ ...s, xAxis: s.systemX }}
              set={({ xAxis, ...rest }, opts) => set(xAxis === undefined ? rest : { ...rest, systemX: xAxis }, opts)}
              xAxisChoices={[]}
            />
          ) : (
            <Empty title="No system metrics">
              They are sampled while a run trains (heron.init(system_metrics=True)).
            </Empty>
          ))}
        {s.tab === "config" && (
          <ConfigTable
            config={run.config}
            q={s.configFilter}
            setQ={(configFilter) => set({ configFilter }, { replace: true })}
          />
        )}
        {s.tab === "artifacts" && <ArtifactsTab runId={run.id} file={s.file} onFile={(file) => set({ file })} />}
        {s.tab === "media" && (
          <Suspense fallback={<Loading what="media" />}>
            <MediaTab runId={run.id} running={run.state === "running"} />
          </Suspense>
        )}
        {s.tab === "notes" && (
          <Suspense fallback={<Loading what="notes" />}>
            <NotesTab run={run} />
          </Suspense>
        )}
        {s.tab === "comments" && (
          <Suspense fallback={<Loading what="comments" />}>
            <CommentsThread runId={run.id} project={project} />
          </Suspense>
        )}
        {s.tab === "logs" && <LogsTab runId={run.id} running={run.state === "running"} />}
        {s.tab === "lineage" && (
          <Suspense fallback={<Loading what="lineage" />}>
            <LineageTab runId={run.id} name={run.name} />
          </Suspense>
        )}
      </div>
    </section>
  );
}
