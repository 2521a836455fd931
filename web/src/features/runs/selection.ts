// Which runs are selected on the runs page: a list of ids, or every run matching the
// filter less some exclusions (Gmail's "select all N conversations"). Both live in the
// URL: `sel=` ids, or `all=1` with `ex=` exclusions, so 10,000 selected runs still make
// a short link. The filter itself is in the URL already; "all" means all that match it
// when an action runs, which the server resolves (POST /projects/{p}/runs/bulk).

export type Selection = { all: false; ids: string[] } | { all: true; excluded: string[] };

export const NONE: Selection = { all: false, ids: [] };

/** Compare overlays charts and tables of every run: more than this is unreadable. */
export const MAX_COMPARE = 100;

export function fromUrl(all: boolean, selected: string[], excluded: string[]): Selection {
  return all ? { all: true, excluded } : { all: false, ids: selected };
}

/** The URL fields (see runsSchema) that hold `s`. */
export function toUrl(s: Selection): { all: boolean; selected: string[]; excluded: string[] } {
  return s.all ? { all: true, selected: [], excluded: s.excluded } : { all: false, selected: s.ids, excluded: [] };
}

export function isEmpty(s: Selection): boolean {
  return !s.all && s.ids.length === 0;
}

export function isSelected(s: Selection, id: string): boolean {
  return s.all ? !s.excluded.includes(id) : s.ids.includes(id);
}

/** How many runs `s` holds, given how many match the filter (null: not known yet). */
export function selectedCount(s: Selection, total: number | null): number | null {
  if (!s.all) return s.ids.length;
  return total === null ? null : Math.max(0, total - s.excluded.length);
}

export function toggleRun(s: Selection, id: string): Selection {
  const flip = (list: string[]) => (list.includes(id) ? list.filter((x) => x !== id) : [...list, id]);
  return s.all ? { all: true, excluded: flip(s.excluded) } : { all: false, ids: flip(s.ids) };
}

export type HeaderState = "none" | "some" | "all";

/** The header checkbox: checked when every loaded row is selected, mixed when some are. */
export function headerState(s: Selection, loaded: string[]): HeaderState {
  if (s.all) return s.excluded.length === 0 ? "all" : "some";
  if (s.ids.length === 0) return "none";
  const chosen = new Set(s.ids);
  return loaded.length > 0 && loaded.every((id) => chosen.has(id)) ? "all" : "some";
}

/** A click on the header checkbox: select the loaded rows, or clear when all are. */
export function toggleHeader(s: Selection, loaded: string[]): Selection {
  if (s.all || headerState(s, loaded) === "all") return NONE;
  return { all: false, ids: [...new Set([...s.ids, ...loaded])] };
}

/**
 * Whether to offer "Select all N runs matching this filter": every loaded row is
 * selected, and more runs match than are selected.
 */
export function offerAll(s: Selection, loaded: string[], total: number | null): boolean {
  return !s.all && total !== null && headerState(s, loaded) === "all" && total > s.ids.length;
}

/** What a bulk call acts on: ids, or the filter less the exclusions. */
export function bulkTarget(s: Selection, filter: string): { ids: string[] } | { filter: string; exclude: string[] } {
  return s.all ? { filter, exclude: s.excluded } : { ids: s.ids };
}

/** Why `count` runs cannot be compared, or null when they can. */
export function compareRefusal(count: number | null): string | null {
  if (count === null) return "Counting the runs…";
  if (count < 2) return "Select at least two runs";
  if (count > MAX_COMPARE)
    return `Compare takes 2 to ${MAX_COMPARE} runs, not ${count.toLocaleString("en-US")}: narrow the filter or select fewer`;
  return null;
}
