// The diff of two runs' recorded code diffs ("what changed between the changes"), as a
// unified diff. jsdiff does the diffing; this only fixes the options the UI uses.
import { formatPatch, structuredPatch } from "diff";

/**
 * A unified diff (`--- a`, `+++ b`, `@@` hunks with `context` lines around each change)
 * turning text `a` into text `b`; "" when they are equal; null when more than
 * `maxEdits` lines differ (the search grows with the square of the edits, and past
 * that the two read better side by side).
 */
export function unifiedDiff(
  aName: string,
  bName: string,
  a: string,
  b: string,
  context = 3,
  maxEdits = 2000,
): string | null {
  const patch = structuredPatch(aName, bName, a, b, undefined, undefined, { context, maxEditLength: maxEdits });
  if (patch === undefined) return null;
  if (patch.hunks.length === 0) return "";
  return formatPatch(patch, { includeIndex: false, includeUnderline: false, includeFileHeaders: true }).trimEnd();
}
