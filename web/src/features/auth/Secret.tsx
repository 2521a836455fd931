// A new token's secret, shown this once: a copy button and a warning (only its hash is
// kept, so a reload never shows it again).
import { useState } from "react";
import type { IssuedToken } from "./api";

export function Secret({ issued, onDone }: { issued: IssuedToken; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  const copy = () =>
    void navigator.clipboard
      .writeText(issued.secret)
      .then(() => setCopied(true))
      .catch(() => setCopied(false));
  return (
    <div className="notice secret" role="status" data-testid="new-token">
      <strong>Token “{issued.token.name}” created.</strong>{" "}
      <span className="warn-text">Copy it now: it is not shown again (only its hash is kept).</span>
      <div className="row">
        <code className="secret-value" data-testid="token-secret">
          {issued.secret}
        </code>
        <button onClick={copy}>{copied ? "Copied" : "Copy"}</button>
        <button className="ghost" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}
