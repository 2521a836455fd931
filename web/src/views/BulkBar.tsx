// Actions on the selected runs: compare, tag, untag, delete (with a confirm step).
import { useState } from "react";
import { Link } from "react-router";
import { api } from "../lib/api";

interface Props {
  project: string;
  selected: string[];
  onClear: () => void;
  onChanged: () => void;
}

export function BulkBar({ project, selected, onClear, onChanged }: Props) {
  const [tag, setTag] = useState("");
  const [confirm, setConfirm] = useState(false);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const n = selected.length;
  const compare = new URLSearchParams(selected.map((id) => ["runs", id]));

  const act = async (what: string, fn: () => Promise<unknown>) => {
    setBusy(true);
    setMessage(null);
    try {
      await fn();
      setMessage({ text: what, error: false });
      onChanged();
    } catch (e) {
      setMessage({ text: (e as Error).message, error: true });
    } finally {
      setBusy(false);
      setConfirm(false);
    }
  };
  const tagAll = (add: boolean) => {
    const t = tag.trim();
    if (!t) return setMessage({ text: "Type a tag first.", error: true });
    void act(`${add ? "Tagged" : "Untagged"} ${n} run${n === 1 ? "" : "s"} “${t}”.`, () =>
      Promise.all(selected.map((id) => api.patchRun(id, add ? { add_tags: [t] } : { remove_tags: [t] }))),
    );
  };

  return (
    <div className="bulk-bar" role="toolbar" aria-label="Selected runs" data-selected={n}>
      <strong>{n} selected</strong>
      <Link
        className={`button primary${n < 2 ? " disabled" : ""}`}
        aria-disabled={n < 2}
        to={n >= 2 ? `/p/${encodeURIComponent(project)}/compare?${compare}` : "#"}
        title={n < 2 ? "Select at least two runs" : "Compare the selected runs side by side"}
      >
        Compare
      </Link>
      <input
        className="tag-input"
        placeholder="tag"
        aria-label="Tag for the selected runs"
        value={tag}
        onChange={(e) => setTag(e.target.value)}
      />
      <button disabled={busy} onClick={() => tagAll(true)}>
        Add tag
      </button>
      <button disabled={busy} onClick={() => tagAll(false)}>
        Remove tag
      </button>
      {confirm ? (
        <>
          <span className="warn-text">Delete {n} runs and their data?</span>
          <button
            className="danger"
            disabled={busy}
            onClick={() =>
              void act(`Deleted ${n} run${n === 1 ? "" : "s"}.`, async () => {
                await api.deleteRuns(selected);
                onClear();
              })
            }
          >
            Yes, delete
          </button>
          <button className="ghost" onClick={() => setConfirm(false)}>
            Cancel
          </button>
        </>
      ) : (
        <button className="danger-outline" disabled={busy} onClick={() => setConfirm(true)}>
          Delete…
        </button>
      )}
      <button className="ghost" onClick={onClear}>
        Clear selection
      </button>
      {message && (
        <span className={message.error ? "error-text" : "muted"} role="status">
          {message.text}
        </span>
      )}
    </div>
  );
}
