// One run: overview, config, charts, system metrics, files and artifacts, notes, logs.
// Live while it runs: state and charts refresh from the server's events.
import { useCallback, useEffect, useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import { ChartGrid } from "../charts/ChartGrid";
import { Empty, ErrorBox, Loading, StateBadge, Swatch } from "../../components/States";
import { TabBar, tabPanelProps } from "../../components/Tabs";
import { api, type Run } from "../../lib/api";
import { runColor } from "../../lib/colors";
import { fmtDuration } from "../../lib/format";
import { useAsync, useLiveEvents, useNow, useUrlState } from "../../lib/hooks";
import { runsHref } from "../runs/prefs";
import { runPageSchema } from "./state";
import { ArtifactsTab } from "./ArtifactsTab";
import { ConfigTable } from "./ConfigTable";
import { NotesTab } from "./NotesTab";
import { LogsTab } from "./LogsTab";
import { DIFF_FILE, Overview, SummaryTable } from "./Overview";

const TABS = [
  ["overview", "Overview"],
  ["charts", "Charts"],
  ["system", "System"],
  ["config", "Config"],
  ["artifacts", "Files & artifacts"],
  ["notes", "Notes"],
  ["logs", "Logs"],
] as const;

export default function RunPage() {
  const { project, runId } = useParams() as { project: string; runId: string };
  const [s, set] = useUrlState(runPageSchema);
  const res = useAsync((signal) => api.run(runId, signal), [runId]);
  // a PATCH answers with the new run: show it at once, until the next fetch replaces it
  const [patched, setPatched] = useState<Run | null>(null);
  useEffect(() => setPatched(null), [res.data]);
  const run = patched?.id === runId ? patched : (res.data ?? null);
  const [version, setVersion] = useState(0);
  const { reload } = res;
  const onEvents = useCallback(() => {
    reload();
    setVersion((v) => v + 1);
  }, [reload]);
  useLiveEvents({ run: runId }, onEvents, 1000);

  const keys = useMemo(() => Object.keys(run?.metrics ?? {}).sort(), [run]);
  const userKeys = keys.filter((k) => !k.startsWith("system/"));
  const systemKeys = keys.filter((k) => k.startsWith("system/"));
  // A running run's duration ticks here; the server's figure moves with heartbeats only.
  const now = useNow(run?.state === "running");
  const chartRuns = useMemo(() => (run ? [{ id: run.id, name: run.name }] : []), [run?.id, run?.name]); // eslint-disable-line react-hooks/exhaustive-deps

  if (res.error && !run) return <ErrorBox error={res.error} retry={res.reload} />;
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
          {fmtDuration(
            run.state === "running" ? Math.max(run.duration ?? 0, now / 1000 - run.created_at) : run.duration,
          )}
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
          <ChartGrid runs={chartRuns} keys={userKeys} state={s} set={set} version={version} xAxisChoices={userKeys} />
        )}
        {s.tab === "system" &&
          (systemKeys.length ? (
            <ChartGrid runs={chartRuns} keys={systemKeys} state={s} set={set} version={version} xAxisChoices={[]} />
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
        {s.tab === "notes" && <NotesTab run={run} onSaved={setPatched} />}
        {s.tab === "logs" && <LogsTab runId={run.id} running={run.state === "running"} />}
      </div>
    </section>
  );
}
