// Loading, empty and error states: designed, never a blank area.
import type { ReactNode } from "react";
import type { RunState } from "../lib/api";

export function Loading({ what }: { what: string }) {
  return (
    <div className="state-box loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </div>
  );
}

export function ErrorBox({ error, retry }: { error: Error; retry?: () => void }) {
  return (
    <div className="state-box error" role="alert">
      <strong>Something went wrong.</strong> <span className="error-text">{error.message}</span>
      {retry && (
        <button className="ghost" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state-box empty">
      <strong>{title}</strong>
      {children && <div className="muted">{children}</div>}
    </div>
  );
}

export function StateBadge({ state }: { state: RunState }) {
  return (
    <span className={`badge state-${state}`} data-state={state}>
      {state === "running" && <span className="pulse" aria-hidden="true" />}
      {state}
    </span>
  );
}

export function Swatch({ color }: { color: string }) {
  return <span className="swatch" style={{ background: color }} aria-hidden="true" />;
}
