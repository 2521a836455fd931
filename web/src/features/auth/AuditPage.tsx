// The audit log, for site admins: sign-ins, token and role changes, deletions, registry
// transitions, webhook changes; newest first, filtered by action and actor (kept in the
// URL), a page of AUDIT_PAGE at a time ("Older" asks for the entries before the last).
import { useState, type FormEvent } from "react";
import { Empty, ErrorBox, Loading } from "../../components/States";
import { fmtDate } from "../../lib/format";
import { num, str, useUrlState } from "../../lib/urlState";
import { AUDIT_PAGE } from "./api";
import { useAudit, useMe } from "./queries";
import "./auth.css";

const schema = { action: str("action"), actor: str("actor"), before: num("before", 0) };

export default function AuditPage() {
  const me = useMe().data;
  if (me && !me.auth) return <Empty title="This server has no accounts">Start it with HERON_AUTH=on.</Empty>;
  if (me && !me.site_admin) return <Empty title="Only site admins read the audit log" />;
  return <Audit />;
}

function Audit() {
  const [s, set] = useUrlState(schema);
  const q = useAudit({ action: s.action || undefined, actor: s.actor || undefined, before: s.before || undefined });
  const [action, setAction] = useState(s.action);
  const [actor, setActor] = useState(s.actor);
  const apply = (e: FormEvent) => {
    e.preventDefault();
    set({ action: action.trim(), actor: actor.trim(), before: 0 });
  };
  const entries = q.data ?? [];
  const last = entries.length ? entries[entries.length - 1].id : 0;
  return (
    <section className="page" data-view="audit">
      <div className="page-head">
        <h1>Audit log</h1>
      </div>
      <form className="row account-form" onSubmit={apply} aria-label="Filter the audit log">
        <input
          placeholder="action (e.g. login, token.create)"
          aria-label="Action"
          value={action}
          maxLength={64}
          onChange={(e) => setAction(e.target.value)}
        />
        <input
          placeholder="actor"
          aria-label="Actor"
          value={actor}
          maxLength={64}
          onChange={(e) => setActor(e.target.value)}
        />
        <button type="submit">Apply</button>
      </form>
      {q.error ? (
        <ErrorBox error={q.error} retry={() => void q.refetch()} />
      ) : !q.data ? (
        <Loading what="audit log" />
      ) : entries.length === 0 ? (
        <Empty title="No entries" />
      ) : (
        <table className="grid audit-table" data-count={entries.length}>
          <thead>
            <tr>
              <th>Time</th>
              <th>Actor</th>
              <th>Action</th>
              <th>Target</th>
              <th>Detail</th>
              <th>Address</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((a) => (
              <tr key={a.id} data-action={a.action}>
                <td>{fmtDate(a.time)}</td>
                <td>{a.actor}</td>
                <td>
                  <code>{a.action}</code>
                </td>
                <td>{a.target}</td>
                <td className="small">{Object.keys(a.detail).length ? <code>{JSON.stringify(a.detail)}</code> : ""}</td>
                <td className="muted">{a.ip ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="row">
        {s.before > 0 && <button onClick={() => set({ before: 0 })}>Newest</button>}
        {entries.length === AUDIT_PAGE && (
          <button onClick={() => set({ before: last })} disabled={q.isPlaceholderData}>
            Older
          </button>
        )}
      </div>
    </section>
  );
}
