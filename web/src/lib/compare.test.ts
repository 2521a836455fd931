// The comparison's logic: which cells differ from the reference run, the reference
// moved first, and the diff of two runs' recorded code diffs.
import { describe, expect, it } from "vitest";
import { diffRows, differingCells, referenceFirst } from "./flatten";
import { diffLines, hunks, unifiedText, type DiffLine } from "./linediff";

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
    expect(differingCells([[1, 2], [1, 2], [2, 1]], 0)).toEqual([false, false, true]);
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

/** Apply an edit script to `a`: it must give `b` (and keep every line of a in order). */
function apply(lines: DiffLine[]): { a: string[]; b: string[] } {
  return {
    a: lines.filter((l) => l.op !== "+").map((l) => l.text),
    b: lines.filter((l) => l.op !== "-").map((l) => l.text),
  };
}

describe("line diffs", () => {
  it("finds a shortest edit script", () => {
    const a = "a b c a b b a".split(" ");
    const b = "c b a b a c".split(" ");
    const d = diffLines(a, b)!;
    expect(apply(d)).toEqual({ a, b });
    expect(d.filter((l) => l.op !== " ").length).toBe(5); // Myers' classic example: D = 5
  });

  it("handles empty sides and identical inputs", () => {
    expect(diffLines([], [])).toEqual([]);
    expect(diffLines(["x"], [])).toEqual([{ op: "-", text: "x" }]);
    expect(diffLines([], ["y"])).toEqual([{ op: "+", text: "y" }]);
    expect(diffLines(["x", "y"], ["x", "y"])!.every((l) => l.op === " ")).toBe(true);
  });

  it("round-trips random edits", () => {
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let t = 0; t < 200; t++) {
      const a = Array.from({ length: rnd(30) }, () => String(rnd(6)));
      const b = a.filter(() => rnd(4) > 0);
      for (let i = 0; i < rnd(5); i++) b.splice(rnd(b.length + 1), 0, String(rnd(6)));
      const d = diffLines(a, b)!;
      expect(apply(d)).toEqual({ a, b });
    }
  });

  it("gives up past the edit limit", () => {
    const a = Array.from({ length: 50 }, (_, i) => `a${i}`);
    const b = Array.from({ length: 50 }, (_, i) => `b${i}`);
    expect(diffLines(a, b, 20)).toBeNull();
    expect(diffLines(a, b, 100)).not.toBeNull();
  });

  it("groups changes into hunks with context, as a unified diff", () => {
    const a = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
    const b = [...a];
    b[1] = "changed 2";
    b.splice(15, 1); // drop line 16
    const hs = hunks(diffLines(a, b)!, 3);
    expect(hs).toHaveLength(2);
    expect(hs[0]).toMatchObject({ aStart: 1, aLen: 5, bStart: 1, bLen: 5 });
    expect(hs[1]).toMatchObject({ aStart: 13, aLen: 7, bStart: 13, bLen: 6 });
    const text = unifiedText("run-a/code/diff.patch", "run-b/code/diff.patch", hs);
    expect(text.split("\n").slice(0, 5)).toEqual([
      "--- run-a/code/diff.patch",
      "+++ run-b/code/diff.patch",
      "@@ -1,5 +1,5 @@",
      " line 1",
      "-line 2",
    ]);
    // close changes share one hunk
    const c = [...a];
    c[4] = "x";
    c[8] = "y";
    expect(hunks(diffLines(a, c)!, 3)).toHaveLength(1);
    expect(hunks(diffLines(a, a)!, 3)).toEqual([]);
  });
});
