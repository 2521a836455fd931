// A run's tags, edited in place (the run page, the runs table's Tags cell): × removes a
// tag, + opens a small box to add one (Enter adds, Esc closes), known tags offered.
// Changes go through the bulk tag/untag route with this one run (useBulkRuns), which
// refreshes the table, the run and the project's tag list.
import { useState } from "react";
import { useBulkRuns } from "./queries";
import "./runs.css";

interface Props {
  project: string;
  runId: string;
  tags: string[];
  knownTags?: string[];
  canWrite: boolean;
  compact?: boolean; // the table cell: the + shows on hover/focus only
}

export function TagEditor({ project, runId, tags, knownTags = [], canWrite, compact }: Props) {
  const bulk = useBulkRuns(project);
  const [adding, setAdding] = useState(false);
  const [text, setText] = useState("");
  const listId = `tags-${runId}`;
  const change = (action: "add_tags" | "remove_tags", tag: string) =>
    bulk.mutate({ action, ids: [runId], tags: [tag] });
  const add = () => {
    const tag = text.trim();
    if (tag && !tags.includes(tag)) change("add_tags", tag);
    setText("");
    setAdding(false);
  };
  return (
    <span
      className={`tag-editor${compact ? " compact" : ""}`}
      data-testid="tag-editor"
      onClick={(e) => e.stopPropagation()} // a click in the table's cell is not a row click
      onKeyDown={(e) => e.stopPropagation()} // nor are its keys the table's shortcuts
    >
      {tags.map((t) => (
        <span key={t} className="tag" data-tag={t}>
          {t}
          {canWrite && (
            <button
              className="tag-remove"
              aria-label={`Remove tag ${t}`}
              title={`Remove tag ${t}`}
              disabled={bulk.isPending}
              onClick={() => change("remove_tags", t)}
            >
              ×
            </button>
          )}
        </span>
      ))}
      {canWrite &&
        (adding ? (
          <>
            <input
              className="tag-input"
              autoFocus
              aria-label="New tag"
              list={listId}
              value={text}
              maxLength={256}
              onChange={(e) => setText(e.target.value)}
              onBlur={() => (text.trim() ? add() : setAdding(false))}
              onKeyDown={(e) => {
                if (e.key === "Enter") {
                  e.preventDefault();
                  add();
                } else if (e.key === "Escape") {
                  e.preventDefault();
                  setText("");
                  setAdding(false);
                }
              }}
            />
            <datalist id={listId}>
              {knownTags
                .filter((t) => !tags.includes(t))
                .slice(0, 50)
                .map((t) => (
                  <option key={t} value={t} />
                ))}
            </datalist>
          </>
        ) : (
          <button className="tag-add" aria-label="Add a tag" title="Add a tag" onClick={() => setAdding(true)}>
            +
          </button>
        ))}
      {bulk.error && (
        <span className="error-text small" role="alert">
          {bulk.error.message}
        </span>
      )}
    </span>
  );
}
