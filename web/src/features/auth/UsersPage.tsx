// Every user, for site admins: create a person or a service account (tokens only, for
// CI), make or unmake an admin, disable or enable, reset a password (which ends the
// user's sessions).
import { useState, type FormEvent } from "react";
import { Empty, ErrorBox, Loading } from "../../components/States";
import { fmtDate } from "../../lib/format";
import type { IssuedToken, User } from "./api";
import { useCreateUser, useIssueToken, useMe, useUpdateUser, useUsers } from "./queries";
import { Secret } from "./Secret";
import "./auth.css";

export default function UsersPage() {
  const me = useMe().data;
  const admin = me?.site_admin ?? false;
  const users = useUsers(admin && (me?.auth ?? false));
  if (me && !me.auth) return <Empty title="This server has no accounts">Start it with HERON_AUTH=on.</Empty>;
  if (me && !admin) return <Empty title="Only site admins manage users" />;
  return (
    <section className="page" data-view="users">
      <div className="page-head">
        <h1>Users</h1>
      </div>
      <NewUserForm />
      {users.error ? (
        <ErrorBox error={users.error} retry={() => void users.refetch()} />
      ) : !users.data ? (
        <Loading what="users" />
      ) : (
        <UserTable users={users.data} self={me?.name ?? ""} />
      )}
    </section>
  );
}

function NewUserForm() {
  const create = useCreateUser();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [service, setService] = useState(false);
  const [admin, setAdmin] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(
      {
        name: name.trim(),
        email: email.trim() || null,
        password: service ? null : password,
        service,
        admin,
      },
      {
        onSuccess: () => {
          setName("");
          setEmail("");
          setPassword("");
        },
      },
    );
  };
  const ready = name.trim() !== "" && (service || password !== "");
  return (
    <form className="row account-form" onSubmit={submit} aria-label="New user">
      <input
        placeholder="name"
        aria-label="User name"
        value={name}
        maxLength={64}
        onChange={(e) => setName(e.target.value)}
      />
      <input
        placeholder="e-mail (optional)"
        aria-label="E-mail"
        value={email}
        maxLength={256}
        onChange={(e) => setEmail(e.target.value)}
      />
      {!service && (
        <input
          type="password"
          autoComplete="new-password"
          placeholder="password (12 characters or more)"
          aria-label="Password"
          value={password}
          maxLength={1024}
          onChange={(e) => setPassword(e.target.value)}
        />
      )}
      <label className="check-row">
        <input type="checkbox" checked={service} onChange={(e) => setService(e.target.checked)} /> service account
      </label>
      <label className="check-row">
        <input type="checkbox" checked={admin} onChange={(e) => setAdmin(e.target.checked)} /> site admin
      </label>
      <button type="submit" className="primary" disabled={!ready || create.isPending}>
        Create user
      </button>
      {create.error && <span className="error-text">{create.error.message}</span>}
    </form>
  );
}

function UserTable({ users, self }: { users: User[]; self: string }) {
  const update = useUpdateUser();
  const issue = useIssueToken(); // a service account's token: it has no password to sign in with
  const [issued, setIssued] = useState<IssuedToken | null>(null);
  const [resetting, setResetting] = useState<string | null>(null);
  const [password, setPassword] = useState("");
  const reset = (e: FormEvent, name: string) => {
    e.preventDefault();
    update.mutate({ name, patch: { password } }, { onSuccess: () => (setResetting(null), setPassword("")) });
  };
  return (
    <div className="wide">
      {update.error && <ErrorBox error={update.error} />}
      {issue.error && <ErrorBox error={issue.error} />}
      {issued && <Secret issued={issued} onDone={() => setIssued(null)} />}
      <table className="grid" data-count={users.length}>
        <thead>
          <tr>
            <th>Name</th>
            <th>Kind</th>
            <th>E-mail</th>
            <th>Created</th>
            <th>Status</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.name} data-user={u.name} data-disabled={u.disabled ? "1" : "0"}>
              <td>
                <strong>{u.name}</strong> {u.admin && <span className="badge">site admin</span>}
              </td>
              <td>
                {u.kind}
                {u.sso ? " (single sign-on)" : ""}
              </td>
              <td>{u.email ?? <span className="muted">–</span>}</td>
              <td title={`by ${u.created_by}`}>{fmtDate(u.created_at)}</td>
              <td>{u.disabled ? "disabled" : "active"}</td>
              <td className="user-actions">
                <button
                  disabled={update.isPending || u.name === self}
                  title={u.name === self ? "You cannot change your own admin rights here" : undefined}
                  onClick={() => update.mutate({ name: u.name, patch: { admin: !u.admin } })}
                >
                  {u.admin ? "Remove admin" : "Make admin"}
                </button>
                <button
                  className={u.disabled ? undefined : "danger-outline"}
                  disabled={update.isPending || u.name === self}
                  onClick={() => update.mutate({ name: u.name, patch: { disabled: !u.disabled } })}
                >
                  {u.disabled ? "Enable" : "Disable"}
                </button>
                {u.kind === "service" && (
                  <button
                    disabled={issue.isPending || u.disabled}
                    title="A token for this account (no expiry); its secret is shown once"
                    onClick={() =>
                      issue.mutate(
                        { user: u.name, name: `${u.name} token`, expires_in_days: null },
                        { onSuccess: setIssued },
                      )
                    }
                  >
                    Issue token
                  </button>
                )}
                {u.kind !== "service" &&
                  (resetting === u.name ? (
                    <form className="row" onSubmit={(e) => reset(e, u.name)}>
                      <input
                        type="password"
                        autoComplete="new-password"
                        aria-label={`New password for ${u.name}`}
                        value={password}
                        maxLength={1024}
                        autoFocus
                        onChange={(e) => setPassword(e.target.value)}
                      />
                      <button type="submit" className="primary" disabled={!password || update.isPending}>
                        Set password
                      </button>
                      <button type="button" className="ghost" onClick={() => setResetting(null)}>
                        Cancel
                      </button>
                    </form>
                  ) : (
                    <button onClick={() => (setResetting(u.name), setPassword(""))}>Reset password</button>
                  ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
