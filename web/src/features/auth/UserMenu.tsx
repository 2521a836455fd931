// The header's account controls, only where the server has accounts: the project's
// Members link, a read-only badge for viewers, and the user menu (tokens, users, the
// audit log, sign out). Without accounts they render nothing: the header is as before.
import { Link, NavLink } from "react-router";
import { usePopover } from "../../lib/popover";
import { roleIn } from "./access";
import { useAccess, useMe, useSignOut } from "./queries";
import "./auth.css";

/** "Members" beside the project's other pages, and "read-only" where it applies. */
export function ProjectAccountNav({ project }: { project: string }) {
  const me = useMe().data;
  const access = useAccess(project);
  if (!me?.auth) return null;
  return (
    <>
      {!access.canWrite && (
        <span className="badge read-only" title={access.readOnly} data-testid="read-only">
          read-only
        </span>
      )}
      <NavLink to={`/p/${encodeURIComponent(project)}/members`} className="nav-link">
        Members
      </NavLink>
    </>
  );
}

export function UserMenu({ project }: { project?: string }) {
  const me = useMe().data;
  const signOut = useSignOut();
  const { open, setOpen, close, wrap, opener } = usePopover();
  if (!me?.auth) return null;
  const role = project ? roleIn(me, project) : null;
  return (
    <div className="popover-wrap user-menu" ref={wrap}>
      <button
        ref={opener}
        className="ghost"
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
        data-testid="user-menu"
      >
        {me.name} ▾
      </button>
      {open && (
        <div className="popover user-menu-panel" role="menu">
          <div className="muted small">
            Signed in as <strong>{me.name}</strong>
            {me.site_admin ? " · site admin" : role ? ` · ${role} of ${project}` : ""}
          </div>
          <Link role="menuitem" to="/account/tokens" onClick={close}>
            API tokens
          </Link>
          {me.site_admin && (
            <>
              <Link role="menuitem" to="/admin/users" onClick={close}>
                Users
              </Link>
              <Link role="menuitem" to="/admin/audit" onClick={close}>
                Audit log
              </Link>
            </>
          )}
          <button role="menuitem" className="ghost" disabled={signOut.isPending} onClick={() => signOut.mutate()}>
            Sign out
          </button>
        </div>
      )}
    </div>
  );
}
