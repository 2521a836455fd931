// JSON cannot hold NaN or ±inf: the server writes them as strings (heron.wire).
const NONFINITE: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  "-Infinity": Number.NEGATIVE_INFINITY,
};

/** A wire number (or one of the non-finite strings) as a JS number; other values as NaN. */
export function decodeNumber(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "string" && v in NONFINITE) return NONFINITE[v];
  return Number.NaN;
}

/** A table cell: non-finite strings become numbers, everything else is kept. */
export function decodeCell<T>(v: T): T | number {
  return typeof v === "string" && v in NONFINITE ? NONFINITE[v] : v;
}
