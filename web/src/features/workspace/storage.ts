// The project's own workspace in this browser (localStorage), and the runs table's
// state: taken from the table as last seen, and turned back into its link.
import { decodeState, encodeState } from "../../lib/urlState";
import { runsHref } from "../runs/prefs";
import { runsSchema } from "../runs/state";
import { runsStateOf, workspaceOf, type RunsTableState, type ViewState } from "./model";

const draftKey = (project: string) => `heron.workspace.${project}`;

function local(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null; // storage disabled
  }
}

export function loadDraft(project: string): ViewState | null {
  const raw = local()?.getItem(draftKey(project));
  if (!raw) return null;
  try {
    const parsed = JSON.parse(raw) as { workspace?: unknown; runs?: unknown };
    const workspace = workspaceOf(parsed.workspace);
    return workspace ? { workspace, runs: runsStateOf(parsed.runs) } : null;
  } catch {
    return null;
  }
}

export function saveDraft(project: string, state: ViewState): void {
  try {
    local()?.setItem(draftKey(project), JSON.stringify(state));
  } catch {
    // full or disabled: the workspace still works, it is only not kept
  }
}

/** The runs table's filter, sort, columns and grouping as last seen in this tab. */
export function runsTableState(project: string): RunsTableState {
  const href = runsHref(project);
  const i = href.indexOf("?");
  const s = decodeState(runsSchema, new URLSearchParams(i < 0 ? "" : href.slice(i + 1)));
  return { filter: s.filter, sort: s.sort, columns: s.customColumns ? s.columns : [], group: s.group };
}

/** The runs table showing a view's runs state. */
export function runsTableHref(project: string, r: RunsTableState): string {
  const params = encodeState(runsSchema, {
    filter: r.filter,
    sort: r.sort,
    columns: r.columns,
    customColumns: r.columns.length > 0,
    group: r.group,
  });
  const qs = params.toString();
  return `/p/${encodeURIComponent(project)}${qs ? `?${qs}` : ""}`;
}
