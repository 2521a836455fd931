// Every registered model: description, tags, latest version, the versions holding
// staging and production, aliases. The search box narrows the list (kept in the URL).
import { useMemo } from "react";
import { Link } from "react-router";
import { Empty, ErrorBox, Loading } from "../../components/States";
import { fmtAgo, fmtDate } from "../../lib/format";
import { modelPath } from "./api";
import { useModels } from "./queries";
import { searchModels, stageHolders } from "./registryLogic";
import { str, useUrlState } from "../../lib/urlState";
import { AliasChip } from "./StageBadge";
import "./models.css";

const schema = { search: str("q") };

function Versions({ model, versions }: { model: string; versions: number[] }) {
  if (versions.length === 0) return <span className="muted">–</span>;
  return (
    <>
      {versions.map((v) => (
        <Link key={v} className="version-link" to={`${modelPath(model)}#v${v}`}>
          v{v}
        </Link>
      ))}
    </>
  );
}

export default function ModelsPage() {
  const [state, setState] = useUrlState(schema);
  const models = useModels();
  const shown = useMemo(() => searchModels(models.data ?? [], state.search), [models.data, state.search]);
  return (
    <section className="page" data-view="models">
      <div className="page-head">
        <h1>Models</h1>
        <input
          type="search"
          className="models-search"
          placeholder="Search models, tags, aliases"
          aria-label="Search models"
          value={state.search}
          onChange={(e) => setState({ search: e.target.value }, { replace: true })}
        />
      </div>
      {models.error ? (
        <ErrorBox error={models.error} retry={() => void models.refetch()} />
      ) : !models.data ? (
        <Loading what="models" />
      ) : models.data.length === 0 ? (
        <Empty title="No registered models yet">
          Register one from a run with <code>heron.models.register(run, "model.pt", name="my-model")</code>.
        </Empty>
      ) : shown.length === 0 ? (
        <Empty title={`No model matches “${state.search}”`} />
      ) : (
        <div className="wide">
          <table className="grid models-table" data-count={shown.length}>
            <thead>
              <tr>
                <th>Model</th>
                <th>Description</th>
                <th>Tags</th>
                <th className="num">Latest</th>
                <th>Production</th>
                <th>Staging</th>
                <th>Aliases</th>
                <th>Updated</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((m) => {
                const h = stageHolders(m);
                return (
                  <tr key={m.name} data-model={m.name}>
                    <td>
                      <Link className="strong" to={modelPath(m.name)}>
                        {m.name}
                      </Link>
                    </td>
                    <td className="description">{m.description || <span className="muted">–</span>}</td>
                    <td>
                      {Object.entries(m.tags).map(([k, v]) => (
                        <span key={k} className="tag">
                          {k}: {v}
                        </span>
                      ))}
                    </td>
                    <td className="num">
                      {m.latest_version === null ? <span className="muted">none</span> : `v${m.latest_version}`}
                    </td>
                    <td data-holders="production">
                      <Versions model={m.name} versions={h.production} />
                    </td>
                    <td data-holders="staging">
                      <Versions model={m.name} versions={h.staging} />
                    </td>
                    <td>
                      {h.aliases.map(([alias, v]) => (
                        <span key={alias} className="alias-pair">
                          <AliasChip alias={alias} /> v{v}
                        </span>
                      ))}
                    </td>
                    <td title={fmtDate(m.updated_at)}>{fmtAgo(m.updated_at)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
