// One model version: its lineage (what it was trained on, the run, the checkpoints) and
// the data that trained it, in one call each.
import { Link, useParams } from "react-router";
import { Empty, ErrorBox, Loading } from "../../components/States";
import { TabBar, tabPanelProps } from "../../components/Tabs";
import { num, str, useUrlState } from "../../lib/urlState";
import { modelPath } from "../models/api";
import { DatasetTable, LineageView } from "./LineageView";
import { nodeHref } from "./LineageGraph";
import { useModelVersionLineage, useTrainingData } from "./queries";
import "./lineage.css";

const schema = { tab: str("tab", "lineage"), depth: num("ld", 2) };
const TABS = [
  ["lineage", "Lineage"],
  ["data", "Training data"],
] as const;

export default function ModelVersionPage() {
  const params = useParams() as { name: string; version: string };
  const name = params.name;
  const version = Number(params.version);
  const [s, set] = useUrlState(schema);
  const res = useModelVersionLineage(name, version, s.depth);
  const root = res.data?.nodes.find((n) => n.id === res.data?.root);
  const data = (root?.data ?? {}) as Record<string, unknown>;
  return (
    <section className="page model-version-page" data-view="model-version" data-model={name} data-version={version}>
      <div className="page-head">
        <h1>
          {name} v{Number.isFinite(version) ? version : params.version}
        </h1>
        {typeof data.stage === "string" && data.stage !== "none" && <span className="tag">{data.stage}</span>}
        {Array.isArray(data.aliases) &&
          data.aliases.map((a) => (
            <span key={String(a)} className="tag alias">
              @{String(a)}
            </span>
          ))}
        <span className="spacer" />
        <Link className="button" to={modelPath(name)}>
          Back to {name}
        </Link>
      </div>
      <TabBar
        label="Model version sections"
        base="model-version"
        selected={s.tab}
        onSelect={(tab, opts) => set({ tab }, opts)}
        tabs={TABS.map(([id, label]) => ({ id, label }))}
      />
      <div className="tab-body" {...tabPanelProps("model-version", s.tab)}>
        {s.tab === "lineage" && (
          <LineageView res={res} depth={s.depth} setDepth={(depth) => set({ depth })} subject={`${name} v${version}`} />
        )}
        {s.tab === "data" && <TrainingDataTab name={name} version={version} />}
      </div>
    </section>
  );
}

function TrainingDataTab({ name, version }: { name: string; version: number }) {
  const res = useTrainingData(name, String(version));
  if (res.error && !res.data) return <ErrorBox error={res.error} retry={() => void res.refetch()} />;
  if (!res.data) return <Loading what="training data" />;
  const { datasets, runs, artifacts } = res.data;
  if (!datasets.length && !artifacts.length)
    return (
      <Empty title="No recorded training data">
        The runs upstream of this version hashed no dataset (run.use_dataset) and used no artifact.
      </Empty>
    );
  return (
    <div className="training-data" data-datasets={datasets.length}>
      <h2>Datasets</h2>
      <DatasetTable datasets={datasets} />
      {artifacts.length > 0 && (
        <>
          <h2>Artifacts used</h2>
          <ul>
            {artifacts.map((a) => (
              <li key={a.id}>
                <code>{a.label}</code>
              </li>
            ))}
          </ul>
        </>
      )}
      <h2>Runs</h2>
      <ul>
        {runs.map((r) => {
          const href = nodeHref({ ...r, level: 0, kind: "run" });
          return <li key={r.id}>{href ? <Link to={href}>{r.label}</Link> : r.label}</li>;
        })}
      </ul>
    </div>
  );
}
