// Curve smoothing for charts. The raw line is always drawn too (faint), so smoothing
// never hides data; non-finite points pass through untouched, as in TensorBoard.

/**
 * Exponential moving average with TensorBoard's debiasing: the running value starts
 * at 0 and is divided by (1 - weight^n), so the first points are not pulled to zero.
 * `weight` is in [0, 1); 0 returns the input. A constant series is returned as is
 * (floating-point EMA would otherwise wobble around it).
 */
export function emaDebiased(ys: ArrayLike<number>, weight: number): Float64Array {
  const out = Float64Array.from(ys);
  if (!(weight > 0) || ys.length === 0) return out;
  const w = Math.min(weight, 0.999999);
  let constant = true;
  for (let i = 1; i < ys.length; i++) {
    if (ys[i] !== ys[0]) {
      constant = false;
      break;
    }
  }
  if (constant) return out;
  let last = 0;
  let n = 0;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (!Number.isFinite(y)) continue;
    last = last * w + (1 - w) * y;
    n++;
    out[i] = last / (1 - Math.pow(w, n));
  }
  return out;
}

/** Trailing running average over the last `window` finite values (window >= 1). */
export function runningAverage(ys: ArrayLike<number>, window: number): Float64Array {
  const out = Float64Array.from(ys);
  const k = Math.max(1, Math.floor(window));
  if (k === 1) return out;
  const ring = new Float64Array(k);
  let filled = 0;
  let head = 0;
  let sum = 0;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (!Number.isFinite(y)) continue;
    if (filled === k) sum -= ring[head];
    else filled++;
    ring[head] = y;
    sum += y;
    head = (head + 1) % k;
    out[i] = sum / filled;
  }
  return out;
}

/**
 * The EMA weight to use on a downsampled series so that its smoothing horizon, in
 * original points, matches `weight` applied point by point: each bucket stands for
 * `pointsPerBucket` points, so the weight is raised to that power.
 */
export function bucketWeight(weight: number, pointsPerBucket: number): number {
  if (!(weight > 0)) return 0;
  return Math.pow(weight, Math.max(1, pointsPerBucket));
}

export type SmoothingKind = "ema" | "avg";

/** Smooth `ys` as the chart settings ask; `pointsPerBucket` > 1 for sampled series. */
export function smooth(ys: ArrayLike<number>, kind: SmoothingKind, amount: number, pointsPerBucket = 1): Float64Array {
  if (kind === "avg") return runningAverage(ys, Math.max(1, Math.round(amount / Math.max(1, pointsPerBucket))));
  return emaDebiased(ys, bucketWeight(amount, pointsPerBucket));
}
