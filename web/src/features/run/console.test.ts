import { describe, expect, it } from "vitest";
import type { ConsoleLine } from "../../lib/api";
import { appendLines, consoleCursor, keepNewest, plainText, prependLines, searchLines } from "./console";

const line = (n: number, text = `line ${n}`, partial = false): ConsoleLine => ({
  line: n,
  stream: "stdout",
  time: 0,
  text,
  truncated: false,
  partial,
});

describe("console window", () => {
  it("asks again from before the first partial line", () => {
    expect(consoleCursor([line(1), line(2, "50%", true), line(3)])).toBe(1);
    expect(consoleCursor([line(4), line(5)])).toBe(5);
    expect(consoleCursor([], 7)).toBe(7);
  });

  it("replaces a redrawn line and appends the new ones", () => {
    const held = [line(1), line(2, "50%", true)];
    const merged = appendLines(held, 1, [line(2, "100%"), line(3)]);
    expect(merged.map((l) => [l.line, l.text, l.partial])).toEqual([
      [1, "line 1", false],
      [2, "100%", false],
      [3, "line 3", false],
    ]);
  });

  it("prepends earlier lines without duplicates and keeps the newest", () => {
    const merged = prependLines([line(3), line(4)], [line(1), line(2), line(3)]);
    expect(merged.map((l) => l.line)).toEqual([1, 2, 3, 4]);
    expect(keepNewest(merged, 2).map((l) => l.line)).toEqual([3, 4]);
  });

  it("strips colour codes and searches case-insensitively", () => {
    expect(plainText("\x1b[31mError\x1b[0m: boom")).toBe("Error: boom");
    const found = searchLines([line(1, "Epoch 1"), line(2, "\x1b[1mepoch\x1b[0m 2"), line(3, "loss")], "EPOCH");
    expect(found.map((l) => l.line)).toEqual([1, 2]);
    expect(searchLines([line(1)], " ")).toHaveLength(1);
  });
});
