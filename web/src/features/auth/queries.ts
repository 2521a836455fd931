// The accounts in the query cache: the caller (who decides what the UI offers), the
// sign-in config, tokens, users, members and the audit log, and their changes.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ME_KEY } from "../../lib/queryClient";
import { READ_ONLY, READ_ONLY_REGISTRY, may, maySomewhere } from "./access";
import { accounts, type AuditQuery, type NewToken, type NewUser, type Role, type UserPatch } from "./api";

export const authKeys = {
  me: ME_KEY,
  config: ["auth", "config"] as const,
  tokens: ["auth", "tokens"] as const,
  users: ["auth", "users"] as const,
  members: (project: string) => ["auth", "members", project] as const,
  audit: (q: AuditQuery) => ["auth", "audit", q] as const,
};

/** Who calls: the local admin without accounts; a 401 error when nobody signed in. */
export const useMe = () =>
  useQuery({ queryKey: authKeys.me, queryFn: ({ signal }) => accounts.me(signal), staleTime: 60_000 });

export const useAuthConfig = () =>
  useQuery({ queryKey: authKeys.config, queryFn: ({ signal }) => accounts.config(signal), staleTime: Infinity });

export interface Access {
  /** May change the project's runs (tags, notes, deletions, sweeps). */
  canWrite: boolean;
  /** May manage the project's members. */
  canAdmin: boolean;
  /** Why write controls are off (their tooltip); "" when they are on. */
  readOnly: string;
}

/** What the caller may do in `project` (null: the model registry, no project). While
 * the caller is not known yet, everything is allowed: the server decides anyway. */
export function useAccess(project: string | null): Access {
  const me = useMe().data;
  if (!me) return { canWrite: true, canAdmin: true, readOnly: "" };
  if (project === null) {
    const canWrite = maySomewhere(me, "write");
    return { canWrite, canAdmin: maySomewhere(me, "admin"), readOnly: canWrite ? "" : READ_ONLY_REGISTRY };
  }
  const canWrite = may(me, "write", project);
  return { canWrite, canAdmin: may(me, "admin", project), readOnly: canWrite ? "" : READ_ONLY };
}

/** After signing in or out nothing cached belongs to the new caller: start afresh. */
export function useSignIn() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ name, password }: { name: string; password: string }) => accounts.login(name, password),
    onSuccess: async () => {
      qc.removeQueries({ predicate: (q) => q.queryKey[0] !== "auth" });
      await qc.resetQueries({ queryKey: ["auth"] });
    },
  });
}

export function useSignOut() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => accounts.logout(),
    onSettled: async () => {
      qc.removeQueries({ predicate: (q) => q.queryKey[0] !== "auth" });
      await qc.resetQueries({ queryKey: ["auth"] });
    },
  });
}

export const useTokens = () =>
  useQuery({ queryKey: authKeys.tokens, queryFn: ({ signal }) => accounts.tokens(signal) });

export function useIssueToken() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: NewToken) => accounts.issueToken(body),
    onSuccess: () => qc.invalidateQueries({ queryKey: authKeys.tokens }),
  });
}

export function useRevokeToken() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => accounts.revokeToken(id),
    onSuccess: () => qc.invalidateQueries({ queryKey: authKeys.tokens }),
  });
}

export const useUsers = (enabled = true) =>
  useQuery({ queryKey: authKeys.users, queryFn: ({ signal }) => accounts.users(signal), enabled });

export function useCreateUser() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: NewUser) => accounts.createUser(body),
    onSuccess: () => qc.invalidateQueries({ queryKey: authKeys.users }),
  });
}

export function useUpdateUser() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ name, patch }: { name: string; patch: UserPatch }) => accounts.updateUser(name, patch),
    onSuccess: () => qc.invalidateQueries({ queryKey: authKeys.users }),
  });
}

export const useMembers = (project: string) =>
  useQuery({ queryKey: authKeys.members(project), queryFn: ({ signal }) => accounts.members(project, signal) });

export function useSetRole(project: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ user, role }: { user: string; role: Role | null }): Promise<void> => {
      if (role === null) await accounts.removeMember(project, user);
      else await accounts.setRole(project, user, role);
    },
    // the caller's own role may have changed with it
    onSuccess: () => qc.invalidateQueries({ queryKey: ["auth"] }),
  });
}

export const useAudit = (q: AuditQuery) =>
  useQuery({
    queryKey: authKeys.audit(q),
    queryFn: ({ signal }) => accounts.audit(q, signal),
    placeholderData: keepPreviousData,
  });
