// A tab bar after the WAI-ARIA tabs pattern: one tab in the Tab order (the selected
// one), ←/→ move between tabs (wrapping), Home/End go to the first/last; moving selects
// (the panel follows the focus). The selected tab lives in the URL, so the views pass
// it in; a keyboard move replaces the history entry instead of adding one per key.
import { useRef, type KeyboardEvent, type ReactNode } from "react";

export interface TabSpec {
  id: string;
  label: ReactNode;
}

export const tabId = (base: string, id: string) => `${base}-tab-${id}`;
export const panelId = (base: string) => `${base}-panel`;

/** The props of the panel that shows the selected tab. */
export function tabPanelProps(base: string, selected: string) {
  return { role: "tabpanel", id: panelId(base), "aria-labelledby": tabId(base, selected), tabIndex: 0 } as const;
}

/** The tab ←/→/Home/End lead to from `current` (null for other keys). */
export function tabAfterKey(ids: string[], current: string, key: string): string | null {
  if (ids.length === 0) return null;
  const i = Math.max(0, ids.indexOf(current));
  if (key === "ArrowRight") return ids[(i + 1) % ids.length];
  if (key === "ArrowLeft") return ids[(i - 1 + ids.length) % ids.length];
  if (key === "Home") return ids[0];
  if (key === "End") return ids[ids.length - 1];
  return null;
}

export function TabBar({
  label,
  base,
  tabs,
  selected,
  onSelect,
}: {
  label: string;
  base: string; // prefix of the element ids
  tabs: TabSpec[];
  selected: string;
  onSelect: (id: string, opts?: { replace?: boolean }) => void;
}) {
  const refs = useRef(new Map<string, HTMLButtonElement>());
  const ids = tabs.map((t) => t.id);
  const focusable = ids.includes(selected) ? selected : ids[0];
  const onKeyDown = (e: KeyboardEvent<HTMLElement>) => {
    const next = tabAfterKey(ids, selected, e.key);
    if (next === null) return;
    e.preventDefault();
    refs.current.get(next)?.focus();
    if (next !== selected) onSelect(next, { replace: true });
  };
  return (
    <nav className="tabs" role="tablist" aria-label={label} onKeyDown={onKeyDown}>
      {tabs.map((t) => (
        <button
          key={t.id}
          ref={(el) => {
            if (el) refs.current.set(t.id, el);
            else refs.current.delete(t.id);
          }}
          id={tabId(base, t.id)}
          role="tab"
          type="button"
          aria-selected={selected === t.id}
          aria-controls={selected === t.id ? panelId(base) : undefined}
          tabIndex={t.id === focusable ? 0 : -1}
          className={selected === t.id ? "on" : ""}
          onClick={() => selected !== t.id && onSelect(t.id)}
          data-tab={t.id}
        >
          {t.label}
        </button>
      ))}
    </nav>
  );
}
