// One registered model: who holds each stage and alias (with rollback buttons), every
// version with its source run's key metrics and promote buttons, and the history.
import { useMemo, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { Empty, ErrorBox, Loading } from "../../components/States";
import type { HistoryEntry, Model, ModelVersion, Run, Stage } from "../../lib/api";
import { fmtDate, fmtNum } from "../../lib/format";
import { list, useUrlState } from "../../lib/urlState";
import { useAccess } from "../auth/queries";
import { modelVersionPath } from "../lineage/api";
import { modelPath, PROMOTE_TO, ROLLBACK_STAGES, type RollbackTarget } from "./api";
import { ChangeDialog, type ChangeRequest } from "./ChangeDialog";
import "./models.css";
import { useModel, useSourceRuns } from "./queries";
import { keyMetrics, rollbackPreview, shortDigest, stageHolders } from "./registryLogic";
import { AliasChip, StageBadge } from "./StageBadge";
import { Timeline } from "./Timeline";

const schema = { selected: list("sel") };

export default function ModelPage() {
  const name = useParams().name!;
  const [s, set] = useUrlState(schema);
  const [dialog, setDialog] = useState<ChangeRequest | null>(null);
  const res = useModel(name);
  const versionList = res.data?.versions;
  const runIds = useMemo(
    () => [...new Set((versionList ?? []).flatMap((v) => (v.run_id ? [v.run_id] : [])))].sort(),
    [versionList],
  );
  const runs = useSourceRuns(runIds);

  if (res.error && !res.data) return <ErrorBox error={res.error} retry={res.retry} />;
  if (!res.data) return <Loading what="model" />;
  const { model, versions, history } = res.data;
  return (
    <section className="page model-page" data-view="model" data-model={model.name}>
      <div className="page-head">
        <h1>{model.name}</h1>
        {Object.entries(model.tags).map(([k, v]) => (
          <span key={k} className="tag">
            {k}: {v}
          </span>
        ))}
        <span className="spacer" />
        <Link className="button" to="/models">
          All models
        </Link>
      </div>
      {model.description && <p className="model-description">{model.description}</p>}
      {res.error && <ErrorBox error={res.error} retry={res.retry} />}
      <Holders model={model} history={history} onRollback={setDialog} />
      <h2>Versions</h2>
      {versions.length === 0 ? (
        <Empty title="No versions yet">
          Register one with <code>heron.models.register(run, path, name="{model.name}")</code>.
        </Empty>
      ) : (
        <VersionsTable
          model={model}
          versions={versions}
          runs={runs.data}
          runsError={runs.error}
          selected={s.selected}
          onSelect={(selected) => set({ selected }, { replace: true })}
          onPromote={setDialog}
        />
      )}
      <h2>History</h2>
      <Timeline history={history} />
      {dialog && <ChangeDialog req={dialog} onClose={() => setDialog(null)} onDone={() => setDialog(null)} />}
    </section>
  );
}

function Holders({
  model,
  history,
  onRollback,
}: {
  model: Model;
  history: HistoryEntry[];
  onRollback: (req: ChangeRequest) => void;
}) {
  const h = stageHolders(model);
  const { canWrite, readOnly } = useAccess(null); // the registry: editors somewhere
  const aliasNames = [...new Set(history.flatMap((e) => (e.kind === "alias" && e.name ? [e.name] : [])))].sort();
  const targets: [string, RollbackTarget][] = [
    ...ROLLBACK_STAGES.map((stage): [string, RollbackTarget] => [stage, { stage }]),
    ...aliasNames.map((alias): [string, RollbackTarget] => [`@${alias}`, { alias }]),
  ];
  const holderText = (vs: number[]) => (vs.length ? vs.map((v) => `v${v}`).join(", ") : "none");
  return (
    <div className="cards holders">
      <div className="card">
        <h3>Holders</h3>
        <dl>
          <dt>Production</dt>
          <dd data-holders="production">{holderText(h.production)}</dd>
          <dt>Staging</dt>
          <dd data-holders="staging">{holderText(h.staging)}</dd>
          <dt>Aliases</dt>
          <dd>
            {h.aliases.length === 0 && <span className="muted">none</span>}
            {h.aliases.map(([alias, v]) => (
              <span key={alias} className="alias-pair" data-alias-holder={alias}>
                <AliasChip alias={alias} /> v{v}
              </span>
            ))}
          </dd>
          <dt>Latest</dt>
          <dd>{model.latest_version === null ? "none" : `v${model.latest_version}`}</dd>
          {model.protected.length > 0 && (
            <>
              <dt>Protected</dt>
              <dd title="only an admin may move versions into or out of these">{model.protected.join(", ")}</dd>
            </>
          )}
        </dl>
      </div>
      <div className="card">
        <h3>Rollback</h3>
        <div className="rollback-list">
          {targets.map(([label, target]) => {
            const preview = rollbackPreview(history, target);
            const move = preview
              ? `v${preview.current ?? "–"} → ${preview.target === null ? "removed" : `v${preview.target}`}`
              : null;
            return (
              <div key={label} className="rollback-row" data-rollback-target={label}>
                <button
                  aria-label={`Roll back ${label}`}
                  disabled={!canWrite}
                  title={readOnly || undefined}
                  onClick={() =>
                    onRollback({
                      title: `Roll back ${label}`,
                      confirm: "Roll back",
                      description: move
                        ? `Gives ${label} back to its previous holder: ${move}.`
                        : `${label} has no earlier holder on record; the server will say so.`,
                      model: model.name,
                      change: (reason) => ({ kind: "rollback", target, reason }),
                    })
                  }
                >
                  ↶ {label}
                </button>
                <span className={move ? "" : "muted"}>{move ?? "nothing earlier"}</span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

function VersionsTable({
  model,
  versions,
  runs,
  runsError,
  selected,
  onSelect,
  onPromote,
}: {
  model: Model;
  versions: ModelVersion[];
  runs: Record<string, Run | null> | undefined;
  runsError: Error | null;
  selected: string[];
  onSelect: (selected: string[]) => void;
  onPromote: (req: ChangeRequest) => void;
}) {
  const navigate = useNavigate();
  const { canWrite, readOnly } = useAccess(null); // the registry: editors somewhere
  const metrics = useMemo(() => keyMetrics(Object.values(runs ?? {})), [runs]);
  const toggle = (v: string) =>
    onSelect(selected.includes(v) ? selected.filter((x) => x !== v) : [...selected, v].slice(-2));
  const promote = (v: ModelVersion, stage: Stage) =>
    onPromote({
      title: `Move v${v.version} to ${stage}`,
      confirm: stage === "archived" ? "Archive" : `Promote to ${stage}`,
      description: `v${v.version} is in ${v.stage} now.`,
      archiveOption: stage === "production",
      model: model.name,
      change: (reason, archiveExisting) => ({
        kind: "transition",
        version: v.version,
        stage,
        reason,
        archiveExisting,
      }),
    });
  const [a, b] = [...selected].sort((x, y) => Number(x) - Number(y));
  return (
    <>
      <div className="row">
        <button
          className="primary"
          disabled={selected.length !== 2}
          onClick={() => navigate(`${modelPath(model.name)}/compare?a=${a}&b=${b}`)}
        >
          Compare {selected.length === 2 ? `v${a} and v${b}` : "two versions"}
        </button>
        <span className="muted small">Tick two versions to compare their runs' config and metrics.</span>
        {runsError && <span className="error-text small">Source runs: {runsError.message}</span>}
      </div>
      <div className="wide">
        <table className="grid versions-table" data-count={versions.length}>
          <thead>
            <tr>
              <th aria-label="Select" />
              <th>Version</th>
              <th>Stage</th>
              <th>Aliases</th>
              <th>Source run</th>
              {metrics.map((k) => (
                <th key={k} className="num">
                  {k}
                </th>
              ))}
              <th>Digest</th>
              <th>Created</th>
              <th>Move to</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => {
              const run = v.run_id ? runs?.[v.run_id] : null;
              const key = String(v.version);
              return (
                <tr key={v.version} id={`v${v.version}`} data-version={v.version} data-stage={v.stage}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Select v${v.version} to compare`}
                      checked={selected.includes(key)}
                      onChange={() => toggle(key)}
                    />
                  </td>
                  <td>
                    <strong>v{v.version}</strong>{" "}
                    <Link className="small" to={modelVersionPath(model.name, v.version)} title="What trained it">
                      lineage
                    </Link>
                    {v.description && <div className="muted small">{v.description}</div>}
                  </td>
                  <td>
                    <StageBadge stage={v.stage} />
                  </td>
                  <td>
                    {v.aliases.map((al) => (
                      <AliasChip key={al} alias={al} />
                    ))}
                  </td>
                  <td>
                    {!v.run_id ? (
                      <span className="muted">–</span>
                    ) : run ? (
                      <Link to={`/p/${encodeURIComponent(run.project)}/runs/${run.id}`}>{run.name}</Link>
                    ) : run === null && runs ? (
                      <span className="muted" title={v.run_id}>
                        deleted run
                      </span>
                    ) : (
                      <span className="skeleton" />
                    )}
                  </td>
                  {metrics.map((k) => (
                    <td key={k} className="num" data-metric={k}>
                      {run?.metrics[k] ? fmtNum(run.metrics[k].value) : <span className="muted">–</span>}
                    </td>
                  ))}
                  <td>
                    <code title={v.artifact_digest}>{shortDigest(v.artifact_digest)}</code>
                  </td>
                  <td>{fmtDate(v.created_at)}</td>
                  <td className="actions">
                    {PROMOTE_TO.filter((stage) => stage !== v.stage).map((stage) => (
                      <button
                        key={stage}
                        className={`small-button to-${stage}`}
                        aria-label={`Move v${v.version} to ${stage}`}
                        disabled={!canWrite}
                        title={readOnly || undefined}
                        onClick={() => promote(v, stage)}
                      >
                        {stage === "archived" ? "archive" : stage}
                      </button>
                    ))}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
