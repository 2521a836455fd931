import { describe, expect, it } from "vitest";
import { distance, hash, labOf, minSeparation, runColor, runColors, withAlpha } from "./colors";

/** Run ids as the SDK makes them: 10 characters of [0-9a-z], from a seeded generator. */
function ids(n: number, seed: number): string[] {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  const chars = "0123456789abcdefghijklmnopqrstuvwxyz";
  return Array.from({ length: n }, () => Array.from({ length: 10 }, () => chars[Math.floor(next() * 36)]).join(""));
}

function minGap(colours: string[]): number {
  const labs = colours.map(labOf);
  let gap = Infinity;
  for (let i = 0; i < labs.length; i++)
    for (let j = i + 1; j < labs.length; j++) gap = Math.min(gap, distance(labs[i], labs[j]));
  return gap;
}

/** WCAG contrast ratio of two #rrggbb colours. */
function contrast(x: string, y: string): number {
  const lum = (h: string) => {
    const [r, g, b] = [1, 3, 5].map((i) => {
      const v = parseInt(h.slice(i, i + 2), 16) / 255;
      return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [a, b] = [lum(x), lum(y)].sort((p, q) => q - p);
  return (a + 0.05) / (b + 0.05);
}

describe("run colours", () => {
  it("are deterministic #rrggbb colours of the id alone", () => {
    for (const id of ids(50, 7)) {
      expect(runColor(id)).toMatch(/^#[0-9a-f]{6}$/);
      expect(runColor(id)).toBe(runColor(id.slice(0, 5) + id.slice(5)));
    }
    expect(runColor("abc")).not.toBe(runColor("abd"));
    expect(hash("")).toBe(0x811c9dc5);
  });

  it("spread over the hue circle rather than a short palette", () => {
    const distinct = new Set(ids(500, 3).map(runColor));
    expect(distinct.size).toBeGreaterThan(400); // the old 20-colour palette gave 20
  });

  it("read on both themes' backgrounds", () => {
    const shownTogether = [...runColors(ids(100, 12)).values()]; // the softer levels too
    for (const c of [...ids(300, 11).map(runColor), ...shownTogether]) {
      expect(contrast(c, "#ffffff")).toBeGreaterThan(1.6);
      expect(contrast(c, "#15181b")).toBeGreaterThan(2.8);
    }
  });

  it("never repeat or crowd within a set shown together (2..100 runs)", () => {
    for (let n = 2; n <= 100; n++) {
      for (const seed of [1, 2, 3]) {
        const set = ids(n, seed * 1000 + n);
        const colours = runColors(set);
        expect(colours.size).toBe(n);
        const list = set.map((id) => colours.get(id)!);
        expect(new Set(list).size).toBe(n);
        // visibly apart: at least the separation the set asks for (rounding included)
        expect(minGap(list)).toBeGreaterThanOrEqual(minSeparation(n));
      }
    }
    expect(minSeparation(2)).toBeGreaterThan(minSeparation(100));
    expect(minSeparation(100)).toBeGreaterThanOrEqual(0.018); // still tell-apart at 100
  });

  it("depend only on the set, not its order, and keep a lone run's own colour", () => {
    const set = ids(40, 99);
    const a = runColors(set);
    const b = runColors([...set].reverse().concat(set.slice(0, 3))); // order and duplicates
    expect([...b.entries()].sort()).toEqual([...a.entries()].sort());
    expect(runColors([set[5]]).get(set[5])).toBe(runColor(set[5]));
    // the first run in id order always keeps its own colour
    const first = [...set].sort()[0];
    expect(a.get(first)).toBe(runColor(first));
  });

  it("resolve a real collision in a pair", () => {
    // find two ids whose own colours are too close, then check the pair is split
    const pool = ids(3000, 5);
    let pair: [string, string] | null = null;
    outer: for (let i = 0; i < pool.length; i++)
      for (let j = i + 1; j < Math.min(pool.length, i + 200); j++)
        if (distance(labOf(runColor(pool[i])), labOf(runColor(pool[j]))) < 0.02) {
          pair = [pool[i], pool[j]];
          break outer;
        }
    expect(pair).not.toBeNull();
    const c = runColors(pair!);
    expect(distance(labOf(c.get(pair![0])!), labOf(c.get(pair![1])!))).toBeGreaterThanOrEqual(minSeparation(2));
  });

  it("adds an alpha to a hex colour", () => {
    expect(withAlpha("#112233", 0.5)).toBe("#11223380");
    expect(withAlpha("#112233", 2)).toBe("#112233ff");
  });
});
