// The analysis page for the runs in view: from the runs page, its filter (typed text,
// quick state and tag filters, brushes) and its plotted metric come along.
import { decodeState } from "../../lib/urlState";
import { effectiveFilter } from "../runs/filter";
import { decodeBrush, runsSchema, type Brush } from "../runs/state";

export function analysisHref(project: string, runsParams: URLSearchParams | null): string {
  const base = `/p/${encodeURIComponent(project)}/analysis`;
  if (!runsParams) return base;
  const s = decodeState(runsSchema, runsParams);
  const brushes = s.brush.map(decodeBrush).filter((b): b is Brush => b !== null);
  const q = new URLSearchParams();
  const filter = effectiveFilter(s.filter, s.states, s.tags, brushes);
  if (filter) q.set("filter", filter);
  if (s.metric) q.set("metric", s.metric.replace(/^metrics\./, ""));
  const text = q.toString();
  return text ? `${base}?${text}` : base;
}
