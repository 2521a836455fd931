// Two versions of a model side by side: their source runs' config differences and
// metric summaries, with the same tables as the runs comparison.
import { useMemo } from "react";
import { Link, useParams } from "react-router";
import { Empty, ErrorBox, Loading } from "../../components/States";
import type { VersionDetail } from "../../lib/api";
import { diffRows } from "../../lib/flatten";
import { fmtBytes, fmtDate } from "../../lib/format";
import { num, useUrlState } from "../../lib/urlState";
import { DiffTable, SummaryCompare } from "../compare/CompareTables";
import { modelPath } from "./api";
import "./models.css";
import { useModelVersions, useVersionDetails } from "./queries";
import { shortDigest } from "./registryLogic";
import { AliasChip, StageBadge } from "./StageBadge";

const schema = { a: num("a", 0), b: num("b", 0) };

export default function ModelComparePage() {
  const name = useParams().name!;
  const [s, set] = useUrlState(schema);
  const versions = useModelVersions(name);
  const pair = s.a > 0 && s.b > 0 ? [s.a, s.b] : [];
  const details = useVersionDetails(name, pair);
  const shown = details.data?.length === 2 ? details.data : null;
  const runs = useMemo(() => (shown ?? []).flatMap((d) => (d.run ? [d.run] : [])), [shown]);
  const metricKeys = useMemo(() => [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort(), [runs]);
  const labels = (shown ?? []).map((d) => `v${d.version}`);

  const picker = (which: "a" | "b") => (
    <label className="field-inline">
      {which === "a" ? "Version" : "against"}
      <select
        aria-label={which === "a" ? "First version" : "Second version"}
        value={s[which] || ""}
        onChange={(e) => set({ [which]: Number(e.target.value) })}
      >
        <option value="">pick…</option>
        {(versions.data ?? []).map((v) => (
          <option key={v.version} value={v.version}>
            v{v.version} ({v.stage})
          </option>
        ))}
      </select>
    </label>
  );

  return (
    <section className="page model-compare" data-view="model-compare" data-model={name}>
      <div className="page-head">
        <h1>
          Compare versions of <Link to={modelPath(name)}>{name}</Link>
        </h1>
        <span className="spacer" />
        {picker("a")}
        {picker("b")}
      </div>
      {versions.error && <ErrorBox error={versions.error} retry={() => void versions.refetch()} />}
      {pair.length !== 2 ? (
        <Empty title="Pick two versions to compare">Choose them above, or tick two on the model's page.</Empty>
      ) : details.error ? (
        <ErrorBox error={details.error} retry={details.retry} />
      ) : !shown ? (
        <Loading what={`v${s.a} and v${s.b}`} />
      ) : (
        <>
          <div className="cards">
            {shown.map((d) => (
              <VersionCard key={d.version} d={d} />
            ))}
          </div>
          {runs.length < 2 ? (
            <Empty title="A source run is missing">
              Only versions whose runs still exist can be compared by config and metrics.
            </Empty>
          ) : (
            <>
              <h2>Config</h2>
              <DiffTable runs={runs} rows={diffRows(runs.map((r) => r.config))} what="config value" labels={labels} />
              <h2>Metrics</h2>
              <SummaryCompare runs={runs} keys={metricKeys} labels={labels} />
            </>
          )}
        </>
      )}
    </section>
  );
}

function VersionCard({ d }: { d: VersionDetail }) {
  return (
    <div className="card" data-version-card={d.version}>
      <h3>Version {d.version}</h3>
      <dl>
        <dt>Stage</dt>
        <dd>
          <StageBadge stage={d.stage} />
          {d.aliases.map((a) => (
            <AliasChip key={a} alias={a} />
          ))}
        </dd>
        <dt>Source run</dt>
        <dd>
          {d.run ? (
            <Link to={`/p/${encodeURIComponent(d.run.project)}/runs/${d.run.id}`}>{d.run.name}</Link>
          ) : (
            <span className="muted">deleted</span>
          )}
        </dd>
        <dt>Artifact</dt>
        <dd>
          {d.artifact.ref} · {fmtBytes(d.artifact.size)} ·{" "}
          <code title={d.artifact_digest}>{shortDigest(d.artifact_digest)}</code>
        </dd>
        <dt>Created</dt>
        <dd>
          {fmtDate(d.created_at)} by {d.created_by}
        </dd>
      </dl>
    </div>
  );
}
