import { describe, expect, it } from "vitest";
import { bucketWeight, emaDebiased, runningAverage, smooth } from "./smoothing";

describe("emaDebiased", () => {
  it("matches TensorBoard's debiased EMA by hand", () => {
    const w = 0.6;
    const ys = [1, 2, 4];
    // last_n = w*last + (1-w)*y, shown = last_n / (1 - w^n)
    const l1 = 0.4 * 1;
    const l2 = w * l1 + 0.4 * 2;
    const l3 = w * l2 + 0.4 * 4;
    const out = emaDebiased(ys, w);
    expect(out[0]).toBeCloseTo(l1 / (1 - w), 12);
    expect(out[1]).toBeCloseTo(l2 / (1 - w ** 2), 12);
    expect(out[2]).toBeCloseTo(l3 / (1 - w ** 3), 12);
  });

  it("starts at the first value (debiasing removes the pull to zero)", () => {
    expect(emaDebiased([10, 10.5, 9.5], 0.99)[0]).toBeCloseTo(10, 12);
  });

  it("returns the input for weight 0 and for a constant series", () => {
    expect(Array.from(emaDebiased([3, 1, 2], 0))).toEqual([3, 1, 2]);
    expect(Array.from(emaDebiased([0.1, 0.1, 0.1], 0.9))).toEqual([0.1, 0.1, 0.1]);
  });

  it("passes NaN and infinities through without poisoning later points", () => {
    const out = emaDebiased([1, Number.NaN, Number.POSITIVE_INFINITY, 1], 0.5);
    expect(Number.isNaN(out[1])).toBe(true);
    expect(out[2]).toBe(Number.POSITIVE_INFINITY);
    expect(out[3]).toBeCloseTo(1, 12);
  });

  it("does not modify its input", () => {
    const ys = [1, 2, 3];
    emaDebiased(ys, 0.5);
    expect(ys).toEqual([1, 2, 3]);
  });
});

describe("runningAverage", () => {
  it("averages the trailing window", () => {
    expect(Array.from(runningAverage([1, 2, 3, 4, 5], 2))).toEqual([1, 1.5, 2.5, 3.5, 4.5]);
    expect(Array.from(runningAverage([2, 4, 6], 10))).toEqual([2, 3, 4]);
  });

  it("skips non-finite values and keeps them in place", () => {
    const out = runningAverage([1, Number.NaN, 3, Number.NEGATIVE_INFINITY, 5], 2);
    expect(out[0]).toBe(1);
    expect(Number.isNaN(out[1])).toBe(true);
    expect(out[2]).toBe(2);
    expect(out[3]).toBe(Number.NEGATIVE_INFINITY);
    expect(out[4]).toBe(4);
  });

  it("is the identity for a window of 1", () => {
    expect(Array.from(runningAverage([5, 1, 7], 1))).toEqual([5, 1, 7]);
  });
});

describe("smoothing downsampled series", () => {
  it("raises the EMA weight to the bucket size", () => {
    expect(bucketWeight(0.9, 10)).toBeCloseTo(0.9 ** 10, 12);
    expect(bucketWeight(0.9, 0.5)).toBe(0.9);
    expect(bucketWeight(0, 10)).toBe(0);
  });

  it("keeps the smoothing horizon in logged points when buckets average k points", () => {
    // a step from 0 to 1: after 20 logged points the point-wise EMA has covered a
    // known share of the step; the bucketed EMA over 2 buckets of 10 must agree
    const w = 0.9;
    const points = [...Array(20).fill(0), ...Array(20).fill(1)];
    const perPoint = emaDebiased(points, w)[39];
    const buckets = [0, 0, 1, 1]; // each the mean of 10 points
    const perBucket = smooth(buckets, "ema", w, 10)[3];
    expect(perBucket).toBeCloseTo(perPoint, 1);
  });

  it("shrinks the running-average window by the bucket size", () => {
    expect(Array.from(smooth([1, 3, 5, 7], "avg", 20, 10))).toEqual([1, 2, 4, 6]);
  });
});
