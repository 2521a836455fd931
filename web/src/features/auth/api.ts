// The accounts API (docs/rest-api.md#accounts): sign-in, who am I, tokens, users,
// project members and the audit log. Types come from the server's OpenAPI document.
import type { components } from "../../api/schema";
import { enc, post, qs, request } from "../../lib/api";

type Schemas = components["schemas"];

/** GET /auth/config (public): whether accounts are on, and how to sign in. */
export type AuthConfig = Schemas["AuthConfig"];
/** GET /auth/me: the caller, its roles per project and the default role elsewhere. */
export type Me = Schemas["Me"];
export type Role = NonNullable<Me["default_role"]>;
export const ROLES: Role[] = ["viewer", "editor", "admin"];
/** A token as lists show it (the secret never). */
export type Token = Schemas["TokenOut"];
/** POST /tokens: the token and its secret, shown this once. */
export type IssuedToken = Schemas["IssuedToken"];
export type User = Schemas["UserOut"];
export type NewUser = Schemas["NewUser"];
export type UserPatch = Schemas["UserPatch"];
export type Member = Schemas["MemberOut"];
export type AuditEntry = Schemas["AuditOut"];
export type NewToken = Schemas["NewTokenBody"];

/** The audit log's page size in the UI. */
export const AUDIT_PAGE = 50;

export interface AuditQuery {
  action?: string;
  actor?: string;
  before?: number; // the id of the last entry of the previous page
}

export const accounts = {
  config: (signal?: AbortSignal) => request<AuthConfig>("/auth/config", { signal }),
  me: (signal?: AbortSignal) => request<Me>("/auth/me", { signal }),
  login: (name: string, password: string) => request<Me>("/auth/login", post<Schemas["Login"]>({ name, password })),
  logout: () => request<void>("/auth/logout", { method: "POST" }),
  tokens: (signal?: AbortSignal) => request<Token[]>("/tokens", { signal }),
  issueToken: (body: NewToken) => request<IssuedToken>("/tokens", post<NewToken>(body)),
  revokeToken: (id: number) => request<Token>(`/tokens/${id}`, { method: "DELETE" }),
  users: (signal?: AbortSignal) => request<User[]>("/users", { signal }),
  createUser: (body: NewUser) => request<User>("/users", post<NewUser>(body)),
  updateUser: (name: string, patch: UserPatch) =>
    request<User>(`/users/${enc(name)}`, { method: "PATCH", body: JSON.stringify(patch) }),
  members: (project: string, signal?: AbortSignal) =>
    request<Member[]>(`/projects/${enc(project)}/members`, { signal }),
  setRole: (project: string, user: string, role: Role) =>
    request<Member>(`/projects/${enc(project)}/members/${enc(user)}`, {
      method: "PUT",
      body: JSON.stringify({ role }),
    }),
  removeMember: (project: string, user: string) =>
    request<void>(`/projects/${enc(project)}/members/${enc(user)}`, { method: "DELETE" }),
  audit: (q: AuditQuery, signal?: AbortSignal) =>
    request<AuditEntry[]>(`/audit${qs({ limit: AUDIT_PAGE, before: q.before, action: q.action, actor: q.actor })}`, {
      signal,
    }),
};
