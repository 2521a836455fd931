// Choose the table's config / metric columns (in the URL, and remembered per project).
// The popover closes on a click outside, Esc or Done; the focus goes back to its button.
import { useState } from "react";
import type { ProjectKeys } from "../../lib/api";
import { usePopover } from "../../lib/popover";
import { keyMatcher } from "./autocomplete";

interface Props {
  keys: ProjectKeys;
  columns: string[];
  onChange: (columns: string[]) => void;
  onReset: () => void;
}

export function ColumnPicker({ keys, columns, onChange, onReset }: Props) {
  const { open, setOpen, wrap, opener } = usePopover();
  const [q, setQ] = useState("");
  const all = [
    ...keys.metrics.map((k) => `metrics.${k}`),
    ...keys.summary.filter((k) => !keys.metrics.includes(k)).map((k) => `summary.${k}`),
    ...keys.config.map((k) => `config.${k}`),
  ];
  const match = keyMatcher(q); // a substring, or /regex/
  const shown = all.filter(match.test);
  const toggle = (c: string) => onChange(columns.includes(c) ? columns.filter((x) => x !== c) : [...columns, c]);
  return (
    <div className="popover-wrap" ref={wrap}>
      <button
        ref={opener}
        aria-expanded={open}
        aria-haspopup="dialog"
        onClick={() => setOpen((o) => !o)}
        data-testid="columns-button"
      >
        Columns ({columns.length})
      </button>
      {open && (
        <div className="popover" role="dialog" aria-label="Choose columns">
          <input
            autoFocus
            type="search"
            placeholder="Search keys, or /regex/"
            aria-label="Search keys"
            aria-invalid={!!match.error}
            value={q}
            onChange={(e) => setQ(e.target.value)}
          />
          {match.error && <div className="error-text small">Not a regular expression: {match.error}</div>}
          <div className="popover-list">
            {shown.length === 0 && !match.error && <div className="muted">No key matches.</div>}
            {shown.length > 1 && q.trim() && (
              <button
                className="ghost small"
                onClick={() => onChange([...columns, ...shown.filter((c) => !columns.includes(c))])}
              >
                Add all {shown.length} matches
              </button>
            )}
            {shown.map((c) => (
              <label key={c} className="check-row">
                <input type="checkbox" checked={columns.includes(c)} onChange={() => toggle(c)} />
                <span className={`key-prefix ${c.split(".")[0]}`}>{c.split(".")[0]}</span>
                <span>{c.slice(c.indexOf(".") + 1)}</span>
              </label>
            ))}
          </div>
          <div className="popover-foot">
            <button className="ghost" onClick={onReset}>
              Defaults
            </button>
            <button
              onClick={() => {
                setOpen(false);
                opener.current?.focus();
              }}
            >
              Done
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
