// Run notes: Markdown, rendered safely; editable in place, saved with PATCH /runs/{id}.
// Loaded when the tab is first shown (the Markdown renderer is its own chunk).
import { useState } from "react";
import type { Run } from "../../lib/api";
import { Markdown } from "../../components/Markdown";
import { useAccess } from "../auth/queries";
import { usePatchRun } from "./queries";

export default function NotesTab({ run }: { run: Run }) {
  const [draft, setDraft] = useState<string | null>(null);
  const patch = usePatchRun(); // the saved run replaces the cached one: the notes show at once
  const { canWrite, readOnly } = useAccess(run.project);
  const saving = patch.isPending;
  const error = patch.error?.message ?? null; // the draft stays: nothing typed is lost
  const save = () => {
    if (draft === null) return;
    patch.mutate({ id: run.id, patch: { notes: draft } }, { onSuccess: () => setDraft(null) });
  };
  const cancel = () => setDraft(null);
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
            if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) save();
            if (e.key === "Escape") cancel();
          }}
        />
        {error && (
          <div className="error-text" role="alert">
            {error}
          </div>
        )}
        <div className="row">
          <button className="primary" onClick={() => save()} disabled={saving}>
            {saving ? "Saving…" : "Save"}
          </button>
          <button className="ghost" onClick={cancel}>
            Cancel
          </button>
          <span className="muted small">Markdown · Ctrl+Enter saves · Esc cancels</span>
        </div>
      </div>
    );
  return (
    <div className="notes" data-view="notes">
      {run.notes ? <Markdown source={run.notes} /> : <div className="muted">No notes yet.</div>}
      <button
        disabled={!canWrite}
        title={readOnly || undefined}
        onClick={() => {
          patch.reset(); // a new edit starts without the last one's error
          setDraft(run.notes);
        }}
      >
        Edit notes
      </button>
    </div>
  );
}
