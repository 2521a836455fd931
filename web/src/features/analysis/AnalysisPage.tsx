// Analysis of a project's runs: which parameters matter for a metric (over the runs a
// filter picks), and whether two groups of runs really differ (seed groups offered).
// Everything is in the URL (metric, filter, a, b), so a link shares the answer.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useParams } from "react-router";
import { ErrorBox, Loading } from "../../components/States";
import { str, useUrlState } from "../../lib/urlState";
import { fmt } from "../sweeps/logic";
import { analysisApi, groupFilter, type Comparison } from "./api";
import { ImportanceBars } from "./ImportanceBars";
import "./analysis.css";

const schema = { metric: str("metric"), filter: str("filter"), a: str("a"), b: str("b") };

export default function AnalysisPage() {
  const { project = "" } = useParams();
  const [state, setState] = useUrlState(schema);
  return (
    <section className="page" data-view="analysis">
      <div className="page-head">
        <h1>Analysis</h1>
      </div>
      <Form
        fields={[
          ["metric", "Metric", "val/acc"],
          ["filter", "Runs (filter)", 'state = "finished"'],
        ]}
        values={state}
        onApply={(v) => setState(v)}
      />
      {state.metric && <ImportanceSection project={project} metric={state.metric} filter={state.filter} />}
      <h2>Compare two groups</h2>
      <Groups project={project} filter={state.filter} onPick={(a, b) => setState({ a, b })} />
      <Form
        fields={[
          ["a", "Group A (group name or filter)", "baseline"],
          ["b", "Group B", "new-aug"],
        ]}
        values={state}
        onApply={(v) => setState(v)}
      />
      {state.metric && state.a && state.b && (
        <CompareSection project={project} metric={state.metric} a={state.a} b={state.b} />
      )}
    </section>
  );
}

type Values = Record<string, string>;

function Form({
  fields,
  values,
  onApply,
}: {
  fields: [string, string, string][];
  values: Values;
  onApply: (v: Values) => void;
}) {
  const [draft, setDraft] = useState<Values>({});
  const value = (k: string) => draft[k] ?? values[k] ?? "";
  return (
    <form
      className="analysis-form"
      onSubmit={(e) => {
        e.preventDefault();
        onApply(Object.fromEntries(fields.map(([k]) => [k, value(k)])));
        setDraft({});
      }}
    >
      {fields.map(([k, label, placeholder]) => (
        <label key={k}>
          {label}
          <input
            name={k}
            aria-label={label}
            placeholder={placeholder}
            value={value(k)}
            onChange={(e) => setDraft({ ...draft, [k]: e.target.value })}
          />
        </label>
      ))}
      <button type="submit">Apply</button>
    </form>
  );
}

function ImportanceSection({ project, metric, filter }: { project: string; metric: string; filter: string }) {
  const q = useQuery({
    queryKey: ["analysis", project, "importance", metric, filter],
    queryFn: ({ signal }) => analysisApi.importance(project, { metric, filter: filter || null }, signal),
  });
  return (
    <div className="analysis-section" data-panel="importance">
      <h2>Parameter importance for {metric}</h2>
      {q.error ? (
        <ErrorBox error={q.error} retry={() => void q.refetch()} />
      ) : !q.data ? (
        <Loading what="importance" />
      ) : (
        <>
          <p className="muted">Over {q.data.runs} runs with a value.</p>
          <ImportanceBars params={q.data.params} metric={metric} />
        </>
      )}
    </div>
  );
}

function Groups({
  project,
  filter,
  onPick,
}: {
  project: string;
  filter: string;
  onPick: (a: string, b: string) => void;
}) {
  const q = useQuery({
    queryKey: ["analysis", project, "groups", filter],
    queryFn: ({ signal }) => analysisApi.groups(project, { filter: filter || null, keys: ["seed"] }, signal),
  });
  const seeded = (q.data ?? []).filter((g) => g.run_ids.length > 1);
  if (seeded.length < 2) return null;
  const ids = (i: number) => `id in (${seeded[i].run_ids.map((r) => `"${r}"`).join(", ")})`;
  return (
    <p className="muted" data-panel="seed-groups">
      Seed groups: {seeded.map((g) => `${g.name} (${g.run_ids.length})`).join("; ")}.{" "}
      <button className="ghost" onClick={() => onPick(ids(0), ids(1))}>
        Compare the first two
      </button>
    </p>
  );
}

function CompareSection({ project, metric, a, b }: { project: string; metric: string; a: string; b: string }) {
  const q = useQuery({
    queryKey: ["analysis", project, "compare", metric, a, b],
    queryFn: ({ signal }) => analysisApi.compare(project, { metric, a: groupFilter(a), b: groupFilter(b) }, signal),
  });
  if (q.error) return <ErrorBox error={q.error} retry={() => void q.refetch()} />;
  if (!q.data) return <Loading what="comparison" />;
  return <ComparisonView c={q.data} />;
}

export function ComparisonView({ c }: { c: Comparison }) {
  const pct = `${Math.round(c.confidence * 100)}%`;
  return (
    <div className="analysis-section" data-panel="compare" data-significant={c.significant}>
      <p className="verdict">{c.verdict}</p>
      <table className="grid">
        <tbody>
          <tr>
            <th>Runs</th>
            <td className="num">{c.n_a}</td>
            <td className="num">{c.n_b}</td>
          </tr>
          <tr>
            <th>Mean ± std</th>
            <td className="num">
              {fmt(c.mean_a)} ± {fmt(c.std_a)}
            </td>
            <td className="num">
              {fmt(c.mean_b)} ± {fmt(c.std_b)}
            </td>
          </tr>
          <tr>
            <th>Difference (A − B)</th>
            <td colSpan={2}>
              {fmt(c.difference)}, {pct} CI [{fmt(c.ci_low)}, {fmt(c.ci_high)}]
            </td>
          </tr>
          <tr>
            <th>Welch&apos;s t-test</th>
            <td colSpan={2}>
              t = {fmt(c.t)}, df = {fmt(c.df)}, p = {fmt(c.p_value)}
            </td>
          </tr>
          <tr>
            <th>Bootstrap</th>
            <td colSpan={2}>
              {pct} CI [{fmt(c.bootstrap_low)}, {fmt(c.bootstrap_high)}], p = {fmt(c.bootstrap_p)}
            </td>
          </tr>
          <tr>
            <th>Effect size</th>
            <td colSpan={2}>
              Cohen&apos;s d = {fmt(c.cohens_d)}, Hedges&apos; g = {fmt(c.hedges_g)}
              {c.needed_per_group !== null && <> · about {c.needed_per_group} per group for 80% power</>}
            </td>
          </tr>
        </tbody>
      </table>
    </div>
  );
}
