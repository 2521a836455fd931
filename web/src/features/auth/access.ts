// Who may do what in the UI, from GET /auth/me: the same rule as the server's
// heron.service.access (site admins everything; elsewhere the role granted on the
// project or the default role, whichever is higher: viewer reads, editor writes, admin
// manages members). The server decides in the end; this only hides what would be refused.
import type { Me, Role } from "./api";

export type Action = "read" | "write" | "admin";

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };
const NEEDS: Record<Action, number> = { read: 0, write: 1, admin: 2 };
const rank = (role: Role | null | undefined) => (role ? RANK[role] : -1);

/** The tooltip of a write control a viewer cannot use. */
export const READ_ONLY = "read-only: you are a viewer of this project";
/** The same for the model registry, which belongs to no project. */
export const READ_ONLY_REGISTRY = "read-only: you are a viewer (changing the registry needs the editor role)";

/** The caller's role in `project` (null: none at all). */
export function roleIn(me: Me, project: string): Role | null {
  if (me.site_admin) return "admin";
  const granted = me.roles[project] ?? null;
  const fallback = me.default_role ?? null;
  return rank(granted) >= rank(fallback) ? granted : fallback;
}

export function may(me: Me, action: Action, project: string): boolean {
  return me.site_admin || rank(roleIn(me, project)) >= NEEDS[action];
}

/** Whether some project allows `action` (the model registry's rule). */
export function maySomewhere(me: Me, action: Action): boolean {
  if (me.site_admin) return true;
  const roles = [me.default_role ?? null, ...Object.values(me.roles)];
  return roles.some((r) => rank(r) >= NEEDS[action]);
}

/** Whether the sign-in page is due: accounts are on and the caller has none. */
export const signedOut = (me: Me) => me.auth && !me.account;
