// The comparison's logic: which cells differ from the reference run, the reference
// moved first, and the diff of two runs' recorded code diffs.
import { describe, expect, it } from "vitest";
import { diffRows, differingCells, referenceFirst } from "../../lib/flatten";
import { unifiedDiff } from "./linediff";

describe("cells that differ from the reference run", () => {
  it("marks each cell against the reference, not the row as a whole", () => {
    const rows = diffRows([
      { lr: 0.1, opt: { name: "adam" }, bs: 32 },
      { lr: 0.1, opt: { name: "sgd" }, bs: 64 },
      { lr: 0.2, opt: { name: "adam" }, bs: 64 },
    ]);
    const byPath = Object.fromEntries(rows.map((r) => [r.path, r]));
    expect(differingCells(byPath["lr"].values, 0)).toEqual([false, false, true]);
    expect(differingCells(byPath["opt.name"].values, 0)).toEqual([false, true, false]);
    // against the second run instead
    expect(differingCells(byPath["opt.name"].values, 1)).toEqual([true, false, true]);
    expect(differingCells(byPath["bs"].values, 1)).toEqual([true, false, false]);
  });

  it("treats a missing value as different from a present one, and two missing as equal", () => {
    expect(differingCells([1, undefined, 1], 0)).toEqual([false, true, false]);
    expect(differingCells([undefined, undefined, 2], 0)).toEqual([false, false, true]);
    expect(differingCells([undefined, 3], 1)).toEqual([true, false]);
  });

  it("compares lists and objects by value, and types strictly", () => {
    expect(
      differingCells(
        [
          [1, 2],
          [1, 2],
          [2, 1],
        ],
        0,
      ),
    ).toEqual([false, false, true]);
    expect(differingCells([10, "10", true, 1], 0)).toEqual([false, true, true, true]);
    expect(differingCells([null, null, 0], 0)).toEqual([false, false, true]);
  });

  it("moves the reference first and keeps the others in order", () => {
    expect(referenceFirst(["a", "b", "c", "d"], 2)).toEqual(["c", "a", "b", "d"]);
    expect(referenceFirst(["a", "b"], 0)).toEqual(["a", "b"]);
    expect(referenceFirst(["a", "b"], -1)).toEqual(["a", "b"]);
    expect(referenceFirst(["a", "b"], 5)).toEqual(["a", "b"]);
  });
});

describe("the diff of two recorded diffs", () => {
  const a = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
  const text = (lines: string[]) => lines.join("\n") + "\n";

  it("is a unified diff with context, close changes sharing a hunk", () => {
    const b = [...a];
    b[1] = "changed 2";
    b.splice(15, 1); // drop line 16
    const out = unifiedDiff("run-a/code/diff.patch", "run-b/code/diff.patch", text(a), text(b))!;
    expect(out.split("\n").slice(0, 6)).toEqual([
      "--- run-a/code/diff.patch",
      "+++ run-b/code/diff.patch",
      "@@ -1,5 +1,5 @@",
      " line 1",
      "-line 2",
      "+changed 2",
    ]);
    expect(out).toContain("@@ -13,7 +13,6 @@\n line 13\n line 14\n line 15\n-line 16\n line 17");
    const c = [...a];
    c[4] = "x";
    c[8] = "y";
    const close = unifiedDiff("a", "b", text(a), text(c))!;
    expect(close.match(/^@@/gm)).toHaveLength(1);
  });

  it("is empty for equal texts and null past the edit limit", () => {
    expect(unifiedDiff("a", "b", text(a), text(a))).toBe("");
    const x = text(Array.from({ length: 50 }, (_, i) => `a${i}`));
    const y = text(Array.from({ length: 50 }, (_, i) => `b${i}`));
    expect(unifiedDiff("a", "b", x, y, 3, 20)).toBeNull();
    expect(unifiedDiff("a", "b", x, y, 3, 200)).not.toBeNull();
  });
});
