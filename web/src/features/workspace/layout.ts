// Changes to a workspace: add, remove, change, resize and move panels; add, rename,
// collapse, move and remove sections. Each returns a new workspace (the old one is kept
// for undo and for "unsaved changes").
import { MAX_H, MAX_PANELS, MAX_W, MIN_H, newSection, type Panel, type Section, type Workspace } from "./model";

const mapSections = (ws: Workspace, f: (s: Section) => Section): Workspace => ({ ...ws, sections: ws.sections.map(f) });

export function findPanel(ws: Workspace, id: string): { section: Section; index: number } | null {
  for (const section of ws.sections) {
    const index = section.panels.findIndex((p) => p.id === id);
    if (index >= 0) return { section, index };
  }
  return null;
}

/** `panel` at the end of the section (the first section, or a new one if there is none). */
export function addPanel(ws: Workspace, sectionId: string | null, panel: Panel): Workspace {
  if (ws.sections.reduce((n, s) => n + s.panels.length, 0) >= MAX_PANELS) return ws;
  if (ws.sections.length === 0) return { ...ws, sections: [newSection("Panels", [panel])] };
  const target = ws.sections.some((s) => s.id === sectionId) ? sectionId : ws.sections[0].id;
  return mapSections(ws, (s) => (s.id === target ? { ...s, collapsed: false, panels: [...s.panels, panel] } : s));
}

export function removePanel(ws: Workspace, id: string): Workspace {
  return mapSections(ws, (s) =>
    s.panels.some((p) => p.id === id) ? { ...s, panels: s.panels.filter((p) => p.id !== id) } : s,
  );
}

export function updatePanel(ws: Workspace, id: string, patch: Partial<Panel>): Workspace {
  return mapSections(ws, (s) =>
    s.panels.some((p) => p.id === id)
      ? { ...s, panels: s.panels.map((p) => (p.id === id ? { ...p, ...patch, id } : p)) }
      : s,
  );
}

/** Columns spanned (1..3) and height (px), clamped. */
export function resizePanel(ws: Workspace, id: string, w: number, h: number): Workspace {
  const cw = Math.min(MAX_W, Math.max(1, Math.round(w)));
  const ch = Math.min(MAX_H, Math.max(MIN_H, Math.round(h)));
  return updatePanel(ws, id, { w: cw, h: ch });
}

/**
 * Move a panel to `index` of section `sectionId` (the index as counted before the move
 * takes it out; past the end: the end).
 */
export function movePanelTo(ws: Workspace, id: string, sectionId: string, index: number): Workspace {
  const at = findPanel(ws, id);
  if (!at || !ws.sections.some((s) => s.id === sectionId)) return ws;
  const panel = at.section.panels[at.index];
  let to = Math.max(0, index);
  if (at.section.id === sectionId && at.index < to) to -= 1;
  const removed = removePanel(ws, id);
  return mapSections(removed, (s) => {
    if (s.id !== sectionId) return s;
    const panels = [...s.panels];
    panels.splice(Math.min(to, panels.length), 0, panel);
    return { ...s, panels };
  });
}

/** One place earlier (-1) or later (+1) in its section, across into the next section at its ends. */
export function movePanel(ws: Workspace, id: string, delta: -1 | 1): Workspace {
  const at = findPanel(ws, id);
  if (!at) return ws;
  const si = ws.sections.indexOf(at.section);
  const to = at.index + delta;
  if (to >= 0 && to < at.section.panels.length) return movePanelTo(ws, id, at.section.id, delta > 0 ? to + 1 : to);
  const next = ws.sections[si + delta];
  if (!next) return ws;
  return movePanelTo(ws, id, next.id, delta > 0 ? 0 : next.panels.length);
}

export function addSection(ws: Workspace, name: string): Workspace {
  return { ...ws, sections: [...ws.sections, newSection(name)] };
}

export function renameSection(ws: Workspace, id: string, name: string): Workspace {
  return mapSections(ws, (s) => (s.id === id ? { ...s, name } : s));
}

export function toggleSection(ws: Workspace, id: string): Workspace {
  return mapSections(ws, (s) => (s.id === id ? { ...s, collapsed: !s.collapsed } : s));
}

export function removeSection(ws: Workspace, id: string): Workspace {
  return { ...ws, sections: ws.sections.filter((s) => s.id !== id) };
}

export function moveSection(ws: Workspace, id: string, delta: -1 | 1): Workspace {
  const i = ws.sections.findIndex((s) => s.id === id);
  const j = i + delta;
  if (i < 0 || j < 0 || j >= ws.sections.length) return ws;
  const sections = [...ws.sections];
  [sections[i], sections[j]] = [sections[j], sections[i]];
  return { ...ws, sections };
}
