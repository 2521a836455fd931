import { describe, expect, it } from "vitest";
import type { WireSeries } from "../../lib/api";
import {
  decodeBinary,
  decodeSeries,
  hoverRows,
  nearestIndex,
  pointsPerBucket,
  spacing,
  valueAt,
  yExtent,
} from "./series";

const wire = (over: Partial<WireSeries> = {}): WireSeries => ({
  run: "r1",
  key: "loss",
  total: 6,
  sampled: false,
  x: [0, 1, 2],
  y: [1, 0.5, 0.25],
  min: [1, 0.5, 0.25],
  max: [1, 0.5, 0.25],
  nonfinite: { x: [], y: [] },
  ...over,
});

describe("decodeSeries", () => {
  it("keeps finite points and turns the nonfinite list into markers", () => {
    const s = decodeSeries(wire({ nonfinite: { x: [5, 3, 4], y: ["NaN", "Infinity", "-Infinity"] } }));
    expect(Array.from(s.x)).toEqual([0, 1, 2]);
    expect(s.markers).toEqual([
      { x: 3, kind: "inf" },
      { x: 4, kind: "-inf" },
      { x: 5, kind: "nan" },
    ]);
  });

  it("moves inline non-finite values (strings or numbers) to markers", () => {
    const s = decodeSeries(
      wire({ x: [0, 1, 2, 3], y: [1, "NaN" as unknown as number, Number.POSITIVE_INFINITY, 2], min: [], max: [] }),
    );
    expect(Array.from(s.x)).toEqual([0, 3]);
    expect(Array.from(s.y)).toEqual([1, 2]);
    expect(s.markers.map((m) => m.kind)).toEqual(["nan", "inf"]);
  });

  it("keeps bucket min/max and falls back to y where they are missing or non-finite", () => {
    const s = decodeSeries(wire({ sampled: true, min: [0.5, "NaN" as unknown as number, 0.1], max: [2, 0.9] }));
    expect(Array.from(s.min)).toEqual([0.5, 0.5, 0.1]);
    expect(Array.from(s.max)).toEqual([2, 0.9, 0.25]);
  });

  it("drops points whose x is not finite and sorts by x", () => {
    const s = decodeSeries(
      wire({ x: [2, "NaN" as unknown as number, 1], y: [3, 9, 1], min: [3, 9, 1], max: [3, 9, 1] }),
    );
    expect(Array.from(s.x)).toEqual([1, 2]);
    expect(Array.from(s.y)).toEqual([1, 3]);
  });
});

describe("lookups", () => {
  it("finds the nearest index by binary search", () => {
    const xs = Float64Array.from([0, 10, 20, 30]);
    expect(nearestIndex(xs, -5)).toBe(0);
    expect(nearestIndex(xs, 14)).toBe(1);
    expect(nearestIndex(xs, 16)).toBe(2);
    expect(nearestIndex(xs, 99)).toBe(3);
    expect(nearestIndex(new Float64Array(0), 1)).toBe(-1);
  });

  it("answers the hover value at x", () => {
    const s = decodeSeries(wire());
    expect(valueAt(s, 1.2)).toEqual({ i: 1, x: 1, y: 0.5 });
    expect(valueAt(decodeSeries(wire({ x: [], y: [], min: [], max: [] })), 0)).toBeNull();
  });

  it("leaves out a series with no point within about one bucket of x", () => {
    // a run that logged steps 0..100 every step, then ended
    const xs = Array.from({ length: 101 }, (_, i) => i);
    const ended = decodeSeries(wire({ x: xs, y: xs.map((i) => i / 100), min: [], max: [] }));
    expect(spacing(ended)).toBe(1);
    expect(valueAt(ended, 50.4, 0.5)).toEqual({ i: 50, x: 50, y: 0.5 });
    expect(valueAt(ended, 100.9, 0.5)).toEqual({ i: 100, x: 100, y: 1 }); // within a step
    expect(valueAt(ended, 250, 0.5)).toBeNull(); // long after it ended: no stale value
    expect(valueAt(ended, -3, 0.5)).toBeNull(); // before it started
    // the tolerance is at least the given minimum (a few pixels of a zoomed-out chart)
    expect(valueAt(ended, 104, 5)).toEqual({ i: 100, x: 100, y: 1 });
    // a sparse series (every 10 steps) answers anywhere between its points
    const sparse = decodeSeries(wire({ x: [0, 10, 20, 30], y: [4, 3, 2, 1], min: [], max: [] }));
    expect(valueAt(sparse, 14, 0.5)).toEqual({ i: 1, x: 10, y: 3 });
    expect(valueAt(sparse, 41, 0.5)).toBeNull();
    // a single point answers only within the minimum tolerance
    const one = decodeSeries(wire({ x: [7], y: [1], min: [], max: [] }));
    expect(valueAt(one, 7.4, 0.5)).not.toBeNull();
    expect(valueAt(one, 8, 0.5)).toBeNull();
  });

  it("lists every run at x, highest value first, skipping runs that ended", () => {
    const mk = (run: string, xs: number[], ys: number[]) => decodeSeries(wire({ run, x: xs, y: ys, min: [], max: [] }));
    const steps = Array.from({ length: 30 }, (_, i) => i);
    const series = [
      mk(
        "a",
        steps,
        steps.map(() => 1),
      ),
      mk(
        "b",
        steps,
        steps.map(() => 3),
      ),
      mk("short", [0, 1, 2, 3], [9, 9, 9, 9]), // ended at step 3
      ...Array.from({ length: 40 }, (_, k) =>
        mk(
          `r${k}`,
          steps,
          steps.map(() => 2 + k / 100),
        ),
      ),
    ];
    const rows = hoverRows(series, 20, 0.5);
    expect(rows).toHaveLength(42); // every run that has a value there, no "+N more"
    expect(rows[0].run).toBe("b");
    expect(rows[rows.length - 1].run).toBe("a");
    expect(rows.map((r) => r.run)).not.toContain("short");
    expect(rows.map((r) => r.y)).toEqual([...rows.map((r) => r.y)].sort((p, q) => q - p));
    expect(hoverRows(series, 2, 0.5)[0].run).toBe("short");
    // the shown value is the smoothed one when given; undrawable values go last
    const smoothed = [Float64Array.from(steps.map(() => 5)), null, null];
    expect(hoverRows(series.slice(0, 3), 1, 0.5, smoothed).map((r) => [r.run, r.y])).toEqual([
      ["short", 9],
      ["a", 5],
      ["b", 3],
    ]);
    const withNaN = [Float64Array.from(steps.map(() => Number.NaN)), null];
    expect(hoverRows(series.slice(0, 2), 1, 0.5, withNaN).map((r) => r.run)).toEqual(["b", "a"]);
  });

  it("knows how many logged points a bucket stands for", () => {
    expect(pointsPerBucket(decodeSeries(wire()))).toBe(1);
    expect(pointsPerBucket(decodeSeries(wire({ sampled: true, total: 3000 })))).toBe(1000);
  });

  it("computes the y extent with or without the bands", () => {
    const s = decodeSeries(wire({ sampled: true, min: [0, 0.4, 0.2], max: [3, 0.6, 0.3] }));
    expect(yExtent([s], false)).toEqual([0.25, 1]);
    expect(yExtent([s], true)).toEqual([0, 3]);
    expect(yExtent([], true)).toBeNull();
  });
});

