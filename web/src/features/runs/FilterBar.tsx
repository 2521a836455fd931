// The filter box (the filter language, errors shown inline) and the quick filters.
// `/` anywhere on the page focuses the box; Esc leaves it (and drops an unapplied edit).
// While typing, a list offers what may come at the caret (autocomplete.ts): fields from
// the project's keys, operators, values, and/or; ↑/↓ pick, Tab or Enter takes one, Esc
// closes the list.
import { useEffect, useMemo, useRef, useState } from "react";
import { RUN_STATES, type ProjectKeys } from "../../lib/api";
import { applySuggestion, complete } from "./autocomplete";
import { usePopover } from "../../lib/popover";
import { quickTags, searchTags } from "./quickTags";
import "./runs.css";

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
  keys?: ProjectKeys; // the project's keys, for autocomplete
}

const TAG_CHIPS = 12;

/** Whether a key press belongs to a text field (or other control that takes `/`). */
function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

export function FilterBar(props: Props) {
  const { value, onApply, error, states, onStates, tags, knownTags, onTags, onLeave, keys } = props;
  const [draft, setDraft] = useState(value);
  const [caret, setCaret] = useState<number | null>(null); // null: the box is not being edited
  const [active, setActive] = useState(-1); // the highlighted suggestion
  // the list opens as you type (or on ↓), and closes on Esc, on applying and on leaving
  const [closed, setClosed] = useState(true);
  const suggestions = useMemo(() => (caret === null ? [] : complete(draft, caret, keys)), [draft, caret, keys]);
  const listOpen = !closed && suggestions.length > 0;
  const accept = (i: number) => {
    const s = suggestions[i];
    if (!s) return;
    const next = applySuggestion(draft, s);
    setDraft(next.text);
    setCaret(next.caret);
    setActive(-1);
    requestAnimationFrame(() => box.current?.setSelectionRange(next.caret, next.caret));
  };
  const track = (el: HTMLInputElement) => setCaret(el.selectionStart ?? el.value.length);
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
          setClosed(true);
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
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={listOpen}
          aria-controls="filter-suggestions"
          aria-activedescendant={listOpen && active >= 0 ? `filter-suggestion-${active}` : undefined}
          autoComplete="off"
          value={draft}
          onChange={(e) => {
            setDraft(e.target.value);
            track(e.target);
            setActive(-1);
            setClosed(false);
          }}
          onClick={(e) => track(e.currentTarget)}
          onFocus={(e) => track(e.currentTarget)}
          onBlur={() => {
            setCaret(null);
            setClosed(true);
          }}
          onKeyUp={(e) => {
            if (e.key === "ArrowLeft" || e.key === "ArrowRight" || e.key === "Home" || e.key === "End")
              track(e.currentTarget);
          }}
          onKeyDown={(e) => {
            if (!listOpen && closed && e.key === "ArrowDown") {
              e.preventDefault(); // ↓ opens the list of what may come here
              track(e.currentTarget);
              setClosed(false);
              return;
            }
            if (listOpen) {
              if (e.key === "ArrowDown" || e.key === "ArrowUp") {
                e.preventDefault();
                const n = suggestions.length;
                setActive((a) => (e.key === "ArrowDown" ? (a + 1) % n : (a - 1 + n) % n));
                return;
              }
              if (e.key === "Tab" || (e.key === "Enter" && active >= 0)) {
                e.preventDefault();
                accept(active >= 0 ? active : 0);
                return;
              }
              if (e.key === "Escape") {
                e.preventDefault();
                setClosed(true);
                return;
              }
            }
            if (e.key !== "Escape") return;
            e.preventDefault();
            setDraft(value);
            box.current?.blur();
            onLeave?.();
          }}
        />
        {listOpen && (
          <ul className="filter-suggestions" id="filter-suggestions" role="listbox" aria-label="Suggestions">
            {suggestions.map((sug, i) => (
              <li
                key={`${sug.from}:${sug.insert}`}
                id={`filter-suggestion-${i}`}
                role="option"
                aria-selected={i === active}
                className={`suggestion kind-${sug.kind}${i === active ? " active" : ""}`}
                onMouseDown={(e) => {
                  e.preventDefault(); // keep the focus in the box
                  accept(i);
                }}
              >
                <span>{sug.label}</span>
                {sug.detail && <span className="muted small"> {sug.detail}</span>}
              </li>
            ))}
          </ul>
        )}
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
