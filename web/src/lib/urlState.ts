// Every view keeps its state in the URL query, so any view can be shared and the
// browser's back/forward buttons work. A schema names each field's parameter, its
// kind and its default; defaults are left out of the URL to keep links short. The
// views' schemas live in their features (features/*/state.ts).
import { useCallback, useEffect, useMemo, useState } from "react";
import { useLocation, useSearchParams } from "react-router";
import { arrived } from "./optimistic";

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

export type SetUrlState<S extends Schema> = (patch: Partial<StateOf<S>>, opts?: { replace?: boolean }) => void;

/**
 * A view's state, read from and written to the URL query. A change shows at once:
 * React Router applies URL changes in a transition, so a checkbox bound straight to
 * the URL would show its old state for a moment after a click (and a second change in
 * the same tick would start from the old URL and undo the first). The hook shows its
 * own writes until the URL catches up, and takes the URL as it is whenever something
 * else changed it (back/forward, a link). The writes not yet in the URL are one list
 * for the page (there is one URL), so views writing in the same tick build on each other.
 */
// "path?query" written, not yet seen; and the last URL taken in (by the effect below)
const pending: { urls: string[]; taken: string } = { urls: [], taken: "" };

export function useUrlState<S extends Schema>(schema: S): [StateOf<S>, SetUrlState<S>] {
  const [params, setParams] = useSearchParams();
  const path = useLocation().pathname;
  const url = `${path}?${params.toString()}`;
  const [written, setWritten] = useState(url); // our last write
  // A URL not taken in yet that is none of our writes came from elsewhere: it wins.
  const elsewhere = url !== pending.taken && !pending.urls.includes(url);
  const current = !elsewhere && pending.urls.length > 0 && written.startsWith(`${path}?`) ? written : url;
  useEffect(() => {
    pending.urls = arrived(pending.urls, url).pending;
    pending.taken = url;
  }, [url]);
  const query = current.slice(path.length + 1);
  const state = useMemo(() => decodeState(schema, new URLSearchParams(query)), [schema, query]);
  const set = useCallback<SetUrlState<S>>(
    (patch, opts) => {
      const here = window.location.pathname;
      const mine = pending.urls.filter((u) => u.startsWith(`${here}?`)).at(-1);
      const base = mine !== undefined ? mine.slice(here.length + 1) : window.location.search.slice(1);
      const next = encodeState(schema, patch, new URLSearchParams(base)).toString();
      if (next === base) return;
      pending.urls.push(`${here}?${next}`);
      setWritten(`${here}?${next}`);
      setParams(new URLSearchParams(next), { replace: opts?.replace });
    },
    [schema, setParams],
  );
  return [state, set];
}
