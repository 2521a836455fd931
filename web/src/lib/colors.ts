// One colour per run, derived from its id alone: every view (table, charts, parallel
// coordinates, scatter, comparison) shows a run in the same colour without sharing state.
export const PALETTE = [
  "#1f77b4", "#e6550d", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
  "#bcbd22", "#3182bd", "#fd8d3c", "#31a354", "#ad494a", "#756bb1", "#c49c94", "#de77ae",
  "#6baed6", "#637939", "#843c39", "#7b4173",
];

/** FNV-1a 32-bit hash of a string. */
export function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function runColor(id: string): string {
  return PALETTE[hash(id) % PALETTE.length];
}

/** `#rrggbb` with an alpha, for faint raw lines and bands. */
export function withAlpha(hex: string, alpha: number): string {
  const a = Math.round(Math.max(0, Math.min(1, alpha)) * 255)
    .toString(16)
    .padStart(2, "0");
  return `${hex}${a}`;
}
