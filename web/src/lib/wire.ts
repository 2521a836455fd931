// JSON cannot hold NaN or ±inf: the server writes them as strings (heron.wire). This is
// the one place where they become numbers again.

/** A float as the wire carries it: NaN and ±inf spelled out. */
export type WireNumber = number | "NaN" | "Infinity" | "-Infinity";

/** `T` with its wire numbers decoded (as `decodeNumber` does). */
export type Decoded<T> = { [K in keyof T]: [T[K]] extends [WireNumber] ? number : T[K] };

const NONFINITE: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  "-Infinity": Number.NEGATIVE_INFINITY,
};

/** A wire number (or one of the non-finite strings) as a JS number; other values as NaN. */
export function decodeNumber(v: WireNumber | unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "string" && v in NONFINITE) return NONFINITE[v];
  return Number.NaN;
}

/** A table cell: non-finite strings become numbers, everything else is kept. */
export function decodeCell<T>(v: T): T | number {
  return typeof v === "string" && v in NONFINITE ? NONFINITE[v] : v;
}
