// A project's alerts (newest first, unread marked), its rules (add, switch off, remove)
// and the delivery log. docs/alerts.md.
import { useState, type FormEvent } from "react";
import { Link, useParams } from "react-router";
import { Empty, ErrorBox, Loading } from "../../components/States";
import { fmtAgo } from "../../lib/format";
import type { AlertRule } from "./api";
import { emptyForm, fieldsOf, RULE_KINDS, toRequest, type RuleForm } from "./logic";
import { useAddRule, useAlerts, useDeliveries, useMarkRead, useRemoveRule, useRules, useSetEnabled } from "./queries";
import "./alerts.css";

export default function AlertsPage() {
  const { project = "" } = useParams();
  const [unreadOnly, setUnreadOnly] = useState(false);
  const alerts = useAlerts(project, unreadOnly);
  const markRead = useMarkRead(project);
  const unread = (alerts.data ?? []).filter((a) => a.read_at == null).length;
  return (
    <section className="page" data-view="alerts">
      <div className="page-head">
        <h1>Alerts</h1>
        <label className="inline">
          <input type="checkbox" checked={unreadOnly} onChange={(e) => setUnreadOnly(e.target.checked)} /> Unread only
        </label>
        <button disabled={unread === 0 || markRead.isPending} onClick={() => markRead.mutate(null)}>
          Mark all read
        </button>
      </div>
      {alerts.error ? (
        <ErrorBox error={alerts.error} retry={() => void alerts.refetch()} />
      ) : !alerts.data ? (
        <Loading what="alerts" />
      ) : alerts.data.length === 0 ? (
        <Empty title="No alerts">
          Runs raise them with <code>run.alert(title, text, level)</code>, and the rules below raise them from what runs
          log.
        </Empty>
      ) : (
        <table className="grid alerts-table" data-count={alerts.data.length}>
          <thead>
            <tr>
              <th>Level</th>
              <th>Alert</th>
              <th>Run</th>
              <th>Status</th>
              <th className="num">Repeats</th>
              <th>When</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {alerts.data.map((a) => (
              <tr
                key={a.id}
                data-alert={a.id}
                data-unread={a.read_at == null}
                className={a.read_at == null ? "unread" : ""}
              >
                <td>
                  <span className={`badge level-${a.level}`}>{a.level}</span>
                </td>
                <td>
                  <div className="strong alert-title">{a.title}</div>
                  {a.text && <div className="muted alert-text">{a.text}</div>}
                </td>
                <td>{a.run_id && <Link to={`/p/${encodeURIComponent(project)}/runs/${a.run_id}`}>{a.run_id}</Link>}</td>
                <td>{a.status}</td>
                <td className="num">{a.repeats}</td>
                <td title={new Date(a.created_at * 1000).toISOString()}>{fmtAgo(a.created_at)}</td>
                <td>
                  {a.read_at == null && (
                    <button className="ghost" onClick={() => markRead.mutate([a.id])}>
                      Mark read
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Rules project={project} />
      <Deliveries project={project} />
    </section>
  );
}

function Rules({ project }: { project: string }) {
  const rules = useRules(project);
  const setEnabled = useSetEnabled(project);
  const remove = useRemoveRule(project);
  return (
    <div className="alerts-section" data-view="alert-rules">
      <h2>Rules</h2>
      {rules.error ? (
        <ErrorBox error={rules.error} retry={() => void rules.refetch()} />
      ) : !rules.data ? (
        <Loading what="rules" />
      ) : rules.data.length === 0 ? (
        <Empty title="No rules">Add one below: alerts then reach the bell, and any webhook or e-mail you name.</Empty>
      ) : (
        <table className="grid rules-table">
          <thead>
            <tr>
              <th>On</th>
              <th>Name</th>
              <th>Condition</th>
              <th>Delivered to</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rules.data.map((r: AlertRule) => (
              <tr key={r.id} data-rule={r.name}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Rule ${r.name} on`}
                    checked={r.enabled}
                    onChange={(e) => setEnabled.mutate({ id: r.id, enabled: e.target.checked })}
                  />
                </td>
                <td className="strong">{r.name}</td>
                <td>{r.condition}</td>
                <td className="muted">{[...r.webhooks, ...r.emails].join(", ") || "the bell only"}</td>
                <td>
                  <button className="ghost danger" onClick={() => remove.mutate(r.id)}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <RuleEditor project={project} />
    </div>
  );
}

function RuleEditor({ project }: { project: string }) {
  const [form, setForm] = useState<RuleForm>(emptyForm);
  const [problem, setProblem] = useState<string | null>(null);
  const add = useAddRule(project);
  const shown = fieldsOf(form.kind);
  const set = <K extends keyof RuleForm>(key: K, value: RuleForm[K]) => setForm((f) => ({ ...f, [key]: value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const rule = toRequest(form);
    if (typeof rule === "string") {
      setProblem(rule);
      return;
    }
    setProblem(null);
    add.mutate(rule, {
      onSuccess: () => setForm(emptyForm()),
      onError: (err) => setProblem(err.message),
    });
  };
  return (
    <form className="rule-editor" onSubmit={submit} aria-label="Add a rule">
      <h3>Add a rule</h3>
      <label>
        Name <input value={form.name} onChange={(e) => set("name", e.target.value)} />
      </label>
      <label>
        When
        <select aria-label="When" value={form.kind} onChange={(e) => set("kind", e.target.value as RuleForm["kind"])}>
          {RULE_KINDS.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.label}
            </option>
          ))}
        </select>
      </label>
      {shown.has("key") && (
        <label>
          Metric{" "}
          <input
            value={form.key}
            placeholder="loss, val/* (default: every key)"
            onChange={(e) => set("key", e.target.value)}
          />
        </label>
      )}
      {shown.has("factor") && (
        <label>
          Factor <input value={form.factor} inputMode="decimal" onChange={(e) => set("factor", e.target.value)} />
        </label>
      )}
      {shown.has("op") && (
        <label>
          Crosses
          <select aria-label="Crosses" value={form.op} onChange={(e) => set("op", e.target.value as RuleForm["op"])}>
            {([">", ">=", "<", "<="] as const).map((op) => (
              <option key={op}>{op}</option>
            ))}
          </select>
          <input
            aria-label="Threshold"
            value={form.threshold}
            inputMode="decimal"
            onChange={(e) => set("threshold", e.target.value)}
          />
        </label>
      )}
      {shown.has("minutes") && (
        <label>
          Minutes <input value={form.minutes} inputMode="decimal" onChange={(e) => set("minutes", e.target.value)} />
        </label>
      )}
      {shown.has("states") && (
        <label>
          States <input value={form.states} onChange={(e) => set("states", e.target.value)} />
        </label>
      )}
      {shown.has("group") && (
        <label>
          Group{" "}
          <input
            value={form.group}
            placeholder="sweep-* (default: every group)"
            onChange={(e) => set("group", e.target.value)}
          />
        </label>
      )}
      {shown.has("minLevel") && (
        <label>
          At least
          <select
            aria-label="At least"
            value={form.minLevel}
            onChange={(e) => set("minLevel", e.target.value as RuleForm["minLevel"])}
          >
            <option>info</option>
            <option>warn</option>
            <option>error</option>
          </select>
        </label>
      )}
      <label>
        Webhooks{" "}
        <input
          value={form.webhooks}
          placeholder="https://hooks.slack.com/…"
          onChange={(e) => set("webhooks", e.target.value)}
        />
      </label>
      <label>
        E-mail{" "}
        <input value={form.emails} placeholder="team@example.com" onChange={(e) => set("emails", e.target.value)} />
      </label>
      <button type="submit" disabled={add.isPending}>
        Add rule
      </button>
      {problem && (
        <div className="state-box error" role="alert">
          {problem}
        </div>
      )}
    </form>
  );
}

function Deliveries({ project }: { project: string }) {
  const log = useDeliveries(project);
  if (!log.data || log.data.length === 0) return null;
  return (
    <div className="alerts-section" data-view="alert-deliveries">
      <h2>Delivery log</h2>
      <table className="grid">
        <thead>
          <tr>
            <th>Alert</th>
            <th>Channel</th>
            <th>To</th>
            <th className="num">Attempt</th>
            <th>Result</th>
            <th>When</th>
          </tr>
        </thead>
        <tbody>
          {log.data.map((d) => (
            <tr key={d.id}>
              <td>{d.alert_id}</td>
              <td>{d.channel}</td>
              <td>{d.target}</td>
              <td className="num">{d.attempt}</td>
              <td title={d.error ?? ""}>
                {d.status}
                {d.response_code != null && ` (${d.response_code})`}
              </td>
              <td>{fmtAgo(d.time)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
