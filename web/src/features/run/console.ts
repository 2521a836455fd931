// The lines of a run's console held by the Logs tab: a contiguous window of line
// numbers, grown at the end as the run prints and at the start on demand.
import type { ConsoleLine } from "../../lib/api";

/** Where to ask for new lines from: before the first partial line (its text may
 * still change: a progress bar), else after the last line held. */
export function consoleCursor(lines: readonly ConsoleLine[], fallback = 0): number {
  const partial = lines.find((l) => l.partial);
  if (partial) return partial.line - 1;
  return lines.length ? lines[lines.length - 1].line : fallback;
}

/** `lines` with everything after `after` replaced by `newer` (lines `after + 1`...). */
export function appendLines(
  lines: readonly ConsoleLine[],
  after: number,
  newer: readonly ConsoleLine[],
): ConsoleLine[] {
  const kept = lines.filter((l) => l.line <= after);
  return kept.concat(newer.filter((l) => l.line > after));
}

/** `earlier` (lines before the first held) put in front of `lines`. */
export function prependLines(lines: readonly ConsoleLine[], earlier: readonly ConsoleLine[]): ConsoleLine[] {
  const first = lines.length ? lines[0].line : Infinity;
  return earlier.filter((l) => l.line < first).concat(lines);
}

/** At most `max` lines, the newest (older ones can be loaded again). */
export function keepNewest(lines: ConsoleLine[], max: number): ConsoleLine[] {
  return lines.length > max ? lines.slice(lines.length - max) : lines;
}

// Terminal control sequences (colours, cursor moves): shown as plain text.
// eslint-disable-next-line no-control-regex -- these sequences start with ESC (\x1b), a control character on purpose
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]/g;

export function plainText(text: string): string {
  return text.includes("\x1b") ? text.replace(ANSI, "") : text;
}

/** Lines whose text contains `query` (case-insensitive); all of them for "". */
export function searchLines(lines: readonly ConsoleLine[], query: string): readonly ConsoleLine[] {
  const needle = query.trim().toLowerCase();
  if (!needle) return lines;
  return lines.filter((l) => plainText(l.text).toLowerCase().includes(needle));
}
