// Every view keeps its state in the URL query, so any view can be shared and the
// browser's back/forward buttons work. A schema names each field's parameter, its
// kind and its default; defaults are left out of the URL to keep links short.

export type FieldKind = "string" | "list" | "number" | "bool";

export interface Field<K extends FieldKind = FieldKind> {
  param: string;
  kind: K;
  default: K extends "string" ? string : K extends "list" ? string[] : K extends "number" ? number : boolean;
}

export type Schema = Record<string, Field>;

type ValueOf<F> =
  F extends Field<infer K>
    ? K extends "string"
      ? string
      : K extends "list"
        ? string[]
        : K extends "number"
          ? number
          : boolean
    : never;

export type StateOf<S extends Schema> = { [K in keyof S]: ValueOf<S[K]> };

export const str = (param: string, def = ""): Field<"string"> => ({ param, kind: "string", default: def });
export const list = (param: string, def: string[] = []): Field<"list"> => ({ param, kind: "list", default: def });
export const num = (param: string, def: number): Field<"number"> => ({ param, kind: "number", default: def });
export const bool = (param: string, def = false): Field<"bool"> => ({ param, kind: "bool", default: def });

/** Read a state from URL parameters; anything missing or malformed takes the default. */
export function decodeState<S extends Schema>(schema: S, params: URLSearchParams): StateOf<S> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(schema)) {
    const raw = params.get(f.param);
    switch (f.kind) {
      case "string":
        out[name] = raw ?? f.default;
        break;
      case "list": {
        // repeated parameters, never a joined string: keys may hold commas
        const all = params.getAll(f.param);
        out[name] = all.length ? (all.length === 1 && all[0] === "" ? [] : all) : f.default;
        break;
      }
      case "number": {
        const v = raw === null || raw.trim() === "" ? Number.NaN : Number(raw);
        out[name] = Number.isFinite(v) ? v : f.default;
        break;
      }
      case "bool":
        out[name] = raw === null ? f.default : raw === "1" || raw === "true";
        break;
    }
  }
  return out as StateOf<S>;
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Write `state` into a copy of `base` (other parameters are kept). A list that differs
 * from a non-empty default but is empty is written as one empty parameter, so "no
 * columns" stays distinct from "default columns".
 */
export function encodeState<S extends Schema>(
  schema: S,
  state: Partial<StateOf<S>>,
  base: URLSearchParams = new URLSearchParams(),
): URLSearchParams {
  const out = new URLSearchParams(base);
  for (const [name, f] of Object.entries(schema)) {
    if (!(name in state)) continue;
    const v = (state as Record<string, unknown>)[name];
    out.delete(f.param);
    switch (f.kind) {
      case "string":
        if (v !== f.default) out.set(f.param, String(v));
        break;
      case "list": {
        const arr = v as string[];
        if (sameList(arr, f.default as string[])) break;
        if (arr.length === 0) out.append(f.param, "");
        for (const item of arr) out.append(f.param, item);
        break;
      }
      case "number":
        if (v !== f.default && Number.isFinite(v as number)) out.set(f.param, String(v));
        break;
      case "bool":
        if (v !== f.default) out.set(f.param, v ? "1" : "0");
        break;
    }
  }
  return out;
}
