// The caller's API tokens: each with its prefix (how to recognise it), when it was
// made, last used and expires, and a revoke button; a new token's secret is shown once.
import { useState, type FormEvent } from "react";
import { Empty, ErrorBox, Loading } from "../../components/States";
import { fmtAgo, fmtDate } from "../../lib/format";
import type { IssuedToken, Token } from "./api";
import { useIssueToken, useRevokeToken, useTokens } from "./queries";
import { Secret } from "./Secret";
import "./auth.css";

const MAX_DAYS = 3650; // the server's limit (heron.accounts.base.MAX_TOKEN_DAYS)

function status(t: Token): string {
  if (t.revoked_at !== null) return "revoked";
  return t.active ? "active" : "expired";
}

export default function TokensPage() {
  const tokens = useTokens();
  const [issued, setIssued] = useState<IssuedToken | null>(null);
  return (
    <section className="page" data-view="tokens">
      <div className="page-head">
        <h1>API tokens</h1>
      </div>
      <p className="muted">
        Scripts, the SDK and the CLI send a token (<code>HERON_TOKEN</code>, or <code>heron login</code>). A token acts
        with your roles; revoke one you no longer use.
      </p>
      {issued && <Secret issued={issued} onDone={() => setIssued(null)} />}
      <NewTokenForm onIssued={setIssued} />
      {tokens.error ? (
        <ErrorBox error={tokens.error} retry={() => void tokens.refetch()} />
      ) : !tokens.data ? (
        <Loading what="tokens" />
      ) : tokens.data.length === 0 ? (
        <Empty title="No tokens yet" />
      ) : (
        <TokenTable tokens={tokens.data} />
      )}
    </section>
  );
}

function NewTokenForm({ onIssued }: { onIssued: (t: IssuedToken) => void }) {
  const issue = useIssueToken();
  const [name, setName] = useState("");
  const [days, setDays] = useState("90");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const d = days.trim() === "" ? null : Number(days);
    issue.mutate(
      { name: name.trim(), expires_in_days: d },
      {
        onSuccess: (t) => {
          setName("");
          onIssued(t);
        },
      },
    );
  };
  const badDays = days.trim() !== "" && !(Number(days) > 0 && Number(days) <= MAX_DAYS);
  return (
    <form className="row account-form" onSubmit={submit} aria-label="New token">
      <input
        placeholder="token name (e.g. ci-laptop)"
        aria-label="Token name"
        value={name}
        maxLength={128}
        onChange={(e) => setName(e.target.value)}
      />
      <label className="small">
        expires in{" "}
        <input
          className="days"
          aria-label="Days until it expires (empty: never)"
          inputMode="decimal"
          value={days}
          onChange={(e) => setDays(e.target.value)}
        />{" "}
        days (empty: never)
      </label>
      <button type="submit" className="primary" disabled={issue.isPending || !name.trim() || badDays}>
        Create token
      </button>
      {badDays && <span className="error-text">1 to {MAX_DAYS} days, or empty</span>}
      {issue.error && <span className="error-text">{issue.error.message}</span>}
    </form>
  );
}

function TokenTable({ tokens }: { tokens: Token[] }) {
  const revoke = useRevokeToken();
  const showUser = new Set(tokens.map((t) => t.user)).size > 1;
  return (
    <div className="wide">
      {revoke.error && <ErrorBox error={revoke.error} />}
      <table className="grid" data-count={tokens.length}>
        <thead>
          <tr>
            <th>Name</th>
            {showUser && <th>User</th>}
            <th>Prefix</th>
            <th>Created</th>
            <th>Last used</th>
            <th>Expires</th>
            <th>Status</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {tokens.map((t) => (
            <tr key={t.id} data-token={t.name} data-status={status(t)}>
              <td>{t.name}</td>
              {showUser && <td>{t.user}</td>}
              <td>
                <code>{t.prefix}…</code>
              </td>
              <td title={fmtDate(t.created_at)}>{fmtAgo(t.created_at)}</td>
              <td>{t.last_used_at === null ? <span className="muted">never</span> : fmtAgo(t.last_used_at)}</td>
              <td>{t.expires_at === null ? <span className="muted">never</span> : fmtDate(t.expires_at)}</td>
              <td>{status(t)}</td>
              <td>
                {t.revoked_at === null && (
                  <button
                    className="danger-outline"
                    disabled={revoke.isPending}
                    onClick={() => revoke.mutate(t.id)}
                    aria-label={`Revoke ${t.name}`}
                  >
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
