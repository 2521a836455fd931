// Nested config as dotted leaves (the same paths as the filter language's config.x.y).

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Leaves of a nested object as [dotted path, value], lists kept whole, in key order. */
export function flatten(obj: Record<string, unknown>, prefix = ""): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [k, v] of Object.entries(obj)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (isPlainObject(v) && Object.keys(v).length > 0) out.push(...flatten(v, path));
    else out.push([path, v]);
  }
  return out;
}

export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export interface DiffRow {
  path: string;
  values: unknown[]; // one per compared item; undefined where it lacks the path
  same: boolean;
}

/** Every path of any of `objs`, with each one's value and whether they all agree. */
export function diffRows(objs: Record<string, unknown>[]): DiffRow[] {
  const flat = objs.map((o) => new Map(flatten(o)));
  const paths = [...new Set(flat.flatMap((m) => [...m.keys()]))].sort();
  return paths.map((path) => {
    const values = flat.map((m) => (m.has(path) ? m.get(path) : undefined));
    return { path, values, same: values.every((v) => v !== undefined && sameValue(v, values[0])) };
  });
}

/**
 * For one row of a comparison, whether each cell differs from the reference run's
 * (`ref`): a missing value differs from a present one; the reference cell never differs.
 */
export function differingCells(values: unknown[], ref: number): boolean[] {
  const base = values[ref];
  return values.map((v, i) => {
    if (i === ref) return false;
    if (v === undefined || base === undefined) return v !== base;
    return !sameValue(v, base);
  });
}

/** `items` with the one at `ref` moved first (the others keep their order). */
export function referenceFirst<T>(items: T[], ref: number): T[] {
  if (ref <= 0 || ref >= items.length) return items;
  return [items[ref], ...items.slice(0, ref), ...items.slice(ref + 1)];
}

/** For each row of numbers, the index of the best value (`higher` decides the direction). */
export function bestIndex(values: unknown[], higher: boolean): number {
  let best = -1;
  values.forEach((v, i) => {
    if (typeof v !== "number" || !Number.isFinite(v)) return;
    const b = values[best] as number;
    if (best < 0 || (higher ? v > b : v < b)) best = i;
  });
  return best;
}

/** Whether a metric is better high (accuracy) or low (loss), from its goal or its name. */
export function higherIsBetter(key: string, goal?: string): boolean {
  if (goal === "max") return true;
  if (goal === "min") return false;
  return !/loss|err|perplexity|ppl|mse|mae|rmse|wer|cer|time|latency/i.test(key);
}
