// The confirmation for a promotion or a rollback: a modal <dialog> (focus stays inside,
// Esc cancels) with a reason box; the server's refusal (403 protected, 409 nothing to
// roll back) is shown in it and nothing is lost: the reason stays for another try.
import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { ApiError } from "../../lib/api";
import { useModelChange, type ModelChange } from "./queries";

export interface ChangeRequest {
  model: string;
  title: string;
  confirm: string; // the confirm button's label
  description?: ReactNode;
  archiveOption?: boolean; // show "archive existing production" (promotion to production)
  change: (reason: string, archiveExisting: boolean) => ModelChange;
}

export function errorText(err: Error): string {
  if (err instanceof ApiError && err.status) return `${err.status} ${err.title}: ${err.message}`;
  return err.message;
}

export function ChangeDialog({
  req,
  onClose,
  onDone,
}: {
  req: ChangeRequest;
  onClose: () => void;
  onDone: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [reason, setReason] = useState("");
  const [archive, setArchive] = useState(true);
  const mutation = useModelChange(req.model); // the registry's views refresh before it is done
  const busy = mutation.isPending;
  const error = mutation.error;

  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);

  const submit = () => mutation.mutate(req.change(reason, archive), { onSuccess: onDone });

  return (
    <dialog
      ref={ref}
      className="change-dialog"
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) onClose();
      }}
    >
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <h2 id={titleId}>{req.title}</h2>
        {req.description && <p className="muted">{req.description}</p>}
        <label className="field">
          <span>Reason (recorded in the history)</span>
          <textarea
            rows={3}
            value={reason}
            autoFocus
            placeholder="e.g. beats v3 by 1.2% on the holdout set"
            onChange={(e) => setReason(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
                e.preventDefault();
                submit();
              }
            }}
          />
        </label>
        {req.archiveOption && (
          <label className="check-row">
            <input type="checkbox" checked={archive} onChange={(e) => setArchive(e.target.checked)} />
            Archive the version(s) now in production
          </label>
        )}
        {error && (
          <div
            className="dialog-error error-text"
            role="alert"
            data-status={error instanceof ApiError ? error.status : ""}
          >
            {errorText(error)}
          </div>
        )}
        <div className="dialog-buttons">
          <button type="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Working…" : req.confirm}
          </button>
        </div>
      </form>
    </dialog>
  );
}
