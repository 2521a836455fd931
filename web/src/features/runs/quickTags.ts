// The tag quick filters: a project may hold hundreds of tags, so a few chips show and
// the rest wait behind "more…" (a popover with a search).

/**
 * The chips to show (the active tags first, then the others alphabetically, `limit` in
 * all, unless more tags are active) in alphabetical order, and the rest.
 */
export function quickTags(known: string[], active: string[], limit = 12): { shown: string[]; more: string[] } {
  const all = [...new Set([...known, ...active])].sort();
  if (all.length <= limit) return { shown: all, more: [] };
  const on = new Set(active);
  const picked = new Set(all.filter((t) => on.has(t)));
  for (const t of all) {
    if (picked.size >= limit) break;
    picked.add(t);
  }
  return { shown: all.filter((t) => picked.has(t)), more: all.filter((t) => !picked.has(t)) };
}

/** The tags whose name holds `q` (any case); those starting with it first. */
export function searchTags(tags: string[], q: string): string[] {
  const needle = q.trim().toLowerCase();
  if (!needle) return tags;
  const hits = tags.filter((t) => t.toLowerCase().includes(needle));
  return [
    ...hits.filter((t) => t.toLowerCase().startsWith(needle)),
    ...hits.filter((t) => !t.toLowerCase().startsWith(needle)),
  ];
}
