// Run notes: Markdown, rendered safely; editable in place, saved with PATCH /runs/{id}.
import { useState } from "react";
import { api, type Run } from "../../lib/api";
import { Markdown } from "../../lib/markdown";

export function NotesTab({ run, onSaved }: { run: Run; onSaved: (r: Run) => void }) {
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const save = async () => {
    if (draft === null) return;
    setSaving(true);
    setError(null);
    try {
      onSaved(await api.patchRun(run.id, { notes: draft }));
      setDraft(null);
    } catch (e) {
      setError((e as Error).message); // the draft stays: nothing typed is lost
    } finally {
      setSaving(false);
    }
  };
  if (draft !== null)
    return (
      <div className="notes editing" data-view="notes">
        <textarea
          aria-label="Notes (Markdown)"
          value={draft}
          autoFocus
          rows={14}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) void save();
            if (e.key === "Escape") setDraft(null);
          }}
        />
        {error && (
          <div className="error-text" role="alert">
            {error}
          </div>
        )}
        <div className="row">
          <button className="primary" onClick={() => void save()} disabled={saving}>
            {saving ? "Saving…" : "Save"}
          </button>
          <button className="ghost" onClick={() => setDraft(null)}>
            Cancel
          </button>
          <span className="muted small">Markdown · Ctrl+Enter saves · Esc cancels</span>
        </div>
      </div>
    );
  return (
    <div className="notes" data-view="notes">
      {run.notes ? <Markdown source={run.notes} /> : <div className="muted">No notes yet.</div>}
      <button onClick={() => setDraft(run.notes)}>Edit notes</button>
    </div>
  );
}
