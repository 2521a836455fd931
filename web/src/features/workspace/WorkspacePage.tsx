// A project's workspace: sections of panels the user adds, removes, resizes and
// arranges, over the runs of a filter; saved on the server as named views, shared by
// link (/p/<project>/workspace?view=<id>). Without a view, the project's own workspace
// is kept in this browser (localStorage) and starts from a layout chosen by its keys.
import { useEffect, useMemo, useRef, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { Empty, ErrorBox, Loading } from "../../components/States";
import type { ProjectKeys } from "../../lib/api";
import { may, READ_ONLY } from "../auth/access";
import { useMe } from "../auth/queries";
import { useProjectKeys } from "../runs/queries";
import { defaultWorkspace } from "./defaults";
import {
  addPanel,
  addSection,
  movePanel,
  movePanelTo,
  moveSection,
  removePanel,
  removeSection,
  renameSection,
  resizePanel,
  toggleSection,
  updatePanel,
} from "./layout";
import {
  MAX_NAME,
  MAX_PANELS,
  PANEL_KINDS,
  newPanel,
  panelCount,
  runsStateOf,
  workspaceOf,
  type PanelKind,
  type Section,
  type ViewState,
  type Workspace,
} from "./model";
import { PanelView } from "./PanelView";
import { useDeleteView, useSaveView, useView, useViews } from "./queries";
import { loadDraft, runsTableHref, runsTableState, saveDraft } from "./storage";
import "./workspace.css";

export default function WorkspacePage() {
  const project = useParams().project!;
  const [params] = useSearchParams();
  const viewId = params.get("view") ?? "";
  const keys = useProjectKeys(project);
  const view = useView(project, viewId);

  if (keys.error) return <ErrorBox error={keys.error} retry={() => void keys.refetch()} />;
  if (viewId && view.error) return <ViewMissing project={project} error={view.error} />;
  if (!keys.data || (viewId && !view.data)) return <Loading what="workspace" />;
  let initial: ViewState;
  if (viewId && view.data) {
    const stored = view.data.state as Record<string, unknown>;
    initial = {
      workspace: workspaceOf(stored.workspace) ?? defaultWorkspace(keys.data),
      runs: runsStateOf(stored.runs),
    };
  } else {
    initial = loadDraft(project) ?? { workspace: defaultWorkspace(keys.data), runs: runsTableState(project) };
  }
  return (
    <WorkspaceEditor
      key={`${project}\n${viewId}\n${view.data?.updated_at ?? ""}`}
      project={project}
      keys={keys.data}
      viewId={viewId}
      viewName={view.data?.name ?? ""}
      initial={initial}
    />
  );
}

function ViewMissing({ project, error }: { project: string; error: Error }) {
  return (
    <section className="page">
      <ErrorBox error={error} />
      <p>
        <Link to={`/p/${encodeURIComponent(project)}/workspace`}>Open the project&apos;s workspace</Link>
      </p>
    </section>
  );
}

interface EditorProps {
  project: string;
  keys: ProjectKeys;
  viewId: string;
  viewName: string;
  initial: ViewState;
}

function WorkspaceEditor({ project, keys, viewId, viewName, initial }: EditorProps) {
  const [state, setState] = useState<ViewState>(initial);
  const [, setParams] = useSearchParams();
  const me = useMe();
  const canEdit = me.data ? may(me.data, "write", project) : true;
  const views = useViews(project);
  const save = useSaveView(project);
  const del = useDeleteView(project);
  const [name, setName] = useState("");
  const [filterText, setFilterText] = useState(initial.runs.filter);
  const [copied, setCopied] = useState(false);
  const grid = useRef<HTMLDivElement>(null);
  const ws = state.workspace;
  const dirty = useMemo(() => JSON.stringify(state) !== JSON.stringify(initial), [state, initial]);

  // the project's own workspace (no view open) is kept in this browser
  useEffect(() => {
    if (!viewId) saveDraft(project, state);
  }, [project, viewId, state]);

  const edit = (f: (w: Workspace) => Workspace) => setState((s) => ({ ...s, workspace: f(s.workspace) }));
  const columnWidth = () => {
    const el = grid.current?.querySelector<HTMLElement>(".ws-grid");
    return el ? el.clientWidth / 3 : 400;
  };
  const openView = (id: string) => setParams(id ? { view: id } : {});
  const saveAs = () => {
    const n = name.trim();
    if (!n) return;
    save.mutate({ id: null, body: { name: n, state: state as never } }, { onSuccess: (v) => openView(v.id) });
  };
  const saveHere = () => save.mutate({ id: viewId, body: { state: state as never } });
  const copyLink = () => {
    const url = window.location.href;
    void navigator.clipboard?.writeText(url).then(
      () => setCopied(true),
      () => setCopied(false),
    );
    setCopied(true);
  };
  const count = panelCount(ws);

  return (
    <section className="page workspace-page" data-view="workspace" data-panels={count} data-dirty={dirty ? "1" : "0"}>
      <div className="page-head">
        <h1>{viewId ? viewName : "Workspace"}</h1>
        {dirty && (
          <span className="chip" data-testid="unsaved">
            unsaved changes
          </span>
        )}
        <span className="spacer" />
        <label>
          View{" "}
          <select aria-label="Saved view" value={viewId} onChange={(e) => openView(e.target.value)}>
            <option value="">{project}&apos;s workspace (this browser)</option>
            {(views.data ?? []).map((v) => (
              <option key={v.id} value={v.id}>
                {v.name}
              </option>
            ))}
          </select>
        </label>
        {viewId && (
          <button className="button" onClick={copyLink} title="Copy this view's link">
            {copied ? "Link copied" : "Copy link"}
          </button>
        )}
      </div>
      <div className="ws-toolbar" role="toolbar" aria-label="Workspace">
        <form
          className="ws-filter"
          onSubmit={(e) => {
            e.preventDefault();
            setState((s) => ({ ...s, runs: { ...s.runs, filter: filterText } }));
          }}
        >
          <input
            type="search"
            aria-label="Workspace filter"
            placeholder="Filter runs, e.g. state = finished and config.lr < 0.01"
            value={filterText}
            onChange={(e) => setFilterText(e.target.value)}
          />
          <button className="button" type="submit">
            Apply
          </button>
        </form>
        <Link className="button" to={runsTableHref(project, state.runs)}>
          Runs table
        </Link>
        <span className="spacer" />
        <AddPanel
          label="Add panel"
          disabled={count >= MAX_PANELS}
          onAdd={(kind) => edit((w) => addPanel(w, w.sections[0]?.id ?? null, newPanel(kind)))}
        />
        <button className="button" onClick={() => edit((w) => addSection(w, `Section ${w.sections.length + 1}`))}>
          Add section
        </button>
        <button
          className="ghost"
          onClick={() => setState((s) => ({ ...s, workspace: defaultWorkspace(keys) }))}
          title="Start again from the layout chosen by the project's keys"
        >
          Reset layout
        </button>
      </div>
      <div className="ws-save" role="group" aria-label="Save view">
        {viewId && (
          <button
            className="button primary"
            disabled={!canEdit || !dirty || save.isPending}
            title={canEdit ? "Save the changes into this view" : READ_ONLY}
            onClick={saveHere}
          >
            Save
          </button>
        )}
        <input
          aria-label="View name"
          placeholder="New view name"
          maxLength={MAX_NAME}
          value={name}
          onChange={(e) => setName(e.target.value)}
          onKeyDown={(e) => e.key === "Enter" && saveAs()}
        />
        <button
          className="button"
          disabled={!canEdit || !name.trim() || save.isPending}
          title={canEdit ? "Save as a new view, shared by its link" : READ_ONLY}
          onClick={saveAs}
        >
          Save as view
        </button>
        {viewId && (
          <button
            className="ghost"
            disabled={!canEdit || del.isPending}
            onClick={() => {
              if (window.confirm(`Delete the view “${viewName}”?`))
                del.mutate(viewId, { onSuccess: () => openView("") });
            }}
          >
            Delete view
          </button>
        )}
        {save.error && (
          <span className="error-text" role="alert">
            {save.error.message}
          </span>
        )}
        {del.error && (
          <span className="error-text" role="alert">
            {del.error.message}
          </span>
        )}
      </div>
      <div ref={grid}>
        {ws.sections.length === 0 ? (
          <Empty title="No panels yet">
            Add a panel, or reset the layout to the one chosen from the project&apos;s keys.
          </Empty>
        ) : (
          ws.sections.map((section, i) => (
            <SectionView
              key={section.id}
              section={section}
              first={i === 0}
              last={i === ws.sections.length - 1}
              full={count >= MAX_PANELS}
              edit={edit}
            >
              {section.panels.map((p) => (
                <PanelView
                  key={p.id}
                  project={project}
                  panel={p}
                  keys={keys}
                  filter={state.runs.filter}
                  sort={state.runs.sort}
                  canEdit
                  onChange={(patch) => edit((w) => updatePanel(w, p.id, patch))}
                  onRemove={() => edit((w) => removePanel(w, p.id))}
                  onMove={(d) => edit((w) => movePanel(w, p.id, d))}
                  onDropPanel={(dragged) =>
                    edit((w) =>
                      movePanelTo(
                        w,
                        dragged,
                        section.id,
                        section.panels.findIndex((x) => x.id === p.id),
                      ),
                    )
                  }
                  onResize={(w, h) => edit((x) => resizePanel(x, p.id, w, h))}
                  columnWidth={columnWidth}
                />
              ))}
            </SectionView>
          ))
        )}
      </div>
    </section>
  );
}

function AddPanel({ label, disabled, onAdd }: { label: string; disabled: boolean; onAdd: (k: PanelKind) => void }) {
  return (
    <select
      aria-label={label}
      value=""
      disabled={disabled}
      onChange={(e) => e.target.value && onAdd(e.target.value as PanelKind)}
    >
      <option value="">{label}…</option>
      {PANEL_KINDS.map((k) => (
        <option key={k.id} value={k.id}>
          {k.label}
        </option>
      ))}
    </select>
  );
}

function SectionView({
  section,
  first,
  last,
  full,
  edit,
  children,
}: {
  section: Section;
  first: boolean;
  last: boolean;
  full: boolean;
  edit: (f: (w: Workspace) => Workspace) => void;
  children: React.ReactNode;
}) {
  const [renaming, setRenaming] = useState<string | null>(null);
  const id = section.id;
  return (
    <section className="ws-section" data-section={section.name} data-collapsed={section.collapsed ? "1" : "0"}>
      <header className="ws-section-head">
        <button
          className="ghost icon"
          aria-expanded={!section.collapsed}
          aria-label={`${section.collapsed ? "Expand" : "Collapse"} ${section.name}`}
          onClick={() => edit((w) => toggleSection(w, id))}
        >
          {section.collapsed ? "▸" : "▾"}
        </button>
        {renaming !== null ? (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              const n = renaming.trim();
              if (n) edit((w) => renameSection(w, id, n.slice(0, MAX_NAME)));
              setRenaming(null);
            }}
          >
            <input
              autoFocus
              aria-label="Section name"
              value={renaming}
              maxLength={MAX_NAME}
              onChange={(e) => setRenaming(e.target.value)}
              onBlur={() => setRenaming(null)}
            />
          </form>
        ) : (
          <h2
            className="ws-section-name"
            onDoubleClick={() => setRenaming(section.name)}
            title="Double-click to rename"
          >
            {section.name}
          </h2>
        )}
        <span className="muted small">({section.panels.length})</span>
        <span className="spacer" />
        <AddPanel
          label={`Add panel to ${section.name}`}
          disabled={full}
          onAdd={(kind) => edit((w) => addPanel(w, id, newPanel(kind)))}
        />
        <button className="ghost icon" aria-label={`Rename ${section.name}`} onClick={() => setRenaming(section.name)}>
          ✎
        </button>
        <button
          className="ghost icon"
          aria-label={`Move ${section.name} up`}
          disabled={first}
          onClick={() => edit((w) => moveSection(w, id, -1))}
        >
          ↑
        </button>
        <button
          className="ghost icon"
          aria-label={`Move ${section.name} down`}
          disabled={last}
          onClick={() => edit((w) => moveSection(w, id, 1))}
        >
          ↓
        </button>
        <button
          className="ghost icon"
          aria-label={`Remove ${section.name}`}
          onClick={() => edit((w) => removeSection(w, id))}
        >
          ✕
        </button>
      </header>
      {!section.collapsed && (
        <div className="ws-grid">
          {children}
          {section.panels.length === 0 && <div className="muted small ws-empty">No panels in this section.</div>}
        </div>
      )}
    </section>
  );
}