/** The binary answer as heron.server.series_codec writes it. */
function binary(series: { head: Record<string, unknown>; arrays: number[][] }[]): ArrayBuffer {
  let text = JSON.stringify({ series: series.map((s) => s.head) });
  while ((text.length + 8) % 8) text += " ";
  const values = series.flatMap((s) => s.arrays.flat());
  const buf = new ArrayBuffer(8 + text.length + 8 * values.length);
  const bytes = new Uint8Array(buf);
  bytes.set(new TextEncoder().encode("HSR1"), 0);
  new DataView(buf).setUint32(4, text.length, true);
  bytes.set(new TextEncoder().encode(text), 8);
  new Float64Array(buf, 8 + text.length).set(values);
  return buf;
}

describe("decodeBinary", () => {
  it("views each series' arrays in place, min and max being y when not sampled", () => {
    const head = (run: string, sampled: boolean, n: number, nonfinite: number) => ({
      run,
      key: "loss",
      total: 9,
      sampled,
      n,
      nonfinite,
    });
    const buf = binary([
      { head: head("a", true, 2, 1), arrays: [[0, 5], [0.1 + 0.2, -0], [0, -1], [1, 2], [3], [Infinity]] },
      { head: head("b", false, 3, 0), arrays: [[1, 2, 3], [5e-324, 1.7976931348623157e308, 7], [], []] },
    ]);
    const [a, b] = decodeBinary(buf);
    expect(a.sampled).toBe(true);
    expect(Array.from(a.y)).toEqual([0.30000000000000004, -0]);
    expect(Object.is(a.y[1], -0)).toBe(true);
    expect(Array.from(a.min)).toEqual([0, -1]);
    expect(Array.from(a.max)).toEqual([1, 2]);
    expect(a.markers).toEqual([{ x: 3, kind: "inf" }]);
    expect(a.x.buffer).toBe(buf); // a view, not a copy
    expect(Array.from(b.y)).toEqual([5e-324, 1.7976931348623157e308, 7]);
    expect(b.min).toBe(b.y);
    expect(b.markers).toEqual([]);
  });

  it("checks what it cannot draw as is, and refuses what is not its format", () => {
    const head = { run: "a", key: "k", total: 3, sampled: false, n: 3, nonfinite: 0 };
    const [s] = decodeBinary(
      binary([
        {
          head,
          arrays: [
            [2, 1, NaN],
            [20, 10, Infinity],
          ],
        },
      ]),
    );
    expect(Array.from(s.x)).toEqual([1, 2]); // sorted; the point without an x dropped
    expect(Array.from(s.y)).toEqual([10, 20]);
    expect(() => decodeBinary(new ArrayBuffer(8))).toThrow();
    expect(() => decodeBinary(binary([{ head: { ...head, n: 4 }, arrays: [[1], [2]] }]))).toThrow();
  });
});
