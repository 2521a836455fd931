// The sign-in page: a password form, and "Sign in with <provider>" when the server
// offers single sign-on. Shown in place of the page asked for (features/auth/AuthGate).
import { useState, type FormEvent } from "react";
import { useAuthConfig, useSignIn } from "./queries";
import "./auth.css";

export function SignInPage() {
  const config = useAuthConfig();
  const signIn = useSignIn();
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!name || !password) return;
    signIn.mutate({ name, password }, { onSuccess: () => setPassword("") });
  };
  const sso = config.data?.sso_login_url ? config.data : null;
  const passwords = config.data?.password_login ?? true;
  const error = signIn.error;
  return (
    <main className="signin" data-view="signin">
      <form className="signin-card" onSubmit={submit} aria-label="Sign in">
        <h1>
          <svg width="20" height="20" viewBox="0 0 16 16" aria-hidden="true">
            <circle cx="8" cy="8" r="7" fill="var(--accent)" />
          </svg>
          Sign in to Heron
        </h1>
        {sso && (
          <a className="button primary sso" href={sso.sso_login_url ?? ""}>
            Sign in with {sso.sso}
          </a>
        )}
        {passwords && (
          <>
            <label>
              User name
              <input
                name="username"
                autoComplete="username"
                autoFocus
                value={name}
                maxLength={64}
                onChange={(e) => setName(e.target.value)}
              />
            </label>
            <label>
              Password
              <input
                type="password"
                name="password"
                autoComplete="current-password"
                value={password}
                maxLength={1024}
                onChange={(e) => setPassword(e.target.value)}
              />
            </label>
            {error && (
              <div className="error-text" role="alert">
                {error.message}
              </div>
            )}
            <button type="submit" className="primary" disabled={signIn.isPending || !name || !password}>
              {signIn.isPending ? "Signing in…" : "Sign in"}
            </button>
          </>
        )}
        <p className="muted small">
          Scripts and the CLI sign in with an API token: <code>heron login</code> or <code>HERON_TOKEN</code>.
        </p>
      </form>
    </main>
  );
}
