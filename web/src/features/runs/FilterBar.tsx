// The filter box (the filter language, errors shown inline) and the quick filters.
// `/` anywhere on the page focuses the box; Esc leaves it (and drops an unapplied edit).
import { useEffect, useRef, useState } from "react";
import { RUN_STATES } from "../../lib/api";
import { usePopover } from "../../lib/popover";
import { quickTags, searchTags } from "./quickTags";

interface Props {
  value: string;
  onApply: (filter: string) => void;
  error: string | null;
  states: string[];
  onStates: (states: string[]) => void;
  tags: string[];
  knownTags: string[];
  onTags: (tags: string[]) => void;
  onLeave?: () => void; // Esc in the box: where the focus goes next
}

const TAG_CHIPS = 12;

/** Whether a key press belongs to a text field (or other control that takes `/`). */
function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

export function FilterBar({ value, onApply, error, states, onStates, tags, knownTags, onTags, onLeave }: Props) {
  const [draft, setDraft] = useState(value);
  // a new applied filter (Enter, a link, back/forward) replaces what is in the box
  const [applied, setApplied] = useState(value);
  if (value !== applied) {
    setApplied(value);
    setDraft(value);
  }
  const box = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented || typing(e.target)) return;
      e.preventDefault();
      box.current?.focus();
      box.current?.select();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
  const toggle = (list: string[], v: string) => (list.includes(v) ? list.filter((x) => x !== v) : [...list, v]);
  const { shown, more } = quickTags(knownTags, tags, TAG_CHIPS);
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
          ref={box}
          className={`filter-input${error ? " invalid" : ""}`}
          type="text"
          spellCheck={false}
          placeholder="Filter, e.g. config.lr < 0.01 and metrics.val/acc > 0.9 — press Enter ( / to focus )"
          aria-label="Filter runs"
          aria-keyshortcuts="/"
          aria-invalid={!!error}
          aria-describedby={error ? "filter-error" : undefined}
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key !== "Escape") return;
            e.preventDefault();
            setDraft(value);
            box.current?.blur();
            onLeave?.();
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
        {shown.length > 0 && <span className="sep" />}
        {shown.map((t) => (
          <button
            key={t}
            className={`chip tag-chip${tags.includes(t) ? " on" : ""}`}
            aria-pressed={tags.includes(t)}
            onClick={() => onTags(toggle(tags, t))}
          >
            #{t}
          </button>
        ))}
        {more.length > 0 && <MoreTags tags={more} onPick={(t) => onTags(toggle(tags, t))} />}
      </div>
    </div>
  );
}

/** The tags without a chip: a popover with a search; picking one turns it on. */
function MoreTags({ tags, onPick }: { tags: string[]; onPick: (tag: string) => void }) {
  const { open, setOpen, wrap, opener } = usePopover();
  const [q, setQ] = useState("");
  const found = searchTags(tags, q);
  return (
    <div className="popover-wrap" ref={wrap}>
      <button
        ref={opener}
        className="chip"
        aria-expanded={open}
        aria-haspopup="dialog"
        onClick={() => setOpen((o) => !o)}
        data-testid="more-tags"
      >
        more… ({tags.length})
      </button>
      {open && (
        <div className="popover tag-popover" role="dialog" aria-label="More tags">
          <input
            autoFocus
            type="search"
            placeholder="Search tags"
            aria-label="Search tags"
            value={q}
            onChange={(e) => setQ(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && found.length > 0) {
                e.preventDefault();
                onPick(found[0]);
                setOpen(false);
                opener.current?.focus();
              }
            }}
          />
          <div className="popover-list">
            {found.length === 0 && <div className="muted">No tag matches.</div>}
            {found.map((t) => (
              <button
                key={t}
                className="ghost tag-option"
                onClick={() => {
                  onPick(t);
                  setOpen(false);
                }}
              >
                #{t}
              </button>
            ))}
          </div>
        </div>
      )}
    </div>
  );
}
