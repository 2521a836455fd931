// The filter box (the filter language, errors shown inline) and the quick filters.
import { useEffect, useState } from "react";
import { RUN_STATES } from "../lib/api";

interface Props {
  value: string;
  onApply: (filter: string) => void;
  error: string | null;
  states: string[];
  onStates: (states: string[]) => void;
  tags: string[];
  knownTags: string[];
  onTags: (tags: string[]) => void;
}

export function FilterBar({ value, onApply, error, states, onStates, tags, knownTags, onTags }: Props) {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  const toggle = (list: string[], v: string) => (list.includes(v) ? list.filter((x) => x !== v) : [...list, v]);
  const tagChoices = [...new Set([...knownTags, ...tags])].sort();
  return (
    <div className="filter-bar">
      <form
        className="filter-form"
        onSubmit={(e) => {
          e.preventDefault();
          onApply(draft.trim());
        }}
      >
        <input
          className={`filter-input${error ? " invalid" : ""}`}
          type="text"
          spellCheck={false}
          placeholder='Filter, e.g. config.lr < 0.01 and metrics.val/acc > 0.9 — press Enter'
          aria-label="Filter runs"
          aria-invalid={!!error}
          aria-describedby={error ? "filter-error" : undefined}
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Escape") setDraft(value);
          }}
        />
        <button type="submit">Apply</button>
        {value && (
          <button type="button" className="ghost" onClick={() => onApply("")}>
            Clear
          </button>
        )}
      </form>
      {error && (
        <div id="filter-error" className="filter-error" role="alert" data-testid="filter-error">
          {error}
        </div>
      )}
      <div className="quick-filters" aria-label="Quick filters">
        {RUN_STATES.map((s) => (
          <button
            key={s}
            className={`chip state-${s}${states.includes(s) ? " on" : ""}`}
            aria-pressed={states.includes(s)}
            onClick={() => onStates(toggle(states, s))}
          >
            {s}
          </button>
        ))}
        {tagChoices.length > 0 && <span className="sep" />}
        {tagChoices.slice(0, 12).map((t) => (
          <button
            key={t}
            className={`chip tag-chip${tags.includes(t) ? " on" : ""}`}
            aria-pressed={tags.includes(t)}
            onClick={() => onTags(toggle(tags, t))}
          >
            #{t}
          </button>
        ))}
      </div>
    </div>
  );
}
