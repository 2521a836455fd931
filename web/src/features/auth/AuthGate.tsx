// Everything the app shows passes this gate: with accounts on and nobody signed in (no
// session, or it ended: any 401 asks /auth/me again), the sign-in page stands in for
// the page asked for, whose URL stays, so signing in goes back to it. Without accounts
// /auth/me answers the local administrator and the gate is invisible.
import type { ReactNode } from "react";
import { ErrorBox, Loading } from "../../components/States";
import { isUnauthorized } from "../../lib/queryClient";
import { signedOut } from "./access";
import { useMe } from "./queries";
import { SignInPage } from "./SignInPage";

export function AuthGate({ children }: { children: ReactNode }) {
  const me = useMe();
  if (me.error && isUnauthorized(me.error)) return <SignInPage />;
  if (me.data && signedOut(me.data)) return <SignInPage />;
  if (me.error && !me.data) return <ErrorBox error={me.error} retry={() => void me.refetch()} />;
  if (!me.data) return <Loading what="Heron" />;
  return <>{children}</>;
}
