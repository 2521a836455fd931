// A project's members and their roles (viewer reads, editor also writes, admin also
// manages members). Project admins add, change and remove; others see the list.
import { useState, type FormEvent } from "react";
import { useParams } from "react-router";
import { Empty, ErrorBox, Loading } from "../../components/States";
import { ROLES, type Member, type Role } from "./api";
import { useAccess, useMe, useMembers, useSetRole } from "./queries";
import "./auth.css";

export default function MembersPage() {
  const { project = "" } = useParams();
  const me = useMe().data;
  if (me && !me.auth) return <Empty title="This server has no accounts">Everyone is an administrator here.</Empty>;
  return <Members project={project} />;
}

function Members({ project }: { project: string }) {
  const members = useMembers(project);
  const me = useMe().data;
  const { canAdmin } = useAccess(project);
  const change = useSetRole(project);
  return (
    <section className="page" data-view="members">
      <div className="page-head">
        <h1>Members of {project}</h1>
      </div>
      <p className="muted">
        viewer: reads · editor: also changes runs (tags, notes, deletions) · admin: also manages members.
        {me?.default_role && ` Every signed-in user is at least ${me.default_role} here.`}
      </p>
      {canAdmin ? (
        <AddMember project={project} />
      ) : (
        <p className="muted small">Only the project's admins change its members.</p>
      )}
      {change.error && <ErrorBox error={change.error} />}
      {members.error ? (
        <ErrorBox error={members.error} retry={() => void members.refetch()} />
      ) : !members.data ? (
        <Loading what="members" />
      ) : members.data.length === 0 ? (
        <Empty title="No members granted on this project" />
      ) : (
        <table className="grid" data-count={members.data.length}>
          <thead>
            <tr>
              <th>User</th>
              <th>Role</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {members.data.map((m: Member) => (
              <tr key={m.user} data-member={m.user} data-role={m.role}>
                <td>{m.user}</td>
                <td>
                  {canAdmin ? (
                    <select
                      aria-label={`Role of ${m.user}`}
                      value={m.role}
                      disabled={change.isPending}
                      onChange={(e) => change.mutate({ user: m.user, role: e.target.value as Role })}
                    >
                      {ROLES.map((r) => (
                        <option key={r}>{r}</option>
                      ))}
                    </select>
                  ) : (
                    m.role
                  )}
                </td>
                <td>
                  {canAdmin && (
                    <button
                      className="danger-outline"
                      disabled={change.isPending}
                      onClick={() => change.mutate({ user: m.user, role: null })}
                    >
                      Remove
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function AddMember({ project }: { project: string }) {
  const add = useSetRole(project);
  const [user, setUser] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate({ user: user.trim(), role }, { onSuccess: () => setUser("") });
  };
  return (
    <form className="row account-form" onSubmit={submit} aria-label="Add member">
      <input
        placeholder="user name"
        aria-label="User to add"
        value={user}
        maxLength={64}
        onChange={(e) => setUser(e.target.value)}
      />
      <select aria-label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
        {ROLES.map((r) => (
          <option key={r}>{r}</option>
        ))}
      </select>
      <button type="submit" className="primary" disabled={!user.trim() || add.isPending}>
        Add
      </button>
      {add.error && <span className="error-text">{add.error.message}</span>}
    </form>
  );
}
